package graph

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

// TestRateLimitAcrossReplicas: three servers of one PostgreSQL database
// split a key's limit between them, so a key whose requests a balancer
// spreads gets the budget it gets from one server, not three times it.
func TestRateLimitAcrossReplicas(t *testing.T) {
	url := pgtest.New(t)
	limits := func(b *broker.Broker) Config {
		// A budget that does not refill within the test: what a key gets
		// is the burst, in operations.
		return Config{Broker: b, RateLimitPerSecond: 0.001, RateLimitBurst: 300, MaxComplexity: 100}
	}
	var stores []*store.Store
	var apis []*api
	var brokers []*broker.Broker
	for range 3 {
		s := openStore(t, url)
		b := startBroker(t, s, broker.Config{DatabaseURL: url, Heartbeat: 100 * time.Millisecond})
		stores, brokers = append(stores, s), append(brokers, b)
		apis = append(apis, newAPI(t, s.Client, s.Dialect, limits(b)))
	}
	for i, b := range brokers {
		deadline := time.Now().Add(5 * time.Second)
		for b.Replicas() != 3 {
			if time.Now().After(deadline) {
				t.Fatalf("server %d counts %d replicas, want 3", i, b.Replicas())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	one := newAPI(t, stores[0].Client, stores[0].Dialect, limits(nil)) // a server alone
	org, err := domain.New(stores[0].Client, stores[0].Dialect).CreateOrganization(
		access.PlatformContext(context.Background()), domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	// accepted sends the key's requests round-robin to servers until each
	// has refused one, and counts those accepted.
	accepted := func(servers []*api) int {
		key := newOrgKey(t, stores[0].Client, access.OrgRead, org.ID)
		n, refused := 0, map[int]bool{}
		for i := 0; len(refused) < len(servers); i++ {
			if i > 2000 {
				t.Fatal("2,000 requests and no refusal")
			}
			k := i % len(servers)
			if refused[k] {
				continue
			}
			switch r := servers[k].do(key, `{ organizations { totalCount } }`, nil); r.status {
			case http.StatusOK:
				n++
			case http.StatusTooManyRequests:
				refused[k] = true
			default:
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
		}
		return n
	}
	alone, spread := accepted([]*api{one}), accepted(apis)
	t.Logf("one server accepted %d operations of a key; three, %d", alone, spread)
	if spread < alone-3 || spread > alone+3 {
		t.Fatalf("three replicas accepted %d operations of one key, one server %d: the limit must hold across replicas", spread, alone)
	}
}
