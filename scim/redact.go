package scim

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// redacted replaces every secret the request log would otherwise keep.
const redacted = "[REDACTED]"

// sensitiveWords mark a JSON key, or a PATCH path, whose value is never
// kept: a password attribute, a token, a secret, in any case and any
// schema's namespace.
var sensitiveWords = []string{"password", "token", "secret"}

// credentialLike matches a credential of this server written anywhere in
// a body (a directory token, an API key): kept nowhere.
var credentialLike = regexp.MustCompile(`(?:scim|dk)_[A-Za-z0-9_\-]{8,}`)

// sensitive reports whether s names a secret.
func sensitive(s string) bool {
	s = strings.ToLower(s)
	for _, w := range sensitiveWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// redactBody is the start of body as the request log keeps it, at most
// limit bytes: a whole JSON document is kept with the value of every
// sensitive key (and of every PATCH operation whose path is sensitive)
// replaced; anything else (a document cut short, not JSON) is kept only
// up to its first sensitive word. Credentials of this server are redacted
// wherever they appear.
func redactBody(body []byte, cut bool, limit int) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	out := ""
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err == nil && !cut && !dec.More() {
		if b, err := json.Marshal(redactValue(doc)); err == nil {
			out = string(b)
		}
	}
	if out == "" {
		out = string(body)
		if i := firstSensitive(out); i >= 0 {
			out = out[:i] + redacted
		}
	}
	return truncate(credentialLike.ReplaceAllString(out, redacted), limit)
}

// firstSensitive is the index of the first sensitive word in s, or -1.
func firstSensitive(s string) int {
	lower, first := strings.ToLower(s), -1
	for _, w := range sensitiveWords {
		if i := strings.Index(lower, w); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// redactValue replaces the secrets of a decoded JSON value.
func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		path, _ := v["path"].(string)
		for k, x := range v {
			switch {
			case sensitive(k):
				v[k] = redacted
			case strings.EqualFold(k, "value") && sensitive(path):
				v[k] = redacted
			default:
				v[k] = redactValue(x)
			}
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
		return v
	}
	return v
}

// userNameRE finds a userName in a body that is not a whole JSON document.
var userNameRE = regexp.MustCompile(`"(?i:userName)"\s*:\s*"((?:[^"\\]|\\.)*)"`)

// userNameIn is the userName a request body names, if any.
func userNameIn(body []byte) string {
	var doc struct {
		UserName string `json:"userName"`
	}
	if json.Unmarshal(body, &doc) == nil {
		return doc.UserName
	}
	if m := userNameRE.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}
