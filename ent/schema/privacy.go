package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/entql"
	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/intercept"
	entprivacy "github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/schema/listkey"
)

// The privacy rules below are the single place that decides who reads and
// writes which organization's rows. Queries are narrowed with a WHERE on the
// organization column, so a viewer of organization A finds nothing of B: not
// an error, just nothing, the same as a row that does not exist.

// columnIs narrows a query or an update/delete mutation to the rows whose
// column equals v.
type columnIs struct {
	column string
	v      uuid.UUID
	// keyed: lists page through these rows in (column, id) order, from an
	// index; in a list's statements the condition is written as package
	// listkey says, so that PostgreSQL reads a page from that index.
	keyed bool
}

// predicate is the condition in SQL, for a statement run with ctx.
func (c columnIs) predicate(ctx context.Context) func(*sql.Selector) {
	if c.keyed && listkey.FromContext(ctx) {
		return listkey.Is(c.column, c.v)
	}
	return sql.FieldEQ(c.column, c.v)
}

// EvalQuery adds the condition to a query.
func (c columnIs) EvalQuery(ctx context.Context, q ent.Query) error {
	w, err := intercept.NewQuery(q)
	if err != nil {
		return privacy.Denyf("privacy: %v", err)
	}
	w.WhereP(c.predicate(ctx))
	return privacy.Skip
}

// EvalMutation adds the condition to an update or a delete.
func (c columnIs) EvalMutation(ctx context.Context, m ent.Mutation) error {
	w, ok := m.(interface{ WhereP(...func(*sql.Selector)) })
	if !ok {
		return privacy.Denyf("privacy: %s cannot be narrowed", m.Type())
	}
	w.WhereP(c.predicate(ctx))
	return privacy.Skip
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
	keyed       bool // lists page in (column, id) order: see columnIs
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
	if r.keyed && v.Scope == access.Provisioner && listkey.FromContext(ctx) {
		// In a list, the directory rule of these rows narrows a
		// provisioner to its directory, all of whose rows are in its
		// organization. A second condition, on the organization, selects
		// nothing more, but PostgreSQL would multiply the two conditions'
		// shares of the table: a directory of 3% of the users would be
		// estimated at 0.09%, and its first page read by sorting all of
		// its users rather than from the index in order.
		return privacy.Skip
	}
	return columnIs{r.column, v.OrganizationID, r.keyed}.EvalQuery(ctx, q)
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
	return columnIs{r.column, v.OrganizationID, r.keyed}.EvalMutation(ctx, m)
}

// tenantPolicy is the policy of every row of tenant data; keyed as in
// columnIs.
func tenantPolicy(provisioned, keyed bool) ent.Policy {
	r := tenantRule{column: "organization_id", provisioned: provisioned, keyed: keyed}
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
	return columnIs{column: "id", v: v.OrganizationID}.EvalQuery(ctx, q)
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
	return columnIs{column: "id", v: v.OrganizationID}.EvalMutation(ctx, m)
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
		if s, ok := m.Field("scope"); ok && s == access.Platform {
			return privacy.Denyf("privacy: only the platform creates platform keys")
		}
	}
	return tenantRule{column: "organization_id"}.EvalMutation(ctx, m)
}

// adminOnlyPolicy is the tenant policy for rows read-only keys must not see.
func adminOnlyPolicy() ent.Policy {
	r := tenantRule{column: "organization_id", adminOnly: true}
	return privacy.Policy{Query: privacy.QueryPolicy{r}, Mutation: privacy.MutationPolicy{r}}
}

// directoryRule keeps a directory token (a Provisioner viewer) inside its
// own directory: the organization rule already keeps it inside its
// organization, this one narrows reads and writes further to the rows of
// the one directory the token belongs to. Other viewers are not concerned.
type directoryRule struct {
	// column holds the row's directory id: "directory_id", or "id" for the
	// directories table itself. Empty when edge is set.
	column string
	// edge, when set, names an edge to a row with a directory_id column
	// (a membership's group): the row is in the directory its edge is.
	edge string
	// keyed: lists page in (column, id) order, see columnIs.
	keyed bool
}

// provisionerDirectory returns the directory of a Provisioner viewer, or
// ok=false for every other viewer.
func provisionerDirectory(ctx context.Context) (dir uuid.UUID, ok bool, err error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return uuid.Nil, false, err
	}
	if v.Scope != access.Provisioner {
		return uuid.Nil, false, nil
	}
	if v.DirectoryID == uuid.Nil {
		return uuid.Nil, false, privacy.Denyf("privacy: a directory token without a directory")
	}
	return v.DirectoryID, true, nil
}

// filter narrows a query or mutation to the rows of directory dir.
func (r directoryRule) filter(dir uuid.UUID) privacy.QueryMutationRule {
	if r.edge == "" {
		return columnIs{r.column, dir, r.keyed}
	}
	return entprivacy.FilterFunc(func(_ context.Context, f entprivacy.Filter) error {
		f.Where(entql.HasEdgeWith(r.edge, entql.FieldEQ("directory_id", dir)))
		return privacy.Skip
	})
}

// EvalQuery narrows a provisioner's reads to its directory.
func (r directoryRule) EvalQuery(ctx context.Context, q ent.Query) error {
	dir, ok, err := provisionerDirectory(ctx)
	if err != nil || !ok {
		return skipUnless(err)
	}
	return r.filter(dir).EvalQuery(ctx, q)
}

// EvalMutation narrows a provisioner's updates and deletes to its directory
// and refuses creates in another directory. A membership's create is
// checked by its caller, which adds only its own directory's users to its
// own directory's group (a per-row look-up would turn a bulk insert of
// thousands of members into thousands of queries); its updates and deletes
// are narrowed here.
func (r directoryRule) EvalMutation(ctx context.Context, m ent.Mutation) error {
	dir, ok, err := provisionerDirectory(ctx)
	if err != nil || !ok {
		return skipUnless(err)
	}
	if m.Op().Is(ent.OpCreate) {
		if r.edge != "" {
			return privacy.Skip
		}
		if got, set := m.Field(r.column); !set || got != dir {
			return privacy.Denyf("privacy: %s belongs to another directory", m.Type())
		}
		return privacy.Skip
	}
	return r.filter(dir).EvalMutation(ctx, m)
}

// skipUnless turns "no decision" into privacy.Skip and passes denials on.
func skipUnless(err error) error {
	if err != nil {
		return err
	}
	return privacy.Skip
}

// directoryPolicy is the policy of rows that belong to one directory.
func directoryPolicy(r directoryRule) ent.Policy {
	return privacy.Policy{Query: privacy.QueryPolicy{r}, Mutation: privacy.MutationPolicy{r}}
}
