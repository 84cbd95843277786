package patch

import (
	"slices"
	"strings"

	"github.com/acme/directory/scim/filter"
)

// MemberChange is one change to the deferred multi-valued attribute (a
// group's members), to be run by the caller as set-based SQL:
//
//   - "add": add IDs (ids already members stay as they are);
//   - "remove": remove IDs (ids that are not members are ignored);
//   - "replace": make IDs the only members; with no IDs, remove them all.
//
// IDs are the members' "value" sub-attributes as sent, each once. Apply
// returns the changes in request order, normalised: a replace absorbs the
// changes before it and the adds and removes after it, so a request holds
// either one replace or a sequence of alternating adds and removes.
type MemberChange struct {
	Kind string   // "add", "remove" or "replace"
	IDs  []string // member values
}

// memberChanges accumulates the normalised MemberChanges of one Apply.
type memberChanges struct {
	list []MemberChange
}

func (c *memberChanges) last() *MemberChange {
	if len(c.list) == 0 {
		return nil
	}
	return &c.list[len(c.list)-1]
}

func (c *memberChanges) replace(ids []string) {
	c.list = []MemberChange{{Kind: "replace", IDs: unique(nil, ids)}}
}

func (c *memberChanges) add(ids []string) {
	if len(ids) == 0 {
		return
	}
	if l := c.last(); l != nil && (l.Kind == "add" || l.Kind == "replace") {
		l.IDs = unique(l.IDs, ids)
		return
	}
	c.list = append(c.list, MemberChange{Kind: "add", IDs: unique(nil, ids)})
}

func (c *memberChanges) remove(ids []string) {
	if len(ids) == 0 {
		return
	}
	l := c.last()
	switch {
	case l != nil && l.Kind == "remove":
		l.IDs = unique(l.IDs, ids)
	case l != nil && l.Kind == "replace":
		gone := make(map[string]bool, len(ids))
		for _, id := range ids {
			gone[id] = true
		}
		l.IDs = slices.DeleteFunc(l.IDs, func(id string) bool { return gone[id] })
	default:
		c.list = append(c.list, MemberChange{Kind: "remove", IDs: unique(nil, ids)})
	}
}

// unique appends to have the ids it does not hold yet, in order.
func unique(have, ids []string) []string {
	seen := make(map[string]bool, len(have)+len(ids))
	for _, id := range have {
		seen[id] = true
	}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			have = append(have, id)
		}
	}
	if have == nil {
		have = []string{}
	}
	return have
}

// deferredOp turns an operation on the deferred attribute into member
// changes. p is nil for a path-less operation ({"members": [...]}).
func (a *applier) deferredOp(op string, p *filter.Path, value any) error {
	path := a.deferred
	if p != nil {
		path = p.String()
		if p.Attr.Sub != "" {
			return errorf(InvalidPath, path, "%s are added and removed whole; %s cannot be changed", a.deferred, path)
		}
		if p.Filter != nil && op != "remove" {
			return errorf(InvalidPath, path, "a %s filter selects members to remove; to %s members, give them in the value", a.deferred, op)
		}
	}
	if p != nil && p.Filter != nil {
		ids, err := a.filterIDs(p.Filter, path)
		if err != nil {
			return err
		}
		a.members.remove(ids)
		return nil
	}
	ids, err := a.memberIDs(value, path)
	if err != nil {
		return err
	}
	switch {
	case op == "add":
		a.members.add(ids)
	case op == "replace":
		a.members.replace(ids)
	case value == nil: // remove with no value: all members (RFC 7644 §3.5.2.2)
		a.members.replace(nil)
	default:
		a.members.remove(ids)
	}
	return nil
}

// memberIDs reads the "value" of each member object of an array (a lone
// object or a bare id string is accepted too).
func (a *applier) memberIDs(value any, path string) ([]string, error) {
	var items []any
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []any:
		items = v
	default:
		items = []any{v}
	}
	ids := make([]string, 0, len(items))
	for _, item := range items {
		id, ok := item.(string)
		if obj, isObj := item.(map[string]any); isObj {
			v, _ := getKey(obj, "value")
			id, ok = v.(string)
		}
		if !ok || strings.TrimSpace(id) == "" {
			return nil, errorf(InvalidValue, path, "each of %s needs a string \"value\", the member's id; got %s", a.deferred, describe(item))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// filterIDs reads the ids of a members filter: `value eq "id"`, or several
// of those joined with or (Okta, Entra ID). Any other filter would need the
// members loaded and is refused.
func (a *applier) filterIDs(e filter.Expr, path string) ([]string, error) {
	switch x := e.(type) {
	case *filter.Or:
		left, err := a.filterIDs(x.Left, path)
		if err != nil {
			return nil, err
		}
		right, err := a.filterIDs(x.Right, path)
		return append(left, right...), err
	case *filter.Compare:
		if x.Op == filter.OpEq && x.Attr.URN == "" && x.Attr.Sub == "" &&
			strings.EqualFold(x.Attr.Name, "value") && x.Value.Kind == filter.KindString {
			return []string{x.Value.Str}, nil
		}
	}
	return nil, errorf(InvalidPath, path,
		`a %s filter must be value eq "<id>", or several joined with or; %s is not supported`, a.deferred, e)
}
