package graph

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/listkey"
)

// orgColumn is the organization column of users and groups, which leads
// the (organization_id, id) indexes their connections read.
const orgColumn = "organization_id"

// inOrganization makes q and its ctx a list of one organization's users or
// groups (package listkey): its order starts with the organization column,
// in the direction the page is read (orderBy's, descending or not,
// reversed when the page is read backwards with last, as the pager does),
// and the privacy rules select the organization as listkey.Is does.
// PostgreSQL then reads a page from the (organization_id, id) index rather
// than walking the primary key past other organizations' rows. The rows
// must be one organization's: the privacy rules narrow a viewer of one
// organization to it (oneOrganization), scoped narrows a query to one.
func inOrganization[Q interface{ Order(...O) Q }, O ~func(*entsql.Selector)](
	ctx context.Context, q Q, descending bool, last *int,
) (context.Context, Q) {
	return listkey.NewContext(ctx), q.Order(O(listkey.Lead(orgColumn, descending != (last != nil))))
}

// oneOrganization reports whether the privacy rules narrow ctx's reads to
// one organization (every viewer but the platform's).
func oneOrganization(ctx context.Context) bool {
	v := access.FromContext(ctx)
	return v != nil && !v.IsPlatform()
}

// scoped narrows a query to organization org as package listkey says.
func scoped[P ~func(*entsql.Selector)](org uuid.UUID) P {
	return P(listkey.Is(orgColumn, org))
}
