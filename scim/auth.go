package scim

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/throttle"
)

// errUnauthorized is the one answer to every failed authentication, so a
// caller learns nothing about which part was wrong.
var errUnauthorized = errorf(http.StatusUnauthorized, "", "a valid bearer token of this directory is required")

// authenticate checks the bearer token against the directory in the path
// and puts a provisioner viewer for that directory in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewer(r)
		if err != nil {
			if !errors.Is(err, errUnauthorized) {
				writeError(w, r, err)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
			writeError(w, r, errUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(access.NewContext(r.Context(), v)))
	})
}

// viewer resolves the request's credentials.
func (s *Server) viewer(r *http.Request) (*access.Viewer, error) {
	dirID, err := uuid.Parse(r.PathValue("dir"))
	if err != nil {
		return nil, errUnauthorized
	}
	token, ok := secret.Bearer(r.Header.Get("Authorization"))
	if !ok || !secret.HasPrefix(token, secret.DirectoryTokenPrefix) {
		return nil, errUnauthorized
	}
	// The token itself decides which organization the caller acts for, so
	// the look-up runs before any tenant is known.
	ctx := privacy.DecisionContext(r.Context(), privacy.Allow)
	tok, err := s.client.DirectoryToken.Query().
		Where(directorytoken.Hash(secret.Hash(token))).
		WithDirectory().Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, errUnauthorized
	case err != nil:
		return nil, err
	}
	now := time.Now()
	if !secret.Equal(tok.Hash, token) || tok.DirectoryID != dirID ||
		(tok.ExpiresAt != nil && now.After(*tok.ExpiresAt)) || !tok.Edges.Directory.Enabled {
		return nil, errUnauthorized
	}
	s.touch.seen(r.Context(), tok.ID, tok.DirectoryID, now)
	return &access.Viewer{
		Scope:          access.Provisioner,
		OrganizationID: tok.OrganizationID,
		DirectoryID:    tok.DirectoryID,
		CredentialID:   tok.ID,
	}, nil
}

// toucher records a directory's last sync time and a token's last use
// without a database write on every request.
type toucher struct {
	client   *ent.Client
	throttle *throttle.Throttle
}

func newToucher(client *ent.Client, interval time.Duration) *toucher {
	return &toucher{client: client, throttle: throttle.New(interval)}
}

// seen notes a request authenticated by token of directory at now, and
// writes it when a write is due: two small updates a minute per token. A
// failed write is logged; the request goes on.
func (t *toucher) seen(ctx context.Context, token, directory uuid.UUID, now time.Time) {
	if !t.throttle.Due(token, now) {
		return
	}
	ctx = access.PlatformContext(context.WithoutCancel(ctx))
	if err := t.client.DirectoryToken.UpdateOneID(token).SetLastUsedAt(now).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		slog.Warn("scim: record token use", "token", token, "err", err)
	}
	if err := t.client.Directory.UpdateOneID(directory).SetLastSyncedAt(now).Exec(ctx); err != nil && !ent.IsNotFound(err) {
		slog.Warn("scim: record directory sync", "directory", directory, "err", err)
	}
}
