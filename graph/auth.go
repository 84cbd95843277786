package graph

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
)

// organizationArg is the organization that an organizationID argument or
// input field means: the one given, else the caller's own. The rule is
// access.Viewer.OrganizationOr's; every resolver taking organizationID
// calls this.
func organizationArg(ctx context.Context, id *uuid.UUID) (uuid.UUID, error) {
	return access.FromContext(ctx).OrganizationOr(id, "organizationID")
}

// The endpoint's API-key check is package auth's (auth.Authenticator.APIKey);
// this file translates its answer into GraphQL's.

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
		kind, reason := refusalOf(r)
		slog.WarnContext(r.Context(), "graphql authentication refused", "credential", kind, "reason", reason,
			"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "user_agent", r.UserAgent())
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

// refusalOf classes a refused GraphQL credential for the log line of
// writeAuthError: its kind and why, never any part of the secret.
// Package auth answers every refusal of a well-formed key alike, so
// "refused" covers unknown, revoked, expired and a deleted organization.
func refusalOf(r *http.Request) (kind, reason string) {
	header := r.Header.Get("Authorization")
	key, ok := secret.Bearer(header)
	switch {
	case strings.TrimSpace(header) == "" && auth.HasPortalCookie(r):
		return "portal_session", "refused"
	case strings.TrimSpace(header) == "":
		return "none", "missing"
	case !ok:
		return "unknown", "malformed"
	case secret.HasPrefix(key, secret.DirectoryTokenPrefix):
		return "directory_token", "wrong_kind"
	case !secret.HasPrefix(key, secret.APIKeyPrefix):
		return "unknown", "wrong_kind"
	}
	return "api_key", "refused"
}
