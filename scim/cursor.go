package scim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cursor paging (RFC 9865). A list or search asks for it with the
// parameter cursor, empty for the first page; each page then carries
// nextCursor (unless it is the last) and previousCursor (unless it is the
// first), and the client sends one of them, with the same other
// parameters, for the page after or before. startIndex paging stays the
// default.
//
// A cursor is opaque to clients but plain to the server: the query it
// belongs to (a digest of the resource path, which names the directory,
// the filter and the sort), the position, and when it was issued. In the
// default order (by id) the position is an id — the page after it or
// before it — read from the (directory_id, id) index, so page 1,800 costs
// what page 1 costs, and rows created or deleted meanwhile neither shift
// the pages nor repeat a row. Under sortBy the position is an offset, as
// startIndex is. A cursor of another query or directory is refused with
// scimType invalidCursor, one older than cursorTimeout with expiredCursor.

// The scimType values of RFC 9865 §2.1.
const (
	invalidCursor = "invalidCursor"
	expiredCursor = "expiredCursor"
	invalidCount  = "invalidCount"
)

// cursorTimeout is how long a cursor stays valid (advertised in
// /ServiceProviderConfig as pagination.cursorTimeout).
const cursorTimeout = time.Hour

// pageCursor is a position in a cursor-paged list; the zero value is the
// first page.
type pageCursor struct {
	Query  string     `json:"q"`           // the digest of the query it belongs to
	After  *uuid.UUID `json:"a,omitempty"` // the page of the ids after this one
	Before *uuid.UUID `json:"b,omitempty"` // the page of the ids before this one
	Offset int        `json:"o,omitempty"` // under sortBy: the page from this position
	Issued int64      `json:"t"`           // Unix seconds
}

// queryDigest names a list query for its cursors: the resource path (with
// its directory) and the parameters that decide the order of the results.
func queryDigest(r *http.Request, p searchParams) string {
	path := strings.TrimSuffix(r.URL.Path, "/.search")
	h := sha256.Sum256([]byte(strings.Join([]string{path, p.Filter, strings.ToLower(p.SortBy), strings.ToLower(p.SortOrder)}, "\x00")))
	return hex.EncodeToString(h[:8])
}

// decodeCursor reads the cursor text of a request for the query digest:
// empty is the first page.
func decodeCursor(text, digest string, now time.Time) (*pageCursor, error) {
	if text == "" {
		return &pageCursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(text)
	var c pageCursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.After != nil && c.Before != nil || c.Offset < 0 {
		return nil, errorf(http.StatusBadRequest, invalidCursor,
			"the cursor is not one this server issued: send an empty cursor for the first page, then nextCursor or previousCursor")
	}
	if c.Query != digest {
		return nil, errorf(http.StatusBadRequest, invalidCursor,
			"the cursor belongs to another query: send the same filter and sort as the request that returned it")
	}
	if now.Sub(time.Unix(c.Issued, 0)) > cursorTimeout {
		return nil, errorf(http.StatusBadRequest, expiredCursor,
			"the cursor has expired: cursors are valid for "+cursorTimeout.String()+"; start again with an empty cursor")
	}
	return &c, nil
}

// encode writes c, for the query digest, issued at now.
func (c *pageCursor) encode(digest string, now time.Time) string {
	c.Query, c.Issued = digest, now.Unix()
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}
