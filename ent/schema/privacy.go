package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"
	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	entprivacy "github.com/acme/directory/ent/privacy"
)

// The privacy rules below are the single place that decides who reads and
// writes which organization's rows. Queries are narrowed with a WHERE on the
// organization column, so a viewer of organization A finds nothing of B: not
// an error, just nothing, the same as a row that does not exist.

// orgFilter narrows a query or an update/delete mutation to rows whose
// column equals org, through ent's generic (entql) filter.
func orgFilter(column string, org uuid.UUID) entprivacy.FilterFunc {
	return func(_ context.Context, f entprivacy.Filter) error {
		f.Where(entql.FieldEQ(column, org))
		return privacy.Skip
	}
}

// viewerOf returns the viewer or a denial when the context carries none: a
// code path that forgot to authenticate reads nothing.
func viewerOf(ctx context.Context) (*access.Viewer, error) {
	v := access.FromContext(ctx)
	if v == nil {
		return nil, privacy.Denyf("privacy: no viewer in context")
	}
	return v, nil
}

// tenantRule scopes rows that carry an organization_id column.
type tenantRule struct {
	column      string
	provisioned bool // providers may write these rows over SCIM
	adminOnly   bool // reads need org_admin (secrets, webhooks)
}

// EvalQuery narrows reads to the viewer's organization.
func (r tenantRule) EvalQuery(ctx context.Context, q ent.Query) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if v.IsPlatform() {
		return privacy.Allow
	}
	if r.adminOnly && v.Scope == access.OrgRead {
		return privacy.Denyf("privacy: %s needs an admin key", r.column)
	}
	return orgFilter(r.column, v.OrganizationID).EvalQuery(ctx, q)
}

// EvalMutation lets a viewer write only its own organization's rows, and
// only the kinds of rows its scope covers.
func (r tenantRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	switch {
	case v.IsPlatform():
		return privacy.Allow
	case !v.CanWrite():
		return privacy.Denyf("privacy: read-only viewer cannot change %s", m.Type())
	case v.Scope == access.Provisioner && !r.provisioned:
		return privacy.Denyf("privacy: a directory token cannot change %s", m.Type())
	}
	if m.Op().Is(ent.OpCreate) {
		org, ok := m.Field(r.column)
		if !ok || org != v.OrganizationID {
			return privacy.Denyf("privacy: %s belongs to another organization", m.Type())
		}
		return privacy.Skip
	}
	return orgFilter(r.column, v.OrganizationID).EvalMutation(ctx, m)
}

// tenantPolicy is the policy of every row of tenant data.
func tenantPolicy(provisioned bool) ent.Policy {
	r := tenantRule{column: "organization_id", provisioned: provisioned}
	return privacy.Policy{Query: privacy.QueryPolicy{r}, Mutation: privacy.MutationPolicy{r}}
}

// organizationRule scopes the organizations table itself: a viewer sees its
// own organization; only the platform creates or deletes organizations.
type organizationRule struct{}

// EvalQuery narrows reads to the viewer's own organization.
func (organizationRule) EvalQuery(ctx context.Context, q ent.Query) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if v.IsPlatform() {
		return privacy.Allow
	}
	return orgFilter("id", v.OrganizationID).EvalQuery(ctx, q)
}

// EvalMutation allows an organization's admin to update it, nothing more.
func (organizationRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if v.IsPlatform() {
		return privacy.Allow
	}
	if v.Scope != access.OrgAdmin || !(m.Op().Is(ent.OpUpdateOne) || m.Op().Is(ent.OpUpdate)) {
		return privacy.Denyf("privacy: only the platform creates or deletes organizations")
	}
	return orgFilter("id", v.OrganizationID).EvalMutation(ctx, m)
}

// apiKeyRule scopes API keys: the platform manages all of them, an
// organization's admin those of its organization, except platform keys.
type apiKeyRule struct{}

// EvalQuery lets admins list their organization's keys.
func (apiKeyRule) EvalQuery(ctx context.Context, q ent.Query) error {
	return tenantRule{column: "organization_id", adminOnly: true}.EvalQuery(ctx, q)
}

// EvalMutation refuses platform-scoped keys to anyone but the platform.
func (apiKeyRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	v, err := viewerOf(ctx)
	if err != nil {
		return err
	}
	if !v.IsPlatform() {
		if s, ok := m.Field("scope"); ok && s != nil && isPlatformScope(s) {
			return privacy.Denyf("privacy: only the platform creates platform keys")
		}
	}
	return tenantRule{column: "organization_id"}.EvalMutation(ctx, m)
}

// isPlatformScope reads the generated enum value without importing it.
func isPlatformScope(s any) bool {
	str, ok := s.(interface{ String() string })
	return ok && str.String() == string(access.Platform)
}

// adminOnlyPolicy is the tenant policy for rows read-only keys must not see.
func adminOnlyPolicy() ent.Policy {
	r := tenantRule{column: "organization_id", adminOnly: true}
	return privacy.Policy{Query: privacy.QueryPolicy{r}, Mutation: privacy.MutationPolicy{r}}
}
