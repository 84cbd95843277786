// Package scim is the SCIM 2.0 service provider (RFC 7643, RFC 7644) that
// identity providers push users and groups into. Each directory has its own
// base URL, /scim/v2/{directoryID}, and bearer tokens.
//
// The protocol is split by concept: filter parses filters and PATCH paths,
// where turns filters into SQL, patch applies PATCH operations, schema
// describes the resources. This package routes requests, authenticates
// them, maps resources to and from the ent data model, and speaks SCIM's
// error format. It tolerates the quirks real providers send (see
// PROVIDERS.md): capitalised ops, string booleans, URN and dotted keys,
// member removal by value, re-provisioning of existing users.
//
// Hostile and careless callers get a fast 4xx, the same on both databases,
// before any SQL (see Options): bodies and filters are bounded in size,
// strings hold no NUL and indexed ones at most attrs.IndexedMaxBytes; each
// request runs under a body deadline, and a request deadline that cancels
// its SQL and ends a response the client does not read. Large groups are
// streamed in pages with no database connection held between writes.
//
// Every request attributed to a directory (authenticated by its token, or
// refused with one of its tokens for a reason its holder may learn) is
// handed to the directory's request log (Options.Requests, requestlog.go)
// once answered: what it did, and for failures what the provider was told,
// with its secrets redacted (redact.go). The log is written afterwards, in
// batches: a request pays no statement for it.
package scim
