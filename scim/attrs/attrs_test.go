package attrs_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/schema"
)

// fieldsOf lists every field a table names, once per mention.
func fieldsOf[E any](t *attrs.Table[E]) []string {
	out := []string{t.Raw}
	for _, a := range t.Attrs {
		for _, f := range []string{a.Field, a.Key, a.Primary} {
			if f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// TestEveryColumnOnce: every column holding SCIM data is named by exactly
// one entry of its table, and the tables name no other field.
func TestEveryColumnOnce(t *testing.T) {
	tenancy := []string{"organization_id", "directory_id"} // not SCIM data: the owner of the row
	check := func(name string, columns, named []string) {
		count := map[string]int{}
		for _, f := range named {
			count[f]++
		}
		for _, c := range columns {
			switch n := count[c]; {
			case slices.Contains(tenancy, c):
				if n != 0 {
					t.Errorf("%s: tenancy column %s in the table", name, c)
				}
			case n != 1:
				t.Errorf("%s: column %s named %d times; want once", name, c, n)
			}
			delete(count, c)
		}
		for f := range count {
			t.Errorf("%s: the table names %q, which is no column", name, f)
		}
	}
	check("User", user.Columns, fieldsOf(attrs.User))
	check("Group", group.Columns, fieldsOf(attrs.Group))
}

// TestPathsOnce: no attribute is in a table twice.
func TestPathsOnce(t *testing.T) {
	check := func(name string, paths []string) {
		seen := map[string]bool{}
		for _, p := range paths {
			if seen[strings.ToLower(p)] {
				t.Errorf("%s: %s twice", name, p)
			}
			seen[strings.ToLower(p)] = true
		}
	}
	var u, g []string
	for _, a := range attrs.User.Attrs {
		u = append(u, a.Schema+":"+a.Path)
	}
	for _, a := range attrs.Group.Attrs {
		g = append(g, a.Schema+":"+a.Path)
	}
	check("User", u)
	check("Group", g)
}

// TestDiscoveryAgrees checks the tables against the discovery schemas
// (scim/schema): each stored attribute resolves there, with the type,
// plurality, case sensitivity and requirement its kind and fold imply,
// and each attribute of the schemas is stored unless listed in unstored.
func TestDiscoveryAgrees(t *testing.T) {
	checkDiscovery(t, attrs.User, []string{
		"password",     // accepted and discarded
		"groups",       // memberships
		"manager.$ref", // rendered from manager.value
	})
	checkDiscovery(t, attrs.Group, []string{"members"})
}

func checkDiscovery[E any](t *testing.T, tab *attrs.Table[E], unstored []string) {
	t.Helper()
	rt := tab.Type
	stored := map[string]bool{}
	for i := range tab.Attrs {
		a := &tab.Attrs[i]
		name, sub := a.Split()
		stored[strings.ToLower(a.Schema+":"+a.Path)] = true
		owner, at, subAt, err := rt.Resolve(a.Schema, name, sub)
		if err != nil {
			t.Errorf("%s %s %s: %v", rt.Name, a.Schema, a.Path, err)
			continue
		}
		if (owner == nil) != (a.Schema == "") || owner != nil && owner.ID != a.Schema {
			t.Errorf("%s %s: resolves in schema %v; the table says %q", rt.Name, a.Path, owner, a.Schema)
		}
		if subAt != nil {
			at = subAt
		}
		checkKind(t, rt.Name+" "+a.Path, a, at)
		if a.Ref != "" {
			parent := rt.SchemaFor(a.Schema).Attr(name)
			if r := parent.Sub("$ref"); r == nil || r.Type != schema.Reference ||
				!slices.Contains(r.ReferenceTypes, strings.TrimSuffix(a.Ref, "s")) {
				t.Errorf("%s %s: Ref %q but %s.$ref is %+v", rt.Name, a.Path, a.Ref, name, r)
			}
		}
		if a.Required != at.Required {
			t.Errorf("%s %s: Required %v; discovery says %v", rt.Name, a.Path, a.Required, at.Required)
		}
		if a.Sort && a.Multi() && a.Primary == "" {
			t.Errorf("%s %s: a multi-valued attribute sorts by its Primary field, and has none", rt.Name, a.Path)
		}
	}
	for _, s := range append([]*schema.Schema{rt.Schema}, rt.Extensions...) {
		for _, at := range s.Attributes {
			var paths []string
			if at.Type == schema.Complex && !at.MultiValued {
				for _, sub := range at.SubAttributes {
					paths = append(paths, at.Name+"."+sub.Name)
				}
			} else {
				paths = []string{at.Name}
			}
			for _, p := range paths {
				in, out := stored[strings.ToLower(s.ID+":"+p)], slices.Contains(unstored, p)
				if in == out {
					t.Errorf("%s %s: in the table: %v; listed as unstored: %v; want exactly one", rt.Name, p, in, out)
				}
			}
		}
	}
	for _, p := range []string{"id", "externalId", "meta.created", "meta.lastModified", "meta.version"} {
		if !stored[strings.ToLower(":"+p)] {
			t.Errorf("%s: common attribute %s not in the table", rt.Name, p)
		}
	}
}

// checkKind compares an entry's kind and fold with its definition.
func checkKind[E any](t *testing.T, what string, a *attrs.Attr[E], at *schema.Attribute) {
	t.Helper()
	types := map[attrs.Kind][]schema.Type{
		attrs.String: {schema.String, schema.Reference}, attrs.Bool: {schema.Boolean},
		attrs.MultiValued: {schema.Complex}, attrs.Addresses: {schema.Complex},
		attrs.ID: {schema.String}, attrs.Time: {schema.DateTime}, attrs.Version: {schema.String},
	}
	if !slices.Contains(types[a.Kind], at.Type) || at.MultiValued != a.Multi() {
		t.Errorf("%s: kind %d, but discovery says %s (multi %v)", what, a.Kind, at.Type, at.MultiValued)
		return
	}
	caseOf := at
	if a.Multi() {
		var names []string
		for _, e := range a.Kind.Elements() {
			names = append(names, e.Key)
			if sub := at.Sub(e.Key); sub == nil || (sub.Type == schema.Boolean) != e.Bool {
				t.Errorf("%s: element field %s (bool %v) is not a sub-attribute %+v", what, e.Key, e.Bool, sub)
			}
		}
		var subs []string
		for _, s := range at.SubAttributes {
			subs = append(subs, s.Name)
		}
		if !slices.Equal(names, subs) {
			t.Errorf("%s: element fields %v; discovery sub-attributes %v", what, names, subs)
		}
		if caseOf = at.Sub("value"); caseOf == nil {
			return
		}
	}
	if a.Kind != attrs.String && !a.Multi() {
		return
	}
	exact := caseOf.CaseExact || caseOf.Type == schema.Binary
	if (a.Fold == attrs.CaseExact) != exact {
		t.Errorf("%s: fold %d, but discovery says caseExact %v (type %s)", what, a.Fold, caseOf.CaseExact, caseOf.Type)
	}
	if (a.Fold == attrs.Keyed) != (a.Key != "") {
		t.Errorf("%s: fold %d with key field %q", what, a.Fold, a.Key)
	}
}

func TestElements(t *testing.T) {
	keys := func(k attrs.Kind) (out []string) {
		for _, e := range k.Elements() {
			out = append(out, e.Key)
		}
		return out
	}
	if got := keys(attrs.MultiValued); !slices.Equal(got, []string{"value", "display", "type", "primary"}) {
		t.Errorf("MultiValued elements %v", got)
	}
	if got := keys(attrs.Addresses); !slices.Equal(got, []string{"formatted", "streetAddress", "locality",
		"region", "postalCode", "country", "type", "primary"}) {
		t.Errorf("Addresses elements %v", got)
	}
	if attrs.String.Elements() != nil {
		t.Error("String has elements")
	}
}
