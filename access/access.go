// Package access says who is calling: the viewer that every request carries
// in its context. The data layer (ent privacy rules) reads it to keep each
// organization's rows away from every other organization; the protocol edges
// put it there after checking a token or key.
package access

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/fault"
)

// Scope is what a credential may do.
type Scope string

// The scopes of DESIGN.md's access table.
const (
	// Platform: the application's backend; every organization.
	Platform Scope = "platform"
	// OrgAdmin: configure one organization, read its directory data.
	OrgAdmin Scope = "org_admin"
	// OrgRead: read one organization's users, groups, roles and events.
	OrgRead Scope = "org_read"
	// Provisioner: an identity provider pushing SCIM into one directory.
	Provisioner Scope = "provisioner"
)

// keyScopes are the scopes an API key may have, in display order; a
// directory token is the only Provisioner credential.
var keyScopes = []Scope{Platform, OrgAdmin, OrgRead}

// Values returns the scopes an API key may hold (not Provisioner): the
// values of the API key table's scope enum.
func (Scope) Values() []string {
	out := make([]string, len(keyScopes))
	for i, s := range keyScopes {
		out[i] = string(s)
	}
	return out
}

// IsKeyScope reports whether s is a scope an API key may hold.
func (s Scope) IsKeyScope() bool {
	for _, k := range keyScopes {
		if s == k {
			return true
		}
	}
	return false
}

// String returns the scope's value.
func (s Scope) String() string { return string(s) }

// GQL returns the scope's GraphQL enum value, the stored value in upper
// case (ORG_ADMIN). The stored value itself stays lower case.
func (s Scope) GQL() string { return strings.ToUpper(string(s)) }

// MarshalGQL writes the scope as a GraphQL enum value, in upper case.
func (s Scope) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(s.GQL()))
}

// UnmarshalGQL reads a GraphQL enum value: only the scopes of API keys,
// in upper case or, deprecated, as stored (org_admin).
func (s *Scope) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("scope must be a string, not %T", v)
	}
	for _, k := range keyScopes {
		if str == k.GQL() || str == string(k) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("%q is not a valid API key scope", str)
}

// Viewer is the authenticated caller.
type Viewer struct {
	Scope          Scope
	OrganizationID uuid.UUID // zero for Platform
	DirectoryID    uuid.UUID // set for Provisioner only
	CredentialID   uuid.UUID // the API key or directory token used, for audit
	// Actor is the kind of credential events name as their actor when it
	// is not the scope itself (a portal session acts as org_admin);
	// empty: the scope.
	Actor string
}

// IsPlatform reports whether the viewer may see every organization.
func (v *Viewer) IsPlatform() bool { return v != nil && v.Scope == Platform }

// CanWrite reports whether the viewer may change anything at all.
func (v *Viewer) CanWrite() bool {
	return v != nil && (v.Scope == Platform || v.Scope == OrgAdmin || v.Scope == Provisioner)
}

// OrganizationOr returns the organization a request works on: id when the
// request names one, else the viewer's own (an org key's, an Admin Portal
// session's). A viewer bound to no organization (a platform key) must name
// one: omitting it is a fault.Invalid on field, the argument or input
// field that takes it. An id of another organization than an org
// viewer's is returned as given: the data layer keeps that organization's
// rows out of the viewer's reach as it does everywhere else.
func (v *Viewer) OrganizationOr(id *uuid.UUID, field string) (uuid.UUID, error) {
	switch {
	case id != nil:
		return *id, nil
	case v != nil && v.OrganizationID != uuid.Nil:
		return v.OrganizationID, nil
	}
	return uuid.Nil, fault.FieldErrorf(field, "is required with a platform key, which belongs to no organization")
}

type viewerKey struct{}

// NewContext returns a copy of ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer in ctx, or nil when the caller is unknown.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// PlatformContext returns ctx acting with platform scope: for the server's
// own work (start-up, command-line tools, background workers), never for a
// request.
func PlatformContext(ctx context.Context) context.Context {
	return NewContext(ctx, &Viewer{Scope: Platform})
}
