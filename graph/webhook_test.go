package graph

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
	"github.com/acme/directory/webhook"
)

const createWebhookMutation = `mutation($org: ID!, $url: String!, $types: [String!]) {
  createWebhookEndpoint(input: {organizationID: $org, url: $url, eventTypes: $types, description: "app"}) {
    webhookEndpoint { id url description eventTypes enabled previousSecretExpiresAt }
    secret } }`

const rotateWebhookMutation = `mutation($id: ID!, $overlap: Int) {
  rotateWebhookSecret(id: $id, overlapSeconds: $overlap) { webhookEndpoint { id previousSecretExpiresAt } secret } }`

// loopbackWebhooks lets the API's webhook endpoints point at the tests'
// receivers on 127.0.0.1.
var loopbackWebhooks = domain.WebhookTargets(egress.Policy{AllowPrivate: true})

type webhookSecretPayload struct {
	WebhookEndpoint struct {
		ID                      string
		URL                     string
		Description             string
		EventTypes              []string
		Enabled                 bool
		PreviousSecretExpiresAt *time.Time
	}
	Secret string
}

func TestWebhookEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		var org, other struct {
			CreateOrganization struct{ ID string } `json:"createOrganization"`
		}
		a.ok(a.platform, `mutation { createOrganization(input: {name: "Acme"}) { id } }`, nil, &org)
		a.ok(a.platform, `mutation { createOrganization(input: {name: "Globex"}) { id } }`, nil, &other)
		orgID := org.CreateOrganization.ID
		admin := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(orgID))
		reader := newOrgKey(t, s.Client, access.OrgRead, uuid.MustParse(orgID))
		stranger := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(other.CreateOrganization.ID))

		var hits atomic.Int32
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte("thanks"))
		}))
		t.Cleanup(rcv.Close)

		// Created by an admin: the secret is shown once, whsec_ and 24+ bytes.
		var created struct {
			CreateWebhookEndpoint webhookSecretPayload `json:"createWebhookEndpoint"`
		}
		a.ok(admin, createWebhookMutation, map[string]any{"org": orgID, "url": rcv.URL,
			"types": []string{"role.created", "role.updated"}}, &created)
		ep := created.CreateWebhookEndpoint
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ep.Secret, "whsec_"))
		if !strings.HasPrefix(ep.Secret, "whsec_") || err != nil || len(key) < 24 {
			t.Fatalf("secret %q: %d bytes, %v", ep.Secret, len(key), err)
		}
		if !ep.WebhookEndpoint.Enabled || ep.WebhookEndpoint.URL != rcv.URL || len(ep.WebhookEndpoint.EventTypes) != 2 ||
			ep.WebhookEndpoint.PreviousSecretExpiresAt != nil {
			t.Fatalf("endpoint %+v", ep.WebhookEndpoint)
		}
		id := ep.WebhookEndpoint.ID

		// Never shown again: the type has no secret, and no response holds it.
		r := a.do(admin, `query($org: ID!) { webhookEndpoints(organizationID: $org) { id secret } }`, map[string]any{"org": orgID})
		if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("querying secret: %s", r.raw)
		}
		r = a.do(admin, `query($org: ID!) { webhookEndpoints(organizationID: $org) { id url eventTypes enabled failingSince } }`,
			map[string]any{"org": orgID})
		if len(r.Errors) > 0 || !strings.Contains(r.raw, id) || strings.Contains(r.raw, ep.Secret[6:20]) {
			t.Fatalf("list: %s", r.raw)
		}

		// Input checks.
		a.fails(admin, createWebhookMutation, map[string]any{"org": orgID, "url": "ftp://x"}, "BAD_USER_INPUT", "url")
		a.fails(admin, createWebhookMutation, map[string]any{"org": orgID, "url": rcv.URL, "types": []string{"user.exploded"}},
			"BAD_USER_INPUT", "eventTypes")

		// Read keys and other organizations get nothing.
		a.fails(reader, `query($org: ID!) { webhookEndpoints(organizationID: $org) { id } }`, map[string]any{"org": orgID}, "FORBIDDEN", "")
		a.fails(reader, createWebhookMutation, map[string]any{"org": orgID, "url": rcv.URL}, "FORBIDDEN", "")
		a.fails(reader, rotateWebhookMutation, map[string]any{"id": id}, "FORBIDDEN", "")
		a.fails(stranger, `query($id: ID!) { webhookEndpoint(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND", "id")
		a.fails(stranger, rotateWebhookMutation, map[string]any{"id": id}, "NOT_FOUND", "id")
		a.fails(stranger, createWebhookMutation, map[string]any{"org": orgID, "url": rcv.URL}, "NOT_FOUND", "organizationID")

		// Rotation: a new secret, once; the old one signs for a day.
		var rotated struct {
			RotateWebhookSecret webhookSecretPayload `json:"rotateWebhookSecret"`
		}
		a.ok(admin, rotateWebhookMutation, map[string]any{"id": id}, &rotated)
		rot := rotated.RotateWebhookSecret
		exp := rot.WebhookEndpoint.PreviousSecretExpiresAt
		if rot.Secret == ep.Secret || !strings.HasPrefix(rot.Secret, "whsec_") || exp == nil ||
			time.Until(*exp) < 23*time.Hour || time.Until(*exp) > 25*time.Hour {
			t.Fatalf("rotation: %+v", rot)
		}

		// A delivery, signed with both secrets, is readable with its attempts.
		svc := domain.New(s.Client, s.Dialect)
		w := webhook.New(svc, s.Dialect, webhook.Config{AllowPrivate: true})
		a.ok(admin, createRoleMutation, map[string]any{"org": orgID, "key": "viewer"}, nil)
		if n, err := w.Round(context.Background()); err != nil || n != 1 {
			t.Fatalf("round: %d, %v", n, err)
		}
		var got struct {
			WebhookEndpoint struct {
				Deliveries []struct {
					WebhookID    string
					EventType    string
					Status       string
					AttemptCount int
					DeliveredAt  *time.Time
					Attempts     []struct {
						Number         int
						Succeeded      bool
						ResponseStatus *int
						ResponseBody   string
						Error          string
					}
				}
			} `json:"webhookEndpoint"`
		}
		const deliveriesQuery = `query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 10) {
		  webhookID eventType status attemptCount deliveredAt
		  attempts { number succeeded responseStatus latencyMs responseBody error } } } }`
		a.ok(admin, deliveriesQuery, map[string]any{"id": id}, &got)
		ds := got.WebhookEndpoint.Deliveries
		if len(ds) != 1 || ds[0].EventType != "role.created" || ds[0].Status != "SUCCEEDED" || ds[0].AttemptCount != 1 ||
			ds[0].DeliveredAt == nil || !strings.HasPrefix(ds[0].WebhookID, "evt_") || len(ds[0].Attempts) != 1 {
			t.Fatalf("deliveries %+v", ds)
		}
		// The receiver is on loopback, a private target: its status is
		// shown, its body ("thanks") is neither stored nor shown.
		if at := ds[0].Attempts[0]; at.Number != 1 || !at.Succeeded || at.ResponseStatus == nil || *at.ResponseStatus != 202 ||
			at.ResponseBody != "" || at.Error != "" {
			t.Fatalf("attempt %+v", at)
		}
		a.fails(reader, deliveriesQuery, map[string]any{"id": id}, "FORBIDDEN", "")

		// The status filter takes the upper-case values and, deprecated,
		// the lower-case ones; the stored value is lower case either way.
		for _, tc := range []struct {
			status string
			want   int
		}{{"SUCCEEDED", 1}, {"succeeded", 1}, {"FAILED", 0}, {"pending", 0}} {
			var byStatus struct {
				WebhookEndpoint struct {
					Deliveries []struct{ Status string }
				} `json:"webhookEndpoint"`
			}
			a.ok(admin, `query($id: ID!, $s: WebhookDeliveryStatus) { webhookEndpoint(id: $id) { deliveries(status: $s) { status } } }`,
				map[string]any{"id": id, "s": tc.status}, &byStatus)
			if ds := byStatus.WebhookEndpoint.Deliveries; len(ds) != tc.want || (tc.want == 1 && ds[0].Status != "SUCCEEDED") {
				t.Fatalf("deliveries(status: %s) = %+v; want %d", tc.status, ds, tc.want)
			}
		}
		a.fails(admin, `query($id: ID!) { webhookEndpoint(id: $id) { deliveries(status: Succeeded) { status } } }`,
			map[string]any{"id": id}, "GRAPHQL_VALIDATION_FAILED", "")

		// Resend one, then everything since an hour ago.
		var resent struct {
			ResendWebhookEvent bool `json:"resendWebhookEvent"`
		}
		a.ok(admin, `mutation($id: ID!, $w: String!) { resendWebhookEvent(endpointID: $id, webhookID: $w) }`,
			map[string]any{"id": id, "w": ds[0].WebhookID}, &resent)
		if _, err := w.Round(context.Background()); err != nil || hits.Load() != 2 {
			t.Fatalf("after a resend the receiver has %d requests (%v); want 2", hits.Load(), err)
		}
		var since struct {
			ResendWebhookEvents int `json:"resendWebhookEvents"`
		}
		a.ok(admin, `mutation($id: ID!, $t: Time!) { resendWebhookEvents(endpointID: $id, since: $t) }`,
			map[string]any{"id": id, "t": time.Now().Add(-time.Hour).Format(time.RFC3339)}, &since)
		if since.ResendWebhookEvents != 1 {
			t.Fatalf("resent %d since an hour ago; want 1 (role.created; directory events are not taken)", since.ResendWebhookEvents)
		}
		a.fails(admin, `mutation($id: ID!) { resendWebhookEvent(endpointID: $id, webhookID: "nope") }`,
			map[string]any{"id": id}, "BAD_USER_INPUT", "eventID")

		// Update and delete.
		var upd struct {
			UpdateWebhookEndpoint struct {
				Enabled    bool
				EventTypes []string
			} `json:"updateWebhookEndpoint"`
		}
		a.ok(admin, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {enabled: false, eventTypes: []}) { enabled eventTypes } }`,
			map[string]any{"id": id}, &upd)
		if upd.UpdateWebhookEndpoint.Enabled || len(upd.UpdateWebhookEndpoint.EventTypes) != 0 {
			t.Fatalf("update: %+v", upd)
		}
		a.fails(stranger, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": id}, "NOT_FOUND", "id")
		a.ok(admin, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": id}, nil)
		a.fails(admin, `query($id: ID!) { webhookEndpoint(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND", "id")
	})
}

// TestWebhookEndpointTestAndURLRefusal: webhookEndpointTest queues a
// webhook.test delivery that deliveries(webhookID:) finds, and answers
// another organization's endpoint with a userError; webhookEndpointCreate
// refuses a URL on a refused address with the reason in userErrors.
func TestWebhookEndpointTestAndURLRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		var org, other struct {
			CreateOrganization struct{ ID string } `json:"createOrganization"`
		}
		a.ok(a.platform, `mutation { createOrganization(input: {name: "Acme"}) { id } }`, nil, &org)
		a.ok(a.platform, `mutation { createOrganization(input: {name: "Globex"}) { id } }`, nil, &other)
		orgID := org.CreateOrganization.ID
		admin := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(orgID))
		stranger := newOrgKey(t, s.Client, access.OrgAdmin, uuid.MustParse(other.CreateOrganization.ID))
		const create = `mutation($org: ID!, $url: String!) { webhookEndpointCreate(input: {organizationID: $org, url: $url, eventTypes: ["role.created"]}) {
			webhookEndpoint { id } userErrors { field code message } } }`
		type userError struct {
			Field         []string
			Code, Message string
		}
		var refused struct {
			WebhookEndpointCreate struct {
				WebhookEndpoint *struct{ ID string } `json:"webhookEndpoint"`
				UserErrors      []userError          `json:"userErrors"`
			} `json:"webhookEndpointCreate"`
		}
		a.ok(admin, create, map[string]any{"org": orgID, "url": "http://169.254.169.254/latest/meta-data/"}, &refused)
		if ue := refused.WebhookEndpointCreate.UserErrors; refused.WebhookEndpointCreate.WebhookEndpoint != nil || len(ue) != 1 ||
			strings.Join(ue[0].Field, ".") != "input.url" || !strings.Contains(ue[0].Message, "link-local") {
			t.Fatalf("a link-local URL: %+v", refused.WebhookEndpointCreate)
		}

		var created struct {
			WebhookEndpointCreate struct {
				WebhookEndpoint struct{ ID string } `json:"webhookEndpoint"`
			} `json:"webhookEndpointCreate"`
		}
		a.ok(admin, create, map[string]any{"org": orgID, "url": "https://hooks.example/x"}, &created)
		id := created.WebhookEndpointCreate.WebhookEndpoint.ID
		const test = `mutation($id: ID!) { webhookEndpointTest(input: {id: $id}) { webhookEndpoint { id } webhookID userErrors { field code message } } }`
		var tested struct {
			WebhookEndpointTest struct {
				WebhookEndpoint *struct{ ID string } `json:"webhookEndpoint"`
				WebhookID       *string              `json:"webhookID"`
				UserErrors      []userError          `json:"userErrors"`
			} `json:"webhookEndpointTest"`
		}
		a.ok(stranger, test, map[string]any{"id": id}, &tested)
		if ue := tested.WebhookEndpointTest.UserErrors; len(ue) != 1 || ue[0].Code != "NOT_FOUND" || tested.WebhookEndpointTest.WebhookID != nil {
			t.Fatalf("another organization's endpoint: %+v", tested.WebhookEndpointTest)
		}
		a.ok(admin, test, map[string]any{"id": id}, &tested)
		if tested.WebhookEndpointTest.WebhookID == nil || tested.WebhookEndpointTest.WebhookEndpoint.ID != id {
			t.Fatalf("test: %+v", tested.WebhookEndpointTest)
		}
		var ep struct {
			WebhookEndpoint struct {
				Deliveries []struct{ EventType, Status string }
			} `json:"webhookEndpoint"`
		}
		a.ok(admin, `query($id: ID!, $w: String) { webhookEndpoint(id: $id) { deliveries(webhookID: $w) { eventType status } } }`,
			map[string]any{"id": id, "w": *tested.WebhookEndpointTest.WebhookID}, &ep)
		if d := ep.WebhookEndpoint.Deliveries; len(d) != 1 || d[0].EventType != "webhook.test" || d[0].Status != "PENDING" {
			t.Fatalf("the test delivery: %+v", d)
		}
	})
}
