package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/privacy"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// PortalSession is a portal link and, once the link is opened, the browser
// session it became: the way an organization's IT admin manages that one
// organization in the Admin Portal without an API key. Only SHA-256 hashes
// of the link token and of the session token are kept. A link is redeemed
// once (used_at is set in the same statement that checks it is unset); the
// session then lives until session_expires_at or until it is deleted.
type PortalSession struct {
	ent.Schema
}

// Mixin of the PortalSession.
func (PortalSession) Mixin() []ent.Mixin {
	return []ent.Mixin{DomainWritesMixin{}, IDMixin{}, TenantMixin{}}
}

// Fields of the PortalSession.
func (PortalSession) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("link_hash").Sensitive().Unique().Immutable().
			Comment("SHA-256 of the link's token."),
		field.Time("link_expires_at").Immutable().
			Comment("The link works before this instant, once."),
		field.Time("used_at").Optional().Nillable().
			Comment("When the link was redeemed; a used link never works again."),
		field.Bytes("session_hash").Sensitive().Optional().Nillable().Unique().
			Comment("SHA-256 of the session cookie's token, once the link is redeemed."),
		field.Time("session_expires_at").Optional().Nillable(),
		field.UUID("created_by", uuid.UUID{}).Optional().Nillable().Immutable().
			Comment("The API key that made the link, for audit."),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the PortalSession.
func (PortalSession) Indexes() []ent.Index {
	return []ent.Index{index.Fields("organization_id")}
}

// Policy of the PortalSession: only the platform reads or writes portal
// sessions; the authenticator looks them up before any viewer exists, with
// a decision of its own.
func (PortalSession) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{platformOnly{}},
		Mutation: privacy.MutationPolicy{platformOnly{}},
	}
}

// Annotations of the PortalSession: not part of the GraphQL schema.
func (PortalSession) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// platformOnly denies every viewer but the platform.
type platformOnly struct{}

// EvalQuery implements privacy.QueryRule.
func (platformOnly) EvalQuery(ctx context.Context, _ ent.Query) error { return platformOnlyRule(ctx) }

// EvalMutation implements privacy.MutationRule.
func (platformOnly) EvalMutation(ctx context.Context, _ ent.Mutation) error {
	return platformOnlyRule(ctx)
}

func platformOnlyRule(ctx context.Context) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if v.IsPlatform() {
		return privacy.Allow
	}
	return privacy.Denyf("privacy: portal sessions are the platform's")
}
