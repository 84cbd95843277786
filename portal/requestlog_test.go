package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acme/directory/pgtest"
)

// TestRequestLogInBrowser: a directory's provider is refused because the
// directory is disabled, and its admin reads why on the directory's card:
// the status sentence, and the refused request in the request log with
// its reason, beside the user the provider created before; the failures
// filter keeps only the refusal.
func TestRequestLogInBrowser(t *testing.T) {
	chrome := findChromium(t)
	t.Run("sqlite", func(t *testing.T) { requestLogInBrowser(t, chrome, "") })
	t.Run("postgres", func(t *testing.T) { requestLogInBrowser(t, chrome, pgtest.New(t)) })
}

func requestLogInBrowser(t *testing.T, chrome, databaseURL string) {
	srv := startServer(t, databaseURL)
	platform := &gql{t: t, url: srv.base + "/graphql", key: srv.key}
	org := platform.do(`mutation { organizationCreate(input: {name: "Initech"}) { organization { id } } }`, nil)["organizationCreate"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	created := platform.do(`mutation($o: ID!) { directoryCreate(input: {organizationID: $o, provider: OKTA}) { directory { id } scimEndpoint bearerToken } }`,
		map[string]any{"o": org})["directoryCreate"].(map[string]any)
	dirID := created["directory"].(map[string]any)["id"].(string)
	jc := &scimClient{t: t, base: created["scimEndpoint"].(string), token: created["bearerToken"].(string)}
	jc.post("/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"peter@initech.test"}`)
	platform.do(`mutation($id: ID!) { directoryDisable(input: {id: $id}) { directory { id } } }`, map[string]any{"id": dirID})
	req, _ := http.NewRequest(http.MethodGet, jc.base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+jc.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a disabled directory's token: %d; want 403", res.StatusCode)
	}
	// The log is written a moment after the requests.
	for deadline := time.Now().Add(10 * time.Second); ; {
		d := platform.do(`query($id: ID!) { node(id: $id) { ... on Directory { requests { edges { node { status } } } } } }`, map[string]any{"id": dirID})
		if edges := d["node"].(map[string]any)["requests"].(map[string]any)["edges"].([]any); len(edges) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the requests did not reach the request log")
		}
		time.Sleep(100 * time.Millisecond)
	}
	link := platform.do(`mutation($o: ID!) { createPortalLink(organizationID: $o) { url } }`, map[string]any{"o": org})["createPortalLink"].(map[string]any)["url"].(string)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.WindowSize(1280, 800))...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	card := `.directory[data-directory="` + dirID + `"] `
	step("read why the pushes fail",
		chromedp.Navigate(link),
		waitText("#org-name", "Initech"),
		waitText(card+".sync-status", "Pushes are refused: this directory is disabled."))
	step("open the request log",
		chromedp.Click(chromedp.CSS(card+".request-log summary")),
		waitText(card+".request-log tbody", "GET /Users"),
		waitText(card+".request-log tbody", "403 directory disabled"),
		waitText(card+".request-log tbody", "this directory is disabled"),
		waitText(card+".request-log tbody", "user created"),
		waitText(card+".request-log tbody", "peter@initech.test"))
	step("keep only the failures",
		chromedp.Click(chromedp.CSS(card+".failures-only")),
		chromedp.Click(chromedp.CSS(card+".request-filters button")),
		waitText(card+".request-log tbody", "403 directory disabled"))
	gone := fmt.Sprintf(`!document.querySelector(%q).textContent.includes("user created")`, card+".request-log tbody")
	if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](gone, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		rows, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('`+card+`.request-log tbody').textContent`))
		t.Errorf("failures only still shows the success: %q, %v", rows, err)
	}
}
