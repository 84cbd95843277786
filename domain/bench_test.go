package domain_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store/storetest"
)

// BenchmarkOutboxCost measures what the event outbox costs a SCIM write:
// provisioning users and updating them, with their events (user.created
// with its roles, user.updated with the previous values) and without, on
// each database. The ratio of the two is the outbox's share of a write.
//
//	go test -run '^$' -bench OutboxCost ./domain/
func BenchmarkOutboxCost(b *testing.B) {
	for _, db := range storetest.Dialects {
		st := storetest.Open(b, db)
		for _, events := range []bool{true, false} {
			name := fmt.Sprintf("%s/events=%v", db, events)
			b.Run(name+"/provision", func(b *testing.B) {
				a := newTenant(b, st, name)
				ctx := a.provider
				if !events {
					ctx = domain.WithoutOutbox(ctx)
				}
				for i := 0; b.Loop(); i++ {
					if _, _, err := a.svc.ProvisionUser(ctx, a.dir.ID, userFields(fmt.Sprintf("u%d@example.com", i), "", true)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/update", func(b *testing.B) {
				a := newTenant(b, st, name+" update")
				ctx := a.provider
				if !events {
					ctx = domain.WithoutOutbox(ctx)
				}
				u, _, err := a.svc.ProvisionUser(ctx, a.dir.ID, userFields("v@example.com", "", true))
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; b.Loop(); i++ {
					f := userFields("v@example.com", "", true)
					f[user.FieldTitle] = fmt.Sprint("Title ", i)
					if _, err := a.svc.UpdateUser(ctx, a.dir.ID, u.ID, nil, func(*ent.User) (domain.UserFields, error) { return f, nil }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkLogRequests writes the request log's batches as the server
// does (500 entries, each a successful GET of a user), on each database:
// the cost per entry is what the log adds to every SCIM request.
//
//	go test -run '^$' -bench LogRequests ./domain/
func BenchmarkLogRequests(b *testing.B) {
	for _, db := range storetest.Dialects {
		b.Run(db, func(b *testing.B) {
			a := newTenant(b, storetest.Open(b, db), db)
			batch := make([]domain.RequestEntry, domain.DefaultRequestLogBatch)
			for i := range batch {
				id := uuid.New()
				batch[i] = a.entry("GET", "/Users/"+id.String(), 200)
				batch[i].UserID = &id
			}
			platform := access.PlatformContext(context.Background())
			for b.Loop() {
				if err := a.svc.LogRequests(platform, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/entry")
		})
	}
}
