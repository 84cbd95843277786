package graph

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/graph/generated"
	"github.com/acme/directory/graph/model"
)

// TestEnumsFollowTheirGoTypes: the GraphQL enums of the vocabularies
// declared once in Go (key scopes, providers, delivery statuses) list
// exactly the Go values in upper case, in the same order, then the stored
// lower-case values, deprecated in favour of their upper-case spelling, so
// the schema cannot drift from them.
func TestEnumsFollowTheirGoTypes(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for enum, stored := range map[string][]string{
		"APIKeyScope":           access.Scope("").Values(),
		"DirectoryProvider":     schematype.Provider("").Values(),
		"WebhookDeliveryStatus": model.WebhookDeliveryStatusValues(),
	} {
		def := schema.Types[enum]
		if def == nil {
			t.Fatalf("no enum %s in the schema", enum)
		}
		var want, got []string
		for _, v := range stored {
			want = append(want, strings.ToUpper(v))
		}
		want = append(want, stored...)
		for _, v := range def.EnumValues {
			got = append(got, v.Name)
			dep := v.Directives.ForName("deprecated")
			switch upper := strings.ToUpper(v.Name); {
			case v.Name == upper && dep != nil:
				t.Errorf("enum %s: %s is deprecated", enum, v.Name)
			case v.Name != upper && dep == nil:
				t.Errorf("enum %s: %s is not deprecated", enum, v.Name)
			case v.Name != upper && dep.Arguments.ForName("reason").Value.Raw != "Use "+upper+".":
				t.Errorf("enum %s: %s's deprecation reason is %q", enum, v.Name, dep.Arguments.ForName("reason").Value.Raw)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("enum %s = %v; want %v", enum, got, want)
		}
	}
}

// TestEnumValuesReadBothSpellings: a value reads in upper case and in its
// deprecated lower case, as the stored (lower-case) value, is written in
// upper case, and nothing else reads.
func TestEnumValuesReadBothSpellings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		read  func(string) (string, error)
		valid bool
	}{
		{"scope upper", "ORG_ADMIN", readScope, true},
		{"scope lower", "org_admin", readScope, true},
		{"scope provisioner", "PROVISIONER", readScope, false},
		{"scope mixed", "Org_Admin", readScope, false},
		{"provider upper", "JUMPCLOUD", readProvider, true},
		{"provider lower", "jumpcloud", readProvider, true},
		{"provider unknown", "GOOGLE", readProvider, false},
		{"status upper", "SUCCEEDED", readStatus, true},
		{"status lower", "succeeded", readStatus, true},
		{"status unknown", "DONE", readStatus, false},
	} {
		out, err := tc.read(tc.in)
		if tc.valid && (err != nil || out != `"`+strings.ToUpper(tc.in)+`"`) {
			t.Errorf("%s: %q reads and writes back as %s, %v; want %q", tc.name, tc.in, out, err, strings.ToUpper(tc.in))
		}
		if !tc.valid && err == nil {
			t.Errorf("%s: %q reads", tc.name, tc.in)
		}
	}
}

func readScope(in string) (string, error) {
	var s access.Scope
	if err := s.UnmarshalGQL(in); err != nil {
		return "", err
	}
	if string(s) != strings.ToLower(in) {
		return "", fmt.Errorf("read as %q, not the stored value", s)
	}
	var b strings.Builder
	s.MarshalGQL(&b)
	return b.String(), nil
}

func readProvider(in string) (string, error) {
	var p schematype.Provider
	if err := p.UnmarshalGQL(in); err != nil {
		return "", err
	}
	if string(p) != strings.ToLower(in) {
		return "", fmt.Errorf("read as %q, not the stored value", p)
	}
	var b strings.Builder
	p.MarshalGQL(&b)
	return b.String(), nil
}

func readStatus(in string) (string, error) {
	var s model.WebhookDeliveryStatus
	if err := s.UnmarshalGQL(in); err != nil {
		return "", err
	}
	if string(s.Stored()) != strings.ToLower(in) {
		return "", fmt.Errorf("read as stored %q", s.Stored())
	}
	var b strings.Builder
	s.MarshalGQL(&b)
	return b.String(), nil
}
