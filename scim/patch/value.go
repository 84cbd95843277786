package patch

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/acme/directory/scim/schema"
)

// normalize returns v as encoding/json would decode it: nil, bool, string,
// float64 or json.Number, []any and map[string]any. A value already made of
// those types is returned as is (the conversions below copy what they keep,
// so a group body of 50,000 members is not duplicated); anything else, such
// as a []map[string]any built by hand, goes through a JSON round trip.
func normalize(v any) (any, error) {
	if isJSON(v) {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf(InvalidValue, "", "value is not JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, errorf(InvalidValue, "", "value is not JSON: %v", err)
	}
	return out, nil
}

func isJSON(v any) bool {
	switch x := v.(type) {
	case nil, bool, string, json.Number:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case map[string]any:
		for _, e := range x {
			if !isJSON(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

// deepCopy copies a normalised JSON value, for values stored verbatim in
// the document, which must not share memory with the caller's.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// coerceList converts the value of a whole multi-valued attribute: an array
// (a lone object is taken as an array of one) of values of a's type.
// Complex values lose their null sub-attributes, and empty ones are dropped.
func coerceList(a *schema.Attribute, v any, path string) ([]any, *Error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	case map[string]any:
		items = []any{x}
	default:
		return nil, errorf(InvalidValue, path, "%s is multi-valued: want an array, got %s", a.Name, kindOf(v))
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		c, err := coerce(a, item, path)
		if err != nil {
			return nil, err
		}
		if m, ok := c.(map[string]any); ok {
			if c = stripNulls(m); len(m) == 0 {
				continue
			}
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// coerce converts one value of attribute a (one element, for a
// multi-valued attribute) to a's type. A complex value keeps its null
// sub-attributes, which mean "unassign" to a merge.
func coerce(a *schema.Attribute, v any, path string) (any, *Error) {
	if a.Type == schema.Complex {
		m, err := coerceComplex(a, v, path)
		if m == nil || err != nil {
			return nil, err
		}
		return m, nil
	}
	return coerceSimple(a, v, path)
}

// coerceComplex converts an object of a's sub-attributes: keys get their
// schema spelling, values their types; readOnly and writeOnly
// sub-attributes are dropped, as providers echo them. A string stands for
// {"value": s} when a has a "value" sub-attribute (Entra ID sends the
// enterprise manager that way).
func coerceComplex(a *schema.Attribute, v any, path string) (map[string]any, *Error) {
	if s, ok := v.(string); ok && a.Sub("value") != nil {
		v = map[string]any{"value": s}
	}
	switch obj := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		out := make(map[string]any, len(obj))
		for k, sv := range obj {
			sub := a.Sub(k)
			if sub == nil {
				return nil, errorf(InvalidValue, path, "%s has no sub-attribute %q", a.Name, k)
			}
			if sub.Mutability == schema.ReadOnly || sub.Mutability == schema.WriteOnly {
				continue
			}
			c, err := coerceSimple(sub, sv, path+"."+sub.Name)
			if err != nil {
				return nil, err
			}
			out[sub.Name] = c
		}
		return out, nil
	}
	return nil, errorf(InvalidValue, path, "%s is complex: want an object, got %s", a.Name, kindOf(v))
}

// coerceSimple converts a value of a simple type. Booleans may be the
// strings "true" and "false" in any case (Entra ID), numbers may be numeric
// strings, and [{"value": x}] stands for x (older Entra ID).
func coerceSimple(a *schema.Attribute, v any, path string) (any, *Error) {
	v = unwrapLegacy(v)
	if v == nil {
		return nil, nil
	}
	var out any
	ok := false
	switch a.Type {
	case schema.String, schema.Reference, schema.Binary:
		out, ok = v.(string)
	case schema.DateTime:
		s, isString := v.(string)
		out, ok = s, isString && validTime(s)
	case schema.Boolean:
		out, ok = toBool(v)
	case schema.Integer:
		out, ok = toInt(v)
	case schema.Decimal:
		out, ok = toFloat(v)
	}
	if !ok {
		return nil, errorf(InvalidValue, path, "%s must be a %s, got %s", a.Name, typeName(a.Type), describe(v))
	}
	return out, nil
}

// unwrapLegacy turns [{"value": x}] (and [{"value": x, "$ref": null}]) into x.
func unwrapLegacy(v any) any {
	list, ok := v.([]any)
	if !ok || len(list) != 1 {
		return v
	}
	obj, ok := list[0].(map[string]any)
	if !ok {
		return v
	}
	value, found := getKey(obj, "value")
	for k, e := range obj {
		if !strings.EqualFold(k, "value") && e != nil {
			return v
		}
	}
	if !found {
		return v
	}
	return value
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func toInt(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
		return 0, false
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// toFloat reads a number, a json.Number or a numeric string as a finite
// float64 (JSON cannot carry NaN or infinities).
func toFloat(v any) (float64, bool) {
	var f float64
	var err error
	switch x := v.(type) {
	case float64:
		f = x
	case json.Number:
		f, err = x.Float64()
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		return 0, false
	}
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// timeLayouts are the xsd:dateTime forms accepted (RFC 7643 §2.3.5).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func validTime(s string) bool { _, ok := parseTime(s); return ok }

// stripNulls removes the null sub-attributes of a new complex value, where
// there is nothing to unassign.
func stripNulls(m map[string]any) map[string]any {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	return m
}

func typeName(t schema.Type) string {
	switch t {
	case schema.Integer:
		return "integer"
	case schema.Decimal:
		return "number"
	case schema.DateTime:
		return "dateTime string"
	}
	return string(t)
}

// kindOf names the JSON kind of v, for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unsupported value"
}

// describe is kindOf with short scalars quoted, to help a provider's admin
// find the offending value.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) <= 40 {
			return strconv.Quote(x)
		}
	case json.Number:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return kindOf(v)
}
