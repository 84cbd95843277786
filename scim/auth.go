package scim

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
)

// authenticate checks the bearer token against the directory in the path
// (package auth decides) and puts the provisioner viewer it speaks for in
// the context. A refusal is a SCIM 401 with a Bearer challenge, or a 403
// for a token of a disabled directory (its credentials are good, the
// directory takes no requests), logged once (logRefusal); a failure to
// check is a 500. A refusal of a token of the directory is noted for the
// directory's request log with its reason; any other belongs to no
// directory.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewer(r)
		if err != nil {
			if fault.Is(err, fault.Unauthorized) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
			}
			if fault.Is(err, fault.Unauthorized) || fault.Is(err, fault.Forbidden) {
				logRefusal(r, err)
			}
			recordOf(r.Context()).refused(err)
			writeError(w, r, err)
			return
		}
		recordOf(r.Context()).authenticated(r, v)
		next.ServeHTTP(w, r.WithContext(access.NewContext(r.Context(), v)))
	})
}

// viewer resolves the request's credentials for the directory in its path.
func (s *Server) viewer(r *http.Request) (*access.Viewer, error) {
	dirID, err := uuid.Parse(r.PathValue("dir"))
	if err != nil {
		return nil, auth.ErrDirectoryToken
	}
	return s.auth.DirectoryToken(r.Context(), dirID, r.Header.Get("Authorization"))
}

// Reason classes of a refused SCIM credential, as logged. Package auth
// answers every refusal of a well-formed token alike (unknown, of another
// directory): "refused"; a token of the directory refused because its
// directory is disabled, or it expired or was revoked, is logged with
// that reason (auth.Refusal: domain.RefusalDirectoryDisabled, ...).
const (
	reasonMissing     = "missing"    // no Authorization header
	reasonMalformed   = "malformed"  // not "Bearer <token>"
	reasonWrongKind   = "wrong_kind" // a credential that is not a directory token (an API key, say)
	reasonBadPath     = "bad_directory_id"
	reasonRefused     = "refused" // unknown, or another directory's
	credentialKindDir = "directory_token"
)

// logRefusal writes the one log line of a refused SCIM request: which
// credential kind, which directory, why (a class) and who asked, never
// the credential.
func logRefusal(r *http.Request, err error) {
	header := r.Header.Get("Authorization")
	kind, reason := credentialKindDir, reasonRefused
	token, ok := secret.Bearer(header)
	var known *auth.Refusal
	switch {
	case errors.As(err, &known):
		reason = known.Reason
	case strings.TrimSpace(header) == "":
		kind, reason = "none", reasonMissing
	case !ok:
		kind, reason = "unknown", reasonMalformed
	case secret.HasPrefix(token, secret.APIKeyPrefix):
		kind, reason = "api_key", reasonWrongKind
	case !strings.HasPrefix(token, secret.DirectoryTokenPrefix):
		kind, reason = "unknown", reasonWrongKind
	}
	dir := r.PathValue("dir")
	if _, err := uuid.Parse(dir); err != nil {
		reason, dir = reasonBadPath, ""
	}
	slog.WarnContext(r.Context(), "scim authentication refused", "credential", kind, "directory", dir, "reason", reason,
		"method", r.Method, "path", logPath(r), "remote", r.RemoteAddr, "user_agent", truncate(r.UserAgent(), 200))
}
