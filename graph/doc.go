// Package graph is the GraphQL API of the directory: gqlgen over the ent
// schema (entgql), for app frontends and admin tools.
//
// NewHandler serves it: it authenticates the API key (Authorization: Bearer
// dk_...), puts the caller's access.Viewer in the request context so the data
// layer's privacy rules scope every read and write to the key's
// organization, and runs the operation under depth, page-size, argument
// (limits.go) and complexity limits, the complexity including the rows that
// scanning where tests read (cost.go), with a per-organization cap on
// expensive operations running at once. Errors carry extensions.code (UNAUTHENTICATED,
// FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT, INTERNAL_SERVER_ERROR).
//
// The schema lives in the *.graphql files of this folder: ent.graphql is
// generated from ent/schema, the others are written by hand and their
// resolvers (*.resolvers.go) stay thin. Users' effective roles and
// directories' counts are loaded for every object of a response at once
// (batch.go), so a page of users costs a fixed number of SQL statements.
package graph
