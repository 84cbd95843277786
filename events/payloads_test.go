package events_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/ent/webhookendpoint"
	"github.com/acme/directory/events"
)

// TestPayloadsCoverColumns: every column of a subject's table is either a
// field of its payload (by GraphQL's name) or named in events.LeftOut, so a
// column added to a schema fails here until someone decides whether events
// show it.
func TestPayloadsCoverColumns(t *testing.T) {
	for _, c := range []struct {
		table   string
		columns []string
		payload any
	}{
		{user.Table, user.Columns, events.User{}},
		{group.Table, group.Columns, events.Group{}},
		{directory.Table, directory.Columns, events.Directory{}},
		{directorytoken.Table, directorytoken.Columns, events.Token{}},
		{role.Table, role.Columns, events.Role{}},
		{webhookendpoint.Table, webhookendpoint.Columns, events.WebhookEndpoint{}},
	} {
		fields := jsonNames(reflect.TypeOf(c.payload))
		for _, col := range c.columns {
			inPayload := slices.Contains(fields, camel(col))
			leftOut := slices.Contains(events.LeftOut[c.table], col)
			switch {
			case inPayload && leftOut:
				t.Errorf("%s.%s is both in the payload and in LeftOut", c.table, col)
			case !inPayload && !leftOut:
				t.Errorf("%s.%s is neither a field of %T nor in events.LeftOut: decide whether events show it",
					c.table, col, c.payload)
			}
		}
		for _, f := range fields {
			if !slices.ContainsFunc(c.columns, func(col string) bool { return camel(col) == f }) {
				t.Errorf("%T.%s has no column in %s", c.payload, f, c.table)
			}
		}
	}
}

// TestCatalogueTypes: every declared payload has its own type and Go
// type, and Types lists them in the Catalogue's order.
func TestCatalogueTypes(t *testing.T) {
	seen := map[string]bool{}
	goTypes := map[reflect.Type]bool{}
	for i, p := range events.Catalogue {
		typ := p.EventType()
		if seen[typ] || goTypes[reflect.TypeOf(p)] {
			t.Errorf("%s (%T) is declared twice", typ, p)
		}
		seen[typ], goTypes[reflect.TypeOf(p)] = true, true
		if events.Types()[i] != typ {
			t.Errorf("Types()[%d] = %s; want %s", i, events.Types()[i], typ)
		}
	}
}

// jsonNames is the JSON names of a struct's fields.
func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// camel is entgql's GraphQL name of an ent column: organization_id ->
// organizationID, profile_url -> profileURL.
func camel(col string) string {
	parts := strings.Split(col, "_")
	for i, p := range parts {
		switch {
		case i == 0:
		case p == "id" || p == "url":
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
