package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// The WebSocket attacks of the hostile phase (issue 15): what an
// unauthenticated caller or one read key can do to the GraphQL socket.

// socketAttacks are the WebSocket's hostile callers.
func socketAttacks(srv *server, f *fixture) []attack {
	wsURL := "ws" + strings.TrimPrefix(srv.url, "http") + "/graphql"
	return []attack{
		{"WebSocket: malformed `connection_init` (payload \"x\"), then close", 100, badInit(wsURL)},
		{"WebSocket: sockets that never send `connection_init`", 200, silentSocket(wsURL)},
		{"WebSocket: one read key opening subscriptions that replay every event", 20, subscriptionFlood(wsURL, f)},
	}
}

// dialSocket opens a graphql-transport-ws socket, or names why not.
func dialSocket(ctx context.Context, wsURL string) (*websocket.Conn, string) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		if res != nil {
			return nil, fmt.Sprint(res.StatusCode)
		}
		if ctx.Err() != nil {
			return nil, "unfinished"
		}
		return nil, "error"
	}
	return c, ""
}

// closeOutcome names how a socket's read ended.
func closeOutcome(ctx context.Context, err error) string {
	if code := websocket.CloseStatus(err); code != -1 {
		return fmt.Sprintf("closed %d", code)
	}
	if ctx.Err() != nil {
		return "held to the end"
	}
	return "dropped"
}

// badInit sends a connection_init whose payload is a string and closes
// without waiting for an answer; the outcome is the server's close code
// when it comes first.
func badInit(wsURL string) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		c, refused := dialSocket(ctx, wsURL)
		if c == nil {
			return refused
		}
		defer c.CloseNow()
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := c.Write(wctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":"x"}`)); err != nil {
			return "error"
		}
		_, _, err := c.Read(wctx)
		return closeOutcome(wctx, err)
	}
}

// silentSocket opens a socket and sends nothing until the server closes
// it (or the attack ends).
func silentSocket(wsURL string) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		c, refused := dialSocket(ctx, wsURL)
		if c == nil {
			if refused == "429" {
				// Refused at once: wait a little, as a real flood's
				// clients would not all retry in the same instant.
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
			return refused
		}
		defer c.CloseNow()
		_, _, err := c.Read(ctx)
		return closeOutcome(ctx, err)
	}
}

// subscriptionFlood opens a socket with the read key and starts 500
// subscriptions on it that each replay every event kept, reading all that
// comes, until the server closes the socket or the attack ends; the
// outcome is the strongest refusal seen.
func subscriptionFlood(wsURL string, f *fixture) func(ctx context.Context) string {
	query, _ := json.Marshal(map[string]any{
		"query":     `subscription($org: ID!) { events(organizationID: $org, after: "") { cursor type } }`,
		"variables": map[string]any{"org": f.orgID},
	})
	return func(ctx context.Context) string {
		c, refused := dialSocket(ctx, wsURL)
		if c == nil {
			return refused
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		outcome := make(chan string, 1)
		go func() {
			seen := "subscribed"
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					if code := websocket.CloseStatus(err); code != -1 {
						seen = fmt.Sprintf("closed %d", code)
					}
					outcome <- seen
					return
				}
				if strings.Contains(string(b), "RATE_LIMITED") {
					seen = "RATE_LIMITED"
				}
			}
		}()
		write := func(v any) error {
			b, _ := json.Marshal(v)
			return c.Write(ctx, websocket.MessageText, b)
		}
		if write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + f.readKey}}) != nil {
			return "error"
		}
		for id := 0; id < 500 && ctx.Err() == nil; id++ {
			if write(map[string]any{"id": fmt.Sprint(id), "type": "subscribe", "payload": json.RawMessage(query)}) != nil {
				break
			}
		}
		return <-outcome
	}
}
