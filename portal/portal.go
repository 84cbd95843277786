// Package portal serves the Admin Portal: plain HTML, CSS and JavaScript
// modules embedded in the binary (no build step, nothing fetched from
// another site), the portal-link sign-in that turns a link into a session
// cookie, and a small GraphQL explorer for /graphql in a browser.
//
// The portal is one client of the GraphQL API: every read and change goes
// through /graphql, authenticated either by an API key the admin pastes
// (kept in sessionStorage, sent as a Bearer header) or by the session
// cookie of a portal link (with the CSRF header; see auth/portal.go). The
// GraphQL documents it sends live in static/api.js, but for the request
// log's, beside the code that shows it in static/requests.js.
package portal

import (
	"embed"
	"encoding/json"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/fault"
)

//go:embed static
var files embed.FS

// Path is where the portal is mounted.
const Path = "/portal"

// contentSecurityPolicy allows the page this server's own scripts, styles
// and API only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler returns the portal's routes, to be mounted at Path and below it:
// the page and its files, /portal/login (a portal link), /portal/session
// (who the cookie is) and /portal/logout.
func Handler(a *auth.Authenticator) http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("portal: embedded files: " + err.Error()) // the embed directive guarantees the folder
	}
	h := &handler{auth: a, static: http.StripPrefix(Path+"/static/", http.FileServerFS(sub))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Path+"/", http.StatusFound)
	})
	mux.HandleFunc("GET "+Path+"/{$}", h.page("index.html"))
	mux.Handle("GET "+Path+"/static/", h.static)
	mux.HandleFunc("GET "+Path+"/login", h.login)
	mux.HandleFunc("GET "+Path+"/session", h.session)
	mux.HandleFunc("POST "+Path+"/logout", h.logout)
	return secured(mux)
}

// Explorer serves the embedded GraphQL explorer to a browser opening
// graphql (a GET asking for HTML, without a query) when enabled, and
// passes every other request to graphql.
func Explorer(graphql http.Handler, enabled bool) http.Handler {
	page := secured(http.HandlerFunc((&handler{}).page("explorer.html")))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if enabled && r.Method == http.MethodGet && r.URL.Query().Get("query") == "" &&
			strings.Contains(r.Header.Get("Accept"), "text/html") {
			page.ServeHTTP(w, r)
			return
		}
		graphql.ServeHTTP(w, r)
	})
}

// secured adds the headers every portal response carries.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

type handler struct {
	auth   *auth.Authenticator
	static http.Handler
}

// page serves one embedded HTML file.
func (h *handler) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := files.ReadFile("static/" + name)
		if err != nil {
			http.Error(w, "portal page missing", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

// secure reports whether cookies of r's response should be Secure: the
// request came over TLS, here or at a proxy in front.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCookies sets (or, with an empty token, clears) the session cookie and
// the CSRF cookie.
func setCookies(w http.ResponseWriter, r *http.Request, token, csrf string, expires time.Time) {
	maxAge := int(time.Until(expires) / time.Second)
	if token == "" {
		maxAge = -1
	}
	for _, c := range []*http.Cookie{
		{Name: auth.PortalCookie, Value: token, HttpOnly: true},
		{Name: auth.PortalCSRFCookie, Value: csrf},
	} {
		c.Path, c.MaxAge, c.Secure, c.SameSite = "/", maxAge, secure(r), http.SameSiteStrictMode
		http.SetCookie(w, c)
	}
}

// login redeems the portal link in ?token= and starts the session: the
// cookies are set and the browser sent on to the portal. A refused link
// gets a page that says why.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s, err := h.auth.RedeemPortalLink(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		status, msg := http.StatusUnauthorized, fault.MessageOf(err)
		if !fault.Is(err, fault.Unauthorized) {
			slog.ErrorContext(r.Context(), "portal: redeem link", "err", err)
			status, msg = http.StatusInternalServerError, "The portal link could not be checked: try again in a moment."
		}
		writeRefusal(w, status, msg)
		return
	}
	setCookies(w, r, s.Token, s.CSRF, s.ExpiresAt)
	slog.InfoContext(r.Context(), "portal: session started", "organization", s.OrganizationID, "session", s.ID)
	http.Redirect(w, r, Path+"/", http.StatusSeeOther)
}

// sessionInfo is what /portal/session tells the page.
type sessionInfo struct {
	OrganizationID string    `json:"organizationID"`
	ExpiresAt      time.Time `json:"expiresAt"`
	CSRFToken      string    `json:"csrfToken"`
}

// session tells the page whose session its cookie is, with the CSRF token
// its writes need; 401 without a valid session.
func (h *handler) session(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	c, err := r.Cookie(auth.PortalCookie)
	if err != nil || c.Value == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no portal session"})
		return
	}
	v, expires, err := h.auth.PortalViewer(r.Context(), c.Value)
	if err != nil {
		if !fault.Is(err, fault.Unauthorized) {
			slog.ErrorContext(r.Context(), "portal: session", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the session could not be checked"})
			return
		}
		setCookies(w, r, "", "", time.Time{})
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": fault.MessageOf(err)})
		return
	}
	writeJSON(w, http.StatusOK, sessionInfo{OrganizationID: v.OrganizationID.String(), ExpiresAt: expires,
		CSRFToken: auth.PortalCSRF(c.Value)})
}

// logout ends the session of the cookie (a write: it needs the CSRF
// header) and clears the cookies.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := h.auth.PortalRequest(r); err != nil {
		if !fault.Is(err, fault.Unauthorized) {
			slog.ErrorContext(r.Context(), "portal: logout", "err", err)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": fault.MessageOf(err)})
		return
	}
	c, _ := r.Cookie(auth.PortalCookie)
	if err := h.auth.EndPortalSession(r.Context(), c.Value); err != nil {
		slog.ErrorContext(r.Context(), "portal: logout", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the session could not be ended"})
		return
	}
	setCookies(w, r, "", "", time.Time{})
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeRefusal answers a refused portal link with a small page in words.
func writeRefusal(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal link refused</title>` +
		`<link rel="stylesheet" href="` + Path + `/static/portal.css"></head><body><main class="narrow">` +
		`<h1>Directory Admin Portal</h1><p class="error" role="alert" id="login-error">` + html.EscapeString(msg) + `</p>` +
		`<p><a href="` + Path + `/">Sign in with an API key instead</a></p></main></body></html>`))
}
