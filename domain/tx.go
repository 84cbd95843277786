package domain

import (
	"context"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
)

// inCallersTx reports whether ctx carries a transaction an operation joins
// rather than owns (a GraphQL mutation's).
func inCallersTx(ctx context.Context) bool { return ent.TxFromContext(ctx) != nil }

// viewerDirectory is the viewer when it is a directory's provisioner.
func viewerDirectory(ctx context.Context) *access.Viewer {
	if v := access.FromContext(ctx); v != nil && v.Scope == access.Provisioner {
		return v
	}
	return nil
}

// db is the client an operation's statements go through: the transaction
// of the caller when ctx carries one, so a GraphQL mutation's operations
// commit or roll back together.
func (s *Service) db(ctx context.Context) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return s.client
}
