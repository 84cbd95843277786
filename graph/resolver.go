package graph

import "github.com/acme/directory/ent"

// Resolver is the root of the gqlgen resolvers: what every resolver needs.
type Resolver struct {
	client *ent.Client
	cfg    Config
}
