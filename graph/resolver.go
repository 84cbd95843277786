package graph

import (
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
)

// Resolver is the root of the gqlgen resolvers: what every resolver needs.
// Queries read through client; mutations call the domain's operations.
type Resolver struct {
	client *ent.Client
	domain *domain.Service
	cfg    Config
	// sockets counts subscriptions by key and paces their events.
	sockets *socketSet
}
