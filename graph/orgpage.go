package graph

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/schema/keyrange"
)

// orgColumn is the organization column of users and groups, which leads
// the (organization_id, id) indexes their connections read.
const orgColumn = "organization_id"

// inOrganization starts the order of a connection of one organization's
// users or groups with the organization column (package keyrange), in the
// direction the page is read: orderBy's (descending or not), reversed when
// the page is read backwards (last), as the pager does. PostgreSQL then reads a
// page from the (organization_id, id) index rather than walking the
// primary key past other organizations' rows. The rows must be narrowed to
// one organization by keyrange.Is: by the privacy rules for a viewer of
// one organization, by scoped for one organization's connection.
func inOrganization[Q interface{ Order(...O) Q }, O ~func(*entsql.Selector)](
	q Q, descending bool, last *int,
) Q {
	return q.Order(O(keyrange.Lead(orgColumn, descending != (last != nil))))
}

// oneOrganization reports whether the privacy rules narrow ctx's reads to
// one organization (every viewer but the platform's).
func oneOrganization(ctx context.Context) bool {
	v := access.FromContext(ctx)
	return v != nil && !v.IsPlatform()
}

// scoped narrows a query to organization org as package keyrange says.
func scoped[P ~func(*entsql.Selector)](org any) P {
	return P(keyrange.Is(orgColumn, org))
}
