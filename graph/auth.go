package graph

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/fault"
)

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
