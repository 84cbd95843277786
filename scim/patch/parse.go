package patch

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// Operation is one PATCH operation.
type Operation struct {
	Op    string       // "add", "replace" or "remove", lower-cased
	Path  *filter.Path // nil when the operation has no path
	Value any          // the decoded JSON value (json.Number for numbers); nil when absent or null
}

// Parse reads a PatchOp request body (RFC 7644 §3.5.2):
//
//	{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//	 "Operations": [{"op": "replace", "path": "active", "value": false}]}
//
// Member names ("schemas", "Operations", "op", "path", "value"), op values
// and the URN are matched in any letter case. The schemas member must list
// the PatchOp URN, and Operations must be a non-empty array; otherwise, or
// when an op is unknown or an add or replace has no value, the error's
// scimType is invalidSyntax. A malformed path is invalidPath. An empty path
// counts as no path.
func Parse(body []byte) ([]Operation, error) {
	var msg map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&msg); err != nil {
		return nil, errorf(InvalidSyntax, "", "the body is not a JSON object: %v", err)
	}
	if msg == nil {
		return nil, errorf(InvalidSyntax, "", "the body is not a JSON object")
	}
	if dec.More() {
		return nil, errorf(InvalidSyntax, "", "the body has data after its JSON object")
	}
	if err := checkPatchSchema(msg); err != nil {
		return nil, err
	}
	raw, _ := member(msg, "Operations")
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf(InvalidSyntax, "Operations", "a PATCH request needs a non-empty Operations array")
	}
	ops := make([]Operation, len(list))
	for i, v := range list {
		op, err := parseOperation(v)
		if err != nil {
			return nil, err
		}
		ops[i] = op
	}
	return ops, nil
}

func checkPatchSchema(msg map[string]any) *Error {
	raw, _ := member(msg, "schemas")
	list, _ := raw.([]any)
	for _, v := range list {
		if s, ok := v.(string); ok && strings.EqualFold(s, schema.PatchOpURN) {
			return nil
		}
	}
	return errorf(InvalidSyntax, "schemas", "schemas must list %s", schema.PatchOpURN)
}

func parseOperation(v any) (Operation, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Operation{}, errorf(InvalidSyntax, "Operations", "each operation must be a JSON object")
	}
	rawOp, _ := member(obj, "op")
	name, _ := rawOp.(string)
	op := Operation{Op: strings.ToLower(name)}
	switch op.Op {
	case "add", "replace", "remove":
	default:
		return Operation{}, errorf(InvalidSyntax, "op", "unknown op %q: want add, replace or remove", name)
	}
	value, hasValue := member(obj, "value")
	if !hasValue && op.Op != "remove" {
		return Operation{}, errorf(InvalidSyntax, "value", "a %s operation needs a value", op.Op)
	}
	op.Value = value
	rawPath, _ := member(obj, "path")
	switch p := rawPath.(type) {
	case nil:
	case string:
		if strings.TrimSpace(p) == "" {
			break
		}
		path, err := filter.ParsePath(p)
		if err != nil {
			return Operation{}, errorf(InvalidPath, "path", "%q: %v", p, err)
		}
		op.Path = &path
	default:
		return Operation{}, errorf(InvalidPath, "path", "path must be a string")
	}
	return op, nil
}

// member reads a member of a JSON object whatever its letter case,
// preferring the exact spelling.
func member(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
