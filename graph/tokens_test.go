package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

const (
	rotateMutation = `mutation($d: ID!) {
		rotateDirectoryToken(directoryID: $d) { bearerToken token { id prefix createdAt } directory { id } }
	}`
	tokensQuery = `query($d: ID!) { node(id: $d) { ... on Directory { tokens { id prefix createdAt expiresAt lastUsedAt } } } }`
)

type tokenView struct {
	ID, Prefix, CreatedAt string
	ExpiresAt, LastUsedAt *string
}

func TestTokenRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		var org struct{ CreateOrganization struct{ ID string } }
		a.ok(a.platform, createOrgMutation, map[string]any{"name": "Acme"}, &org)
		var dir struct {
			CreateDirectory struct {
				Directory   struct{ ID string }
				BearerToken string
			}
		}
		a.ok(a.platform, createDirectoryMutation, map[string]any{"org": org.CreateOrganization.ID}, &dir)
		dirID, first := dir.CreateDirectory.Directory.ID, dir.CreateDirectory.BearerToken

		var rot struct {
			RotateDirectoryToken struct {
				BearerToken string
				Token       tokenView
				Directory   struct{ ID string }
			}
		}
		a.ok(a.platform, rotateMutation, map[string]any{"d": dirID}, &rot)
		second := rot.RotateDirectoryToken
		if second.BearerToken == first || !strings.HasPrefix(second.BearerToken, second.Token.Prefix) ||
			second.Directory.ID != dirID {
			t.Fatalf("rotation = %+v; want a new token of the directory", second)
		}
		a.fails(a.platform, rotateMutation, map[string]any{"d": dirID}, "CONFLICT", "")

		tokens := directoryTokens(a, dirID)
		if len(tokens) != 2 {
			t.Fatalf("tokens after rotation = %+v; want 2", tokens)
		}
		ctx := access.PlatformContext(context.Background())
		for _, plain := range []string{first, second.BearerToken} {
			n := s.Client.DirectoryToken.Query().Where(directorytoken.Hash(secret.Hash(plain))).CountX(ctx)
			if n != 1 {
				t.Fatalf("%d stored tokens match a token the API returned; want 1", n)
			}
		}

		var firstID string
		for _, tok := range tokens {
			if strings.HasPrefix(first, tok.Prefix) {
				firstID = tok.ID
			}
		}
		a.ok(a.platform, `mutation($id: ID!) { revokeDirectoryToken(id: $id) }`, map[string]any{"id": firstID}, nil)
		if n := s.Client.DirectoryToken.Query().Where(directorytoken.Hash(secret.Hash(first))).CountX(ctx); n != 0 {
			t.Fatalf("the revoked token is still stored")
		}
		if tokens := directoryTokens(a, dirID); len(tokens) != 1 || tokens[0].ID != second.Token.ID {
			t.Fatalf("tokens after revoking the first = %+v; want only the second", tokens)
		}
		a.ok(a.platform, rotateMutation, map[string]any{"d": dirID}, nil)
		a.fails(a.platform, `mutation($id: ID!) { revokeDirectoryToken(id: $id) }`, map[string]any{"id": firstID}, "NOT_FOUND", "")
		a.fails(a.platform, `query($d: ID!) { node(id: $d) { ... on Directory { tokens { hash } } } }`,
			map[string]any{"d": dirID}, "GRAPHQL_VALIDATION_FAILED", "")
	})
}

// directoryTokens lists a directory's tokens through the API.
func directoryTokens(a *api, dirID string) []tokenView {
	a.t.Helper()
	var data struct{ Node struct{ Tokens []tokenView } }
	a.ok(a.platform, tokensQuery, map[string]any{"d": dirID}, &data)
	return data.Node.Tokens
}
