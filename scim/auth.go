package scim

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/fault"
)

// authenticate checks the bearer token against the directory in the path
// (package auth decides) and puts the provisioner viewer it speaks for in
// the context. A refusal is a SCIM 401 with a Bearer challenge; a failure
// to check is a 500.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewer(r)
		if err != nil {
			if fault.Is(err, fault.Unauthorized) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
			}
			writeError(w, r, err)
			return
		}
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
