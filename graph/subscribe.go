package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/model"
)

// Subscriptions run over WebSocket with the graphql-transport-ws protocol
// (graphql-ws, its predecessor, is accepted too). Browsers cannot set
// headers on a WebSocket, so the API key comes in connection_init's
// payload, {"Authorization": "Bearer dk_..."}, and is checked there exactly
// as an HTTP request's header is; an upgrade request that does carry the
// header is checked by the endpoint first, as any request. What a socket
// may do, and how long, is socket.go's.

// isWebSocket reports whether r asks to switch protocols: the only
// requests gqlgen's websocket transport takes (its GET and POST
// transports refuse them).
func isWebSocket(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// websocketTransport is the WebSocket transport: sockets accepted through
// socket.go's rules, authenticated with a, messages up to maxBody bytes.
func websocketTransport(a *auth.Authenticator, maxBody int64) transport.Websocket {
	return transport.Websocket{
		Implementation: socketAcceptor{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// Any origin: the key is sent explicitly, never by the browser
			// on its own; a portal session's cookie is, but counts only
			// with its CSRF token in connection_init, which a foreign
			// page cannot read. So a foreign page gains nothing.
			OriginPatterns: []string{"*"},
		}}},
		InitFunc: websocketInit(a),
		// connection_init's deadline is the socket's (4408), not the
		// transport's (which closes with 1002).
		InitTimeout:      0,
		PayloadReadLimit: &maxBody,
		// A ping every 30 s keeps proxies from closing quiet subscriptions.
		KeepAlivePingInterval: 30 * time.Second,
		PingPongInterval:      30 * time.Second,
		MissingPongOk:         true,
	}
}

// websocketInit authenticates connection_init's Authorization (or
// authorization) entry or, without one, the upgrade request's header or,
// without either, the portal session of the upgrade's cookie with the
// CSRF token in connection_init's X-CSRF-Token entry (the portal's page). A
// refused key closes the connection with 4403 Forbidden, a key over its
// socket cap with 4429. The connection's operations are charged to the
// key's rate limit as HTTP requests are.
func websocketInit(a *auth.Authenticator) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		s := socketOf(ctx)
		if s == nil {
			return transport.WithWebsocketCloseCode(ctx, wsCloseForbidden), nil, errors.New("no socket")
		}
		csrf, _ := p[auth.CSRFHeader].(string)
		v, code, err := s.authenticate(ctx, a, p.Authorization(), csrf)
		if err != nil {
			reason := "Forbidden"
			if code == wsCloseTooMany {
				reason = "Too many connections for this API key"
			}
			return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason), nil, err
		}
		return withRequestCost(access.NewContext(ctx, v), &requestCost{}), nil, nil
	}
}

// subscribeEvents is the events subscription: the organization's events
// after the cursor (or, without one, after its newest event now), then
// each one as it commits, read by broker.Tail as the viewer, so the
// privacy rules and the order of package events hold. An organization the
// viewer cannot see is NOT_FOUND, as in every query.
func (r *Resolver) subscribeEvents(ctx context.Context, org uuid.UUID, types []string, after *entgql.Cursor[uuid.UUID]) (<-chan model.Event, error) {
	// The key's cap first: a refused subscription costs no SQL.
	key := access.FromContext(ctx).CredentialID
	gate, release, err := r.sockets.subscribe(key)
	if err != nil {
		return nil, err
	}
	ch, err := r.tailEvents(ctx, org, types, after, gate, release)
	if err != nil {
		release()
	}
	return ch, err
}

// tailEvents starts the events subscription of subscribeEvents, its reads
// through gate; release ends its count.
func (r *Resolver) tailEvents(ctx context.Context, org uuid.UUID, types []string, after *entgql.Cursor[uuid.UUID], gate broker.Gate, release func()) (<-chan model.Event, error) {
	visible, err := r.client.Organization.Query().Where(organization.ID(org)).Exist(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the socket closed meanwhile: nobody to answer
	}
	if err != nil {
		return nil, fmt.Errorf("events subscription: %w", err)
	}
	if !visible {
		return nil, &fault.Error{Code: fault.NotFound, Field: "organizationID", Message: "organization not found"}
	}
	var from events.Cursor
	if after != nil {
		from, err = model.EventsCursor(after, "after")
	} else {
		from, err = events.Latest(ctx, r.client, org)
	}
	if err != nil {
		return nil, err
	}
	ch := make(chan model.Event)
	go func() {
		defer close(ch)
		defer release()
		err := r.cfg.Broker.TailGated(ctx, r.client, org, from, events.Filter{Types: types}, gate, func(e *ent.Event) error {
			node, err := model.EventOf(e)
			if err != nil {
				return err
			}
			select {
			case ch <- node:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "graphql: events subscription failed", "organization", org, "err", err)
			subscriptionError(ctx, gqlerror.Errorf("reading events failed: subscribe again from your last cursor"))
		}
	}()
	return ch, nil
}

// subscriptionError has the WebSocket transport send err, rather than
// complete, when the subscription's channel closes. Only that transport
// can (transport.AddSubscriptionError panics under the others, which just
// end the response).
func subscriptionError(ctx context.Context, err *gqlerror.Error) {
	defer func() { _ = recover() }()
	transport.AddSubscriptionError(ctx, err)
}

// eventTypes is the types the events query or subscription filters by:
// those named as strings and as the enum; none is every type.
func eventTypes(types []string, kinds []model.EventType) []string {
	out := slices.Clone(types)
	for _, k := range kinds {
		out = append(out, string(k))
	}
	return out
}
