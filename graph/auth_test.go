package graph

import (
	"context"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestAuthenticator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		issued, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.OrgRead, OrganizationID: &org.ID, Name: "app"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		a := newAuthenticator(s.Client)
		a.now = func() time.Time { return now }

		v, err := a.viewer(context.Background(), "Bearer "+issued.Key)
		if err != nil {
			t.Fatalf("valid key: %v", err)
		}
		if v.Scope != access.OrgRead || v.OrganizationID != org.ID || v.CredentialID != issued.APIKey.ID {
			t.Fatalf("viewer = %+v; want org_read of %s by key %s", v, org.ID, issued.APIKey.ID)
		}
		lastUsed := func() time.Time {
			got := s.Client.APIKey.GetX(ctx, issued.APIKey.ID).LastUsedAt
			if got == nil {
				t.Fatalf("last_used_at not set")
			}
			return got.UTC()
		}
		if got := lastUsed(); !got.Equal(now) {
			t.Fatalf("last_used_at = %v; want %v", got, now)
		}
		steps := []struct {
			after time.Duration
			want  time.Time
		}{
			{30 * time.Second, now},                       // within the minute: not written
			{59 * time.Second, now},                       // still within
			{61 * time.Second, now.Add(61 * time.Second)}, // a minute on: written
		}
		for _, st := range steps {
			at := now.Add(st.after)
			a.now = func() time.Time { return at }
			if _, err := a.viewer(context.Background(), "Bearer "+issued.Key); err != nil {
				t.Fatal(err)
			}
			if got := lastUsed(); !got.Equal(st.want) {
				t.Fatalf("after %v: last_used_at = %v; want %v", st.after, got, st.want)
			}
		}

		s.Client.APIKey.UpdateOneID(issued.APIKey.ID).SetExpiresAt(now.Add(time.Hour)).ExecX(ctx)
		a.now = func() time.Time { return now.Add(2 * time.Hour) }
		if _, err := a.viewer(context.Background(), "Bearer "+issued.Key); !fault.Is(err, fault.Unauthorized) {
			t.Fatalf("expired key: err = %v; want unauthorized", err)
		}
		s.Client.APIKey.DeleteOneID(issued.APIKey.ID).ExecX(ctx)
		a.now = func() time.Time { return now }
		if _, err := a.viewer(context.Background(), "Bearer "+issued.Key); !fault.Is(err, fault.Unauthorized) {
			t.Fatalf("revoked key: err = %v; want unauthorized", err)
		}
	})
}
