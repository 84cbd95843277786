package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/throttle"
)

// lastUsedInterval is how stale an API key's last_used_at may get: a key
// used many times a minute is written once a minute.
const lastUsedInterval = time.Minute

// authenticator turns an Authorization header into a viewer.
type authenticator struct {
	client *ent.Client
	touch  *throttle.Throttle
	now    func() time.Time
}

func newAuthenticator(client *ent.Client) *authenticator {
	return &authenticator{client: client, touch: throttle.New(lastUsedInterval), now: time.Now}
}

// errBadKey is the one answer for a key that is malformed, unknown or
// revoked, so callers cannot tell which.
var errBadKey = fault.Errorf(fault.Unauthorized, "invalid API key")

// viewer checks the bearer API key in header and returns who it speaks for.
func (a *authenticator) viewer(ctx context.Context, header string) (*access.Viewer, error) {
	key, ok := secret.Bearer(header)
	if !ok {
		return nil, fault.Errorf(fault.Unauthorized, "an API key is required: Authorization: Bearer dk_...")
	}
	if !secret.HasPrefix(key, secret.APIKeyPrefix) {
		return nil, errBadKey
	}
	// Finding the key is the one read that precedes any viewer, so it
	// bypasses the tenant rules; everything after runs as the key's viewer.
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	k, err := a.client.APIKey.Query().Where(apikey.Hash(secret.Hash(key))).Only(sys)
	switch {
	case ent.IsNotFound(err):
		return nil, errBadKey
	case err != nil:
		return nil, fmt.Errorf("look up API key: %w", err)
	case !secret.Equal(k.Hash, key):
		return nil, errBadKey
	}
	now := a.now()
	if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return nil, fault.Errorf(fault.Unauthorized, "API key expired")
	}
	a.markUsed(sys, k.ID, now)
	v := &access.Viewer{Scope: access.Scope(k.Scope), CredentialID: k.ID}
	if k.OrganizationID != nil {
		v.OrganizationID = *k.OrganizationID
	}
	return v, nil
}

// markUsed records the key's use at most once per lastUsedInterval. A
// failed write costs only freshness, so it is logged, not returned.
func (a *authenticator) markUsed(ctx context.Context, id uuid.UUID, now time.Time) {
	if !a.touch.Due(id, now) {
		return
	}
	if err := a.client.APIKey.UpdateOneID(id).SetLastUsedAt(now).Exec(ctx); err != nil {
		slog.WarnContext(ctx, "graphql: record API key use", "key", id, "err", err)
	}
}

// writeAuthError answers a request that failed authentication with a
// GraphQL-shaped body: 401 for a bad key, 500 when the key could not be
// checked.
func writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusUnauthorized, "UNAUTHENTICATED", fault.MessageOf(err)
	if !fault.Is(err, fault.Unauthorized) {
		slog.ErrorContext(r.Context(), "graphql: authenticate", "err", err)
		status, code, msg = http.StatusInternalServerError, codeInternal, "internal error"
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="directory"`)
	}
	body := struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		slog.DebugContext(r.Context(), "graphql: write auth error", "err", err)
	}
}
