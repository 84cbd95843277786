package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestPortalSessionSocket: the Admin Portal's page subscribes with its
// session cookie and the CSRF token in connection_init. The cookie alone
// (what a foreign page's socket would carry) or a wrong token is refused
// with 4403; with the token the events arrive; when the session ends, the
// socket closes with 4403.
func TestPortalSessionSocket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		svc := domain.New(s.Client, s.Dialect)
		authn := auth.New(svc, auth.Config{})
		a := newAPI(t, s.Client, s.Dialect, Config{Auth: authn})
		pctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		link, err := svc.CreatePortalLink(pctx, org.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		session, err := authn.RedeemPortalLink(context.Background(), link.Token)
		if err != nil {
			t.Fatal(err)
		}
		dial := func(csrf string) *socketClient {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.srv.URL, "http")+"/", &websocket.DialOptions{
				Subprotocols: []string{"graphql-transport-ws"},
				HTTPHeader:   http.Header{"Cookie": {auth.PortalCookie + "=" + session.Token}}})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			t.Cleanup(func() { conn.CloseNow() })
			ws := reading(&wsClient{t: t, conn: conn})
			init := map[string]any{}
			if csrf != "" {
				init[auth.CSRFHeader] = csrf
			}
			p, _ := json.Marshal(init)
			ws.send(wsMsg{Type: "connection_init", Payload: p})
			return ws
		}
		for name, csrf := range map[string]string{"no CSRF token": "", "a wrong CSRF token": auth.PortalCSRF("dps_other")} {
			if code := dial(csrf).closedWith(5 * time.Second); code != wsCloseForbidden {
				t.Errorf("the cookie with %s: close code %d; want %d", name, code, wsCloseForbidden)
			}
		}

		ws := dial(session.CSRF)
		if m := ws.next(10 * time.Second); m.Type != "connection_ack" {
			t.Fatalf("connection_init with the CSRF token: %+v", m)
		}
		ws.subscribe("events", map[string]any{"org": org.ID})
		ws.silent(300 * time.Millisecond)
		if _, err := svc.CreateRole(pctx, domain.NewRole{OrganizationID: org.ID, Key: "admin", Name: "Admin"}); err != nil {
			t.Fatal(err)
		}
		if m := ws.answer("events", 10*time.Second); m.Type != "next" || !strings.Contains(string(m.Payload), `"role.created"`) {
			t.Fatalf("the session's subscription got %+v", m)
		}
		if err := authn.EndPortalSession(context.Background(), session.Token); err != nil {
			t.Fatal(err)
		}
		if code := ws.closedWith(5 * time.Second); code != wsCloseForbidden {
			t.Fatalf("after the session ended: close code %d; want %d", code, wsCloseForbidden)
		}
	})
}
