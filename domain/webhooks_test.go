package domain_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestWebhookEndpointOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		in := domain.NewWebhookEndpoint{OrganizationID: a.org.ID, URL: " https://app.example/hooks ",
			EventTypes: []string{"user.created", "group.deleted", "user.created"}}

		// Admins only, of their own organization.
		_, err := a.svc.CreateWebhookEndpoint(a.reader, in)
		code(t, "create with a read key", err, fault.Forbidden)
		_, err = a.svc.CreateWebhookEndpoint(a.provider, in)
		code(t, "create with a directory token", err, fault.Forbidden)
		_, err = b.svc.CreateWebhookEndpoint(b.admin, in)
		code(t, "create in another organization", err, fault.NotFound)

		is, err := a.svc.CreateWebhookEndpoint(a.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		ep := is.Endpoint
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(is.Secret, domain.WebhookSecretPrefix))
		if !strings.HasPrefix(is.Secret, "whsec_") || err != nil || len(key) < 24 || ep.Secret != is.Secret {
			t.Fatalf("secret %q (%d bytes, %v)", is.Secret, len(key), err)
		}
		if ep.URL != "https://app.example/hooks" || strings.Join(ep.EventTypes, ",") != "group.deleted,user.created" || !ep.Enabled {
			t.Fatalf("endpoint %+v", ep)
		}
		// The cursor starts after the organization's existing events
		// (directory.created): those are not delivered.
		if ep.LastEventID == 0 {
			t.Fatal("a new endpoint's cursor is at the start: it would receive old events")
		}

		// Input checks.
		for _, bad := range []domain.NewWebhookEndpoint{
			{OrganizationID: a.org.ID, URL: "ftp://app.example"},
			{OrganizationID: a.org.ID, URL: "/relative"},
			{OrganizationID: a.org.ID, URL: "https://u:p@app.example"},
			{OrganizationID: a.org.ID, URL: "https://app.example", EventTypes: []string{"user.*"}},
		} {
			_, err := a.svc.CreateWebhookEndpoint(a.admin, bad)
			code(t, "create "+bad.URL, err, fault.Invalid)
		}

		// Reads: admins of the organization; a read key is refused.
		if eps, err := a.svc.WebhookEndpoints(a.admin, a.org.ID); err != nil || len(eps) != 1 {
			t.Fatalf("list: %d, %v", len(eps), err)
		}
		_, err = a.svc.WebhookEndpoints(a.reader, a.org.ID)
		code(t, "list with a read key", err, fault.Forbidden)
		if eps, err := b.svc.WebhookEndpoints(b.admin, a.org.ID); err != nil || len(eps) != 0 {
			t.Fatalf("another organization lists %d endpoints (%v)", len(eps), err)
		}

		// Rotation keeps the old secret for the overlap.
		rot, err := a.svc.RotateWebhookSecret(a.admin, ep.ID, 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r := rot.Endpoint
		if rot.Secret == is.Secret || r.PreviousSecret == nil || *r.PreviousSecret != is.Secret ||
			r.PreviousSecretExpiresAt == nil || time.Until(*r.PreviousSecretExpiresAt) < time.Hour {
			t.Fatalf("rotation %+v", r)
		}
		rot, err = a.svc.RotateWebhookSecret(a.admin, ep.ID, -1)
		if err != nil || rot.Endpoint.PreviousSecretExpiresAt == nil ||
			time.Until(*rot.Endpoint.PreviousSecretExpiresAt) < domain.DefaultSecretOverlap-time.Minute {
			t.Fatalf("default overlap: %+v, %v", rot, err)
		}
		_, err = a.svc.RotateWebhookSecret(a.admin, ep.ID, 31*24*time.Hour)
		code(t, "rotate with a month's overlap", err, fault.Invalid)
		_, err = b.svc.RotateWebhookSecret(b.admin, ep.ID, 0)
		code(t, "rotate another organization's", err, fault.NotFound)
		_, err = a.svc.RotateWebhookSecret(a.reader, ep.ID, 0)
		code(t, "rotate with a read key", err, fault.Forbidden)

		// Update.
		off, none := false, []string{}
		up, err := a.svc.UpdateWebhookEndpoint(a.admin, ep.ID, domain.WebhookEndpointChange{Enabled: &off, EventTypes: &none})
		if err != nil || up.Enabled || len(up.EventTypes) != 0 || up.URL != ep.URL {
			t.Fatalf("update: %+v, %v", up, err)
		}

		// Disabling for failures writes one event, once.
		for i, want := range []bool{false, false} {
			acted, err := a.svc.DisableWebhookEndpoint(a.platform, ep.ID, "test")
			if err != nil || acted != want {
				t.Fatalf("disable %d: %v, %v; want %v (already disabled)", i, acted, err, want)
			}
		}
		on := true
		if _, err := a.svc.UpdateWebhookEndpoint(a.admin, ep.ID, domain.WebhookEndpointChange{Enabled: &on}); err != nil {
			t.Fatal(err)
		}
		if acted, err := a.svc.DisableWebhookEndpoint(a.platform, ep.ID, "test"); err != nil || !acted {
			t.Fatalf("disable: %v, %v", acted, err)
		}
		last, err := a.client.Event.Query().Order(ent.Desc(event.FieldID)).First(a.platform)
		if err != nil || last.Type != domain.EventWebhookEndpointDisabled || last.SubjectID != ep.ID || last.Data["reason"] != "test" {
			t.Fatalf("last event %+v (%v)", last, err)
		}

		// Delete: gone with its deliveries.
		if err := a.svc.DeleteWebhookEndpoint(b.admin, ep.ID); fault.CodeOf(err) != fault.NotFound {
			t.Fatalf("another organization deletes: %v", err)
		}
		if err := a.svc.DeleteWebhookEndpoint(a.admin, ep.ID); err != nil {
			t.Fatal(err)
		}
		if c, _ := a.client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(ep.ID)).Count(a.platform); c != 0 {
			t.Fatalf("%d deliveries outlive their endpoint", c)
		}
	})
}
