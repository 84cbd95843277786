package schematype

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Provider is the identity provider behind a directory: the vocabulary is
// declared here once, for the data model, the GraphQL enum, the command line
// and the portal.
type Provider string

// The providers, in display order.
const (
	ProviderJumpCloud Provider = "jumpcloud"
	ProviderOkta      Provider = "okta"
	ProviderEntra     Provider = "entra"
	ProviderOneLogin  Provider = "onelogin"
	ProviderPing      Provider = "ping"
	ProviderGeneric   Provider = "generic"
)

// providers lists every provider in display order with its display name.
var providers = []struct {
	p    Provider
	name string
}{
	{ProviderJumpCloud, "JumpCloud"},
	{ProviderOkta, "Okta"},
	{ProviderEntra, "Microsoft Entra ID"},
	{ProviderOneLogin, "OneLogin"},
	{ProviderPing, "PingIdentity"},
	{ProviderGeneric, "SCIM"},
}

// Providers returns every provider, in display order.
func Providers() []Provider {
	out := make([]Provider, len(providers))
	for i, e := range providers {
		out[i] = e.p
	}
	return out
}

// Values returns the providers' stored values in display order; ent's enum
// field takes its values from here.
func (Provider) Values() []string {
	out := make([]string, len(providers))
	for i, e := range providers {
		out[i] = string(e.p)
	}
	return out
}

// DisplayName is the provider's name as people know it, or "" for a value
// that is not a provider.
func (p Provider) DisplayName() string {
	for _, e := range providers {
		if e.p == p {
			return e.name
		}
	}
	return ""
}

// Valid reports whether p is one of the providers.
func (p Provider) Valid() bool { return p.DisplayName() != "" }

// String returns the stored value.
func (p Provider) String() string { return string(p) }

// GQL returns the provider's GraphQL enum value, the stored value in upper
// case (JUMPCLOUD). The stored value itself stays lower case.
func (p Provider) GQL() string { return strings.ToUpper(string(p)) }

// MarshalGQL writes the provider as a GraphQL enum value, in upper case.
func (p Provider) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(p.GQL()))
}

// UnmarshalGQL reads a GraphQL enum value into a provider: in upper case
// or, deprecated, as stored (jumpcloud).
func (p *Provider) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("provider must be a string, not %T", v)
	}
	for _, e := range providers {
		if s == e.p.GQL() || s == string(e.p) {
			*p = e.p
			return nil
		}
	}
	return fmt.Errorf("%q is not a valid provider", s)
}
