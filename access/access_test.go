package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/fault"
)

// TestOrganizationOr: the one rule behind every organizationID argument.
func TestOrganizationOr(t *testing.T) {
	own, other := uuid.New(), uuid.New()
	for _, c := range []struct {
		name string
		v    *Viewer
		id   *uuid.UUID
		want uuid.UUID
	}{
		{"org key, omitted", &Viewer{Scope: OrgRead, OrganizationID: own}, nil, own},
		{"portal session, omitted", &Viewer{Scope: OrgAdmin, OrganizationID: own, Actor: "portal_session"}, nil, own},
		{"org key, another organization given", &Viewer{Scope: OrgAdmin, OrganizationID: own}, &other, other},
		{"platform key, given", &Viewer{Scope: Platform}, &other, other},
	} {
		got, err := c.v.OrganizationOr(c.id, "organizationID")
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	for _, v := range []*Viewer{{Scope: Platform}, nil} {
		_, err := v.OrganizationOr(nil, "organizationID")
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Code != fault.Invalid || fe.Field != "organizationID" || !strings.Contains(fe.Message, "required with a platform key") {
			t.Errorf("viewer %+v, omitted: %v; want Invalid on organizationID", v, err)
		}
	}
}
