package domain_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
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
		if err != nil || last.Type != events.TypeWebhookEndpointDisabled || last.SubjectID != ep.ID || last.Data["reason"] != "test" {
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

// TestWebhookEndpointTest: a test event is queued for the endpoint it is
// about, whatever types it takes, and for no other endpoint (even one that
// takes every type); admins only, of their own organization.
func TestWebhookEndpointTest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		mk := func(types ...string) *ent.WebhookEndpoint {
			is, err := a.svc.CreateWebhookEndpoint(a.admin, domain.NewWebhookEndpoint{OrganizationID: a.org.ID,
				URL: "https://app.example/hooks", EventTypes: types})
			if err != nil {
				t.Fatal(err)
			}
			return is.Endpoint
		}
		tested, other := mk("user.created"), mk()
		_, err := a.svc.TestWebhookEndpoint(a.reader, tested.ID)
		code(t, "test with a read key", err, fault.Forbidden)
		_, err = b.svc.TestWebhookEndpoint(b.admin, tested.ID)
		code(t, "test another organization's", err, fault.NotFound)

		id, err := a.svc.TestWebhookEndpoint(a.admin, tested.ID)
		if err != nil || !strings.HasPrefix(id, "evt_") {
			t.Fatalf("test: %q, %v", id, err)
		}
		if _, err := a.svc.DispatchWebhookEvents(a.platform, time.Now()); err != nil {
			t.Fatal(err)
		}
		deliveries := func(ep uuid.UUID) []*ent.WebhookDelivery {
			ds, err := a.client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(ep)).All(a.platform)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		ds := deliveries(tested.ID)
		if len(ds) != 1 || ds[0].EventType != events.TypeWebhookTest || domain.WebhookEventID(ds[0].EventID) != id ||
			ds[0].Status != webhookdelivery.StatusPending || time.Until(ds[0].NextAttemptAt) > time.Second {
			t.Fatalf("deliveries of the tested endpoint: %+v", ds)
		}
		if ds := deliveries(other.ID); len(ds) != 0 {
			t.Fatalf("the other endpoint got %d deliveries of the test event", len(ds))
		}
		ev, err := a.client.Event.Get(a.platform, ds[0].EventID)
		if err != nil || ev.SubjectID != tested.ID || ev.Data["url"] != "https://app.example/hooks" {
			t.Fatalf("the test event: %+v, %v", ev, err)
		}
	})
}

// TestWebhookURLTargetsAreCheckedAtCreate: an endpoint's URL is refused
// when it points, literally or through DNS, at a special-purpose address
// (documentation, link-local, reserved, ...), at a private one unless
// allowed, or at this host; the error is Invalid on the field url and
// says why.
func TestWebhookURLTargetsAreCheckedAtCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		dns := map[string][]netip.Addr{
			"public.test":   {netip.MustParseAddr("93.184.216.34")},
			"internal.test": {netip.MustParseAddr("10.0.0.1")},
			"meta.test":     {netip.MustParseAddr("169.254.169.254")},
			"self.test":     {netip.MustParseAddr("93.184.216.99")},
		}
		policy := egress.Policy{
			LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
				if ips, ok := dns[host]; ok {
					return ips, nil
				}
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			},
			Own: func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("93.184.216.99")} },
		}
		strict := domain.New(s.Client, s.Dialect, domain.WebhookTargets(policy))
		policy.AllowPrivate = true
		lenient := domain.New(s.Client, s.Dialect, domain.WebhookTargets(policy))
		for _, tt := range []struct {
			svc    *domain.Service
			url    string
			reason string // "": accepted
		}{
			{strict, "https://public.test/hooks", ""},
			{strict, "https://93.184.216.34/hooks", ""},
			{strict, "https://unknown.test/hooks", ""}, // does not resolve yet: the dialer decides
			{strict, "http://192.0.2.2:8080/hooks", "documentation"},
			{lenient, "http://192.0.2.2:8080/hooks", "documentation"},
			{lenient, "http://[2001:db8::1]/hooks", "documentation"},
			{lenient, "http://240.1.2.3/", "reserved"},
			{lenient, "http://198.18.0.1/", "benchmarking"},
			{lenient, "http://169.254.169.254/latest/meta-data/", "link-local"},
			{lenient, "https://meta.test/", "link-local"},
			{lenient, "http://[::ffff:169.254.169.254]/", "link-local"},
			{lenient, "http://[64:ff9b::a9fe:a9fe]/", "link-local"},
			{strict, "http://10.0.0.1/", "private"},
			{strict, "https://internal.test/", "private"},
			{strict, "http://127.0.0.1:9000/", "loopback"},
			{lenient, "http://10.0.0.1/", ""},
			{lenient, "https://internal.test/", ""},
			{lenient, "https://self.test/", "this host"},
			{lenient, "https://93.184.216.99/", "this host"},
		} {
			is, err := tt.svc.CreateWebhookEndpoint(a.platform, domain.NewWebhookEndpoint{OrganizationID: a.org.ID, URL: tt.url})
			if tt.reason == "" {
				if err != nil {
					t.Errorf("create %s: %v; want it accepted", tt.url, err)
				} else if err := tt.svc.DeleteWebhookEndpoint(a.platform, is.Endpoint.ID); err != nil {
					t.Fatal(err)
				}
				continue
			}
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Code != fault.Invalid || fe.Field != "url" || !strings.Contains(fe.Message, tt.reason) {
				t.Errorf("create %s: %v; want Invalid on url saying %q", tt.url, err, tt.reason)
			}
		}
		// An update to a refused URL is refused too, and changes nothing.
		is, err := strict.CreateWebhookEndpoint(a.platform, domain.NewWebhookEndpoint{OrganizationID: a.org.ID, URL: "https://public.test/hooks"})
		if err != nil {
			t.Fatal(err)
		}
		bad := "https://meta.test/"
		_, err = strict.UpdateWebhookEndpoint(a.platform, is.Endpoint.ID, domain.WebhookEndpointChange{URL: &bad})
		code(t, "update to a link-local target", err, fault.Invalid)
		ep, err := a.client.WebhookEndpoint.Get(a.platform, is.Endpoint.ID)
		if err != nil || ep.URL != "https://public.test/hooks" {
			t.Fatalf("after the refused update: %v, %v", ep, err)
		}
	})
}
