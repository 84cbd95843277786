package domain

import "context"

// WithoutOutbox returns ctx whose user writes record no events: for the
// outbox-cost benchmark only.
func WithoutOutbox(ctx context.Context) context.Context {
	return context.WithValue(ctx, noOutbox{}, true)
}
