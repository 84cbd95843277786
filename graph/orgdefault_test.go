package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
)

// platformNeedsOrganization is the message of an omitted organizationID
// with a platform key (a top-level error's starts with "organizationID: ").
const platformNeedsOrganization = "is required with a platform key, which belongs to no organization"

// TestOrganizationDefault: with an org key, every organizationID argument
// and input field may be left out and means the key's organization; a
// platform key that leaves it out gets BAD_USER_INPUT naming it; another
// organization's id stays out of an org key's reach.
func TestOrganizationDefault(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		b := startBroker(t, s, broker.Config{DatabaseURL: url, Poll: time.Minute})
		a := newAPI(t, s.Client, s.Dialect, Config{Broker: b})
		svc := domain.New(s.Client, s.Dialect)
		pctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Own"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := svc.CreateDirectory(pctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seedDirectory(t, s.Client, dir.Directory, []string{"ada@example.com"}, nil)
		read := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		admin := newOrgKey(t, s.Client, access.OrgAdmin, org.ID)
		own := org.ID.String()

		t.Run("queries", func(t *testing.T) {
			var u struct {
				User *struct{ OrganizationID string }
			}
			a.ok(read, `{ user(userName: "ada@example.com") { organizationID } }`, nil, &u)
			if u.User == nil || u.User.OrganizationID != own {
				t.Errorf("user without organizationID: %+v; want the key's organization's", u.User)
			}
			type page struct {
				Events struct{ Edges []struct{ Cursor string } }
			}
			var omitted, named page
			a.ok(read, `{ events(first: 100) { edges { cursor } } }`, nil, &omitted)
			a.ok(read, `query($org: ID) { events(organizationID: $org, first: 100) { edges { cursor } } }`,
				map[string]any{"org": own}, &named)
			if len(omitted.Events.Edges) == 0 || len(omitted.Events.Edges) != len(named.Events.Edges) {
				t.Errorf("events without organizationID: %d; with it: %d", len(omitted.Events.Edges), len(named.Events.Edges))
			}
			var w struct {
				WebhookEndpoints []struct{ OrganizationID string }
			}
			a.ok(admin, `{ webhookEndpoints { organizationID } }`, nil, &w)
		})

		t.Run("mutations", func(t *testing.T) {
			var created struct {
				RoleCreate struct {
					Role       *struct{ ID, OrganizationID string }
					UserErrors []json.RawMessage
				}
				DirectoryCreate struct {
					Directory  *struct{ OrganizationID string }
					UserErrors []json.RawMessage
				}
				WebhookEndpointCreate struct {
					WebhookEndpoint *struct{ OrganizationID string }
					UserErrors      []json.RawMessage
				}
				CreateRole struct{ OrganizationID string }
			}
			a.ok(admin, `mutation {
				roleCreate(input: {key: "admin", name: "Admin"}) { role { id organizationID } userErrors { code } }
				directoryCreate(input: {provider: OKTA}) { directory { organizationID } userErrors { code } }
				webhookEndpointCreate(input: {url: "https://app.example/hooks"}) { webhookEndpoint { organizationID } userErrors { code } }
				createRole(input: {key: "viewer", name: "Viewer"}) { organizationID } }`, nil, &created)
			if r := created.RoleCreate.Role; r == nil || r.OrganizationID != own {
				t.Errorf("roleCreate: %+v", created.RoleCreate)
			}
			if d := created.DirectoryCreate.Directory; d == nil || d.OrganizationID != own {
				t.Errorf("directoryCreate: %+v", created.DirectoryCreate)
			}
			if w := created.WebhookEndpointCreate.WebhookEndpoint; w == nil || w.OrganizationID != own {
				t.Errorf("webhookEndpointCreate: %+v", created.WebhookEndpointCreate)
			}
			if created.CreateRole.OrganizationID != own {
				t.Errorf("createRole: %+v", created.CreateRole)
			}
			var set struct {
				OrganizationDefaultRoleSet struct{ Organization *struct{ ID string } }
				SetDefaultRole             struct{ ID string }
			}
			a.ok(admin, `mutation($role: ID!) {
				organizationDefaultRoleSet(input: {roleID: $role}) { organization { id } }
				setDefaultRole(roleID: null) { id } }`,
				map[string]any{"role": created.RoleCreate.Role.ID}, &set)
			if o := set.OrganizationDefaultRoleSet.Organization; o == nil || o.ID != own || set.SetDefaultRole.ID != own {
				t.Errorf("default role set without organizationID: %+v", set)
			}
		})

		t.Run("portal session", func(t *testing.T) {
			link, err := svc.CreatePortalLink(pctx, org.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := auth.New(svc, auth.Config{}).RedeemPortalLink(context.Background(), link.Token)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"query": `mutation {
				roleCreate(input: {key: "portal", name: "Portal"}) { role { organizationID } userErrors { code } } }`})
			req, _ := http.NewRequest(http.MethodPost, a.srv.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(auth.CSRFHeader, sess.CSRF)
			req.AddCookie(&http.Cookie{Name: auth.PortalCookie, Value: sess.Token})
			r := a.send(req)
			var got struct {
				RoleCreate struct {
					Role *struct{ OrganizationID string }
				}
			}
			if err := json.Unmarshal(r.Data, &got); err != nil || got.RoleCreate.Role == nil ||
				got.RoleCreate.Role.OrganizationID != own {
				t.Errorf("roleCreate in a portal session without organizationID: %s", r.raw)
			}
		})

		t.Run("subscription", func(t *testing.T) {
			ws := dialWS(t, a.srv.URL)
			if m, err := ws.init(map[string]any{"Authorization": "Bearer " + read}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("connection_init: %+v, %v", m, err)
			}
			p, _ := json.Marshal(map[string]any{"query": `subscription { events { cursor } }`})
			ws.send(wsMsg{ID: "own", Type: "subscribe", Payload: p})
			time.Sleep(200 * time.Millisecond) // subscribed before the writes
			makeRoles(t, svc, other.ID, "elsewhere", 1)
			makeRoles(t, svc, org.ID, "here", 1)
			want := allAfter(t, s, org.ID, events.Cursor{})
			got := ws.collect(map[string]int{"own": 1}, 10*time.Second)
			if c := got["own"][0].Cursor; c != want[len(want)-1] {
				t.Errorf("subscription without organizationID delivered %s; want the key's organization's last event %s", c, want[len(want)-1])
			}
			ws.quiet(300 * time.Millisecond)
		})

		t.Run("a platform key must name the organization", func(t *testing.T) {
			for _, q := range []string{
				`{ user(userName: "ada@example.com") { id } }`,
				`{ events(first: 1) { edges { cursor } } }`,
				`{ webhookEndpoints { id } }`,
				`mutation { setDefaultRole(roleID: null) { id } }`,
			} {
				r := a.fails(a.platform, q, nil, "BAD_USER_INPUT", "organizationID")
				if r.Errors[0].Message != "organizationID: "+platformNeedsOrganization {
					t.Errorf("%s: %q", q, r.Errors[0].Message)
				}
			}
			for _, q := range []string{
				`mutation { createRole(input: {key: "k", name: "K"}) { id } }`,
				`mutation { createDirectory(input: {provider: OKTA}) { bearerToken } }`,
				`mutation { createWebhookEndpoint(input: {url: "https://app.example/x"}) { secret } }`,
			} {
				a.fails(a.platform, q, nil, "BAD_USER_INPUT", "input.organizationID")
			}
			var ue struct {
				RoleCreate                 struct{ UserErrors []userErrorJSON }
				DirectoryCreate            struct{ UserErrors []userErrorJSON }
				WebhookEndpointCreate      struct{ UserErrors []userErrorJSON }
				OrganizationDefaultRoleSet struct{ UserErrors []userErrorJSON }
			}
			a.ok(a.platform, `mutation {
				roleCreate(input: {key: "k", name: "K"}) { userErrors { field code message } }
				directoryCreate(input: {provider: OKTA}) { userErrors { field code message } }
				webhookEndpointCreate(input: {url: "https://app.example/x"}) { userErrors { field code message } }
				organizationDefaultRoleSet(input: {roleID: null}) { userErrors { field code message } } }`, nil, &ue)
			for name, errs := range map[string][]userErrorJSON{"roleCreate": ue.RoleCreate.UserErrors,
				"directoryCreate": ue.DirectoryCreate.UserErrors, "webhookEndpointCreate": ue.WebhookEndpointCreate.UserErrors,
				"organizationDefaultRoleSet": ue.OrganizationDefaultRoleSet.UserErrors} {
				if len(errs) != 1 || errs[0].Code != "BAD_USER_INPUT" || len(errs[0].Field) != 2 ||
					errs[0].Field[1] != "organizationID" || errs[0].Message != platformNeedsOrganization {
					t.Errorf("%s: userErrors %+v", name, errs)
				}
			}
			ws := dialWS(t, a.srv.URL)
			if m, err := ws.init(map[string]any{"Authorization": "Bearer " + a.platform}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("connection_init: %+v, %v", m, err)
			}
			p, _ := json.Marshal(map[string]any{"query": `subscription { events { cursor } }`})
			ws.send(wsMsg{ID: "1", Type: "subscribe", Payload: p})
			m, err := ws.read(10 * time.Second)
			var got struct{ Errors []gqlError }
			if err == nil {
				err = json.Unmarshal(m.Payload, &got)
			}
			if errs := got.Errors; err != nil || m.Type != "next" || len(errs) != 1 ||
				errs[0].Extensions.Code != "BAD_USER_INPUT" || errs[0].Extensions.Field != "organizationID" {
				t.Errorf("platform subscription without organizationID: %+v %s, %v", m, m.Payload, err)
			}
		})

		t.Run("another organization stays out of reach", func(t *testing.T) {
			vars := map[string]any{"org": other.ID.String()}
			var u struct{ User *struct{ ID string } }
			r := a.do(read, `query($org: ID) { user(organizationID: $org, userName: "ada@example.com") { id } }`, vars)
			if len(r.Errors) == 0 {
				if err := json.Unmarshal(r.Data, &u); err != nil || u.User != nil {
					t.Errorf("user of another organization: %s", r.raw)
				}
			}
			var evs struct {
				Events struct{ Edges []struct{ Cursor string } }
			}
			a.ok(read, `query($org: ID) { events(organizationID: $org, first: 100) { edges { cursor } } }`, vars, &evs)
			if len(allAfter(t, s, other.ID, events.Cursor{})) == 0 || len(evs.Events.Edges) != 0 {
				t.Errorf("events of another organization: %+v", evs)
			}
			var ue struct {
				RoleCreate struct{ UserErrors []userErrorJSON }
			}
			a.ok(admin, `mutation($org: ID) { roleCreate(input: {organizationID: $org, key: "x", name: "X"}) { userErrors { field code } } }`, vars, &ue)
			if errs := ue.RoleCreate.UserErrors; len(errs) != 1 || errs[0].Code != "NOT_FOUND" {
				t.Errorf("roleCreate in another organization: %+v", errs)
			}
		})
	})
}

// userErrorJSON is a mutation payload's UserError as it comes back.
type userErrorJSON struct {
	Field   []string
	Code    string
	Message string
}
