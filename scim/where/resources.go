package where

import (
	"strings"

	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/attrs"
	"github.com/acme/directory/scim/schema"
)

// userResource is the attribute namespace of the User resource: the
// attributes of the table in package attrs, and the user's groups.
var userResource = build(attrs.User,
	[]string{schema.UserURN, schema.EnterpriseUserURN},
	map[string]entry{"groups": {multi: memberships("groups", membership.FieldUserID, membership.FieldGroupID, user.FieldID)}})

// groupResource is the attribute namespace of the Group resource: the
// attributes of the table in package attrs, and the group's members.
var groupResource = build(attrs.Group,
	[]string{schema.GroupURN},
	map[string]entry{"members": {multi: memberships("members", membership.FieldGroupID, membership.FieldUserID, group.FieldID)}})

// notStored are meta sub-attributes that are not stored at all.
var notStored = []string{"meta.location", "meta.resourceType"}

// build makes the namespace of a resource from its attribute table. urns
// are its schemas, the core one first: bare names are looked up in that
// order, and the table's common attributes (id, externalId, meta) belong to
// the core schema. joined are the core attributes stored in other tables.
func build[E any](t *attrs.Table[E], urns []string, joined map[string]entry) *resource {
	r := &resource{
		schemas:      map[string]string{},
		attrs:        map[string]map[string]entry{},
		unfilterable: map[string]string{},
	}
	for _, urn := range urns {
		ns := strings.ToLower(urn)
		r.schemas[ns] = ns
		r.namespaces = append(r.namespaces, ns)
		r.attrs[ns] = map[string]entry{}
	}
	coreNS := r.namespaces[0]
	for name, e := range joined {
		r.attrs[coreNS][strings.ToLower(name)] = e
	}
	for _, p := range notStored {
		r.unfilterable[strings.ToLower(p)] = "cannot be filtered"
	}
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if a.NoFilter {
			r.unfilterable[strings.ToLower(a.Path)] = "cannot be filtered"
			continue
		}
		ns := coreNS
		if a.Schema != "" {
			ns = strings.ToLower(a.Schema)
		}
		name, sub := a.Split()
		key := strings.ToLower(name)
		switch {
		case a.Kind == attrs.ID:
			r.id = a.Field
			r.attrs[ns][key] = entry{scalar: scalarOf(a)}
		case a.Multi():
			r.attrs[ns][key] = entry{multi: multiOf(a)}
		case sub == "":
			r.attrs[ns][key] = entry{scalar: scalarOf(a)}
		default:
			c := r.attrs[ns][key].complex
			if c == nil {
				c = &complexAttr{name: name, subs: map[string]*scalarAttr{}}
				r.attrs[ns][key] = entry{complex: c}
			}
			c.subs[strings.ToLower(sub)] = scalarOf(a)
			if sub == "value" {
				c.defaultSub = "value"
			}
		}
	}
	return r
}

// scalarOf is the SQL view of a single-valued attribute of the table.
func scalarOf[E any](a *attrs.Attr[E]) *scalarAttr {
	s := &scalarAttr{name: a.Path, sortKey: a.Sort, value: column(a.Field)}
	switch a.Kind {
	case attrs.ID:
		s.kind, s.notNull = kID, true
	case attrs.Time:
		s.kind, s.notNull = kTime, true
	case attrs.Bool:
		s.kind, s.truth = kBool, cond(column(a.Field))
	default:
		s.kind, s.fold = kString, foldOf(a.Fold)
		if a.Fold == attrs.Keyed {
			// The key column is NOT NULL: the attribute is required.
			s.value, s.notNull = column(a.Key), true
		}
	}
	return s
}

// multiOf is the SQL view of a JSON array attribute of the table.
func multiOf[E any](a *attrs.Attr[E]) *multiAttr {
	m := jsonArray(a.Path, a.Field, a.Kind.Elements())
	if v := m.subs["value"]; v != nil {
		v.fold = foldOf(a.Fold)
	}
	if a.Sort && a.Primary != "" {
		m.sortBy = &scalarAttr{name: a.Path + ".value", kind: kString, fold: foldOf(a.Fold),
			sortKey: true, value: column(a.Primary)}
	}
	return m
}

func foldOf(f attrs.Fold) fold {
	switch f {
	case attrs.CaseIgnore:
		return lowered
	case attrs.Keyed:
		return keyed
	}
	return exact
}
