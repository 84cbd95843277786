// requests.js: a directory's SCIM request log and the sentence that says
// why its provider's pushes fail, shown in the directory's card on the
// SCIM Provisioning tab. Its one GraphQL document lives here, beside the
// only code that sends it, so the request log stays one file; it goes
// through api.js's request like every other.
import { request } from "./api.js";

const PAGE = 25;

const REQUESTS = `query($id: ID!, $first: Int, $after: Cursor, $failures: Boolean, $userName: String) {
  node(id: $id) { ... on Directory {
    syncStatus { state summary lastSuccessAt lastFailureAt lastError }
    requests(first: $first, after: $after, failuresOnly: $failures, userName: $userName) {
      edges { node { createdAt method path status scimType detail refusal durationMs effect userName requestBody responseBody } }
      pageInfo { hasNextPage endCursor } } } } }`;

const REFUSALS = { DIRECTORY_DISABLED: "directory disabled", TOKEN_EXPIRED: "token expired", TOKEN_REVOKED: "token revoked" };

/** ago says how long before now the instant t was, in words. */
export function ago(t, now = Date.now()) {
  const s = Math.max(0, Math.round((now - new Date(t).getTime()) / 1000));
  const say = (n, unit) => n + " " + unit + (n === 1 ? "" : "s") + " ago";
  if (s < 45) return "just now";
  if (s < 3600) return say(Math.max(1, Math.round(s / 60)), "minute");
  if (s < 86400) return say(Math.round(s / 3600), "hour");
  return say(Math.round(s / 86400), "day");
}

/** syncSentence says plainly why pushes fail, or when the last one worked. */
export function syncSentence(st, when) {
  const success = st.lastSuccessAt ? "Last successful sync " + ago(st.lastSuccessAt) + "." : "";
  switch (st.state) {
    case "DISABLED":
      return "Pushes are refused: this directory is disabled.";
    case "FAILING":
      return "The last push failed: " + st.lastError + " at " + when(st.lastFailureAt) + ". " + success;
    case "OK":
      return success || st.summary;
  }
  return st.summary;
}

/** requestLog is the element of directory d's sync status and request log. */
export function requestLog(d, { h, when }) {
  const sentence = h("p", { class: "sync-status", "data-state": "" }, "Checking the last sync…");
  const failures = h("input", { type: "checkbox", class: "failures-only" });
  const user = h("input", { type: "search", class: "request-user", placeholder: "userName", "aria-label": "Only the requests of this userName" });
  const rows = h("tbody", {});
  const older = h("button", { type: "button", class: "secondary small older-requests", hidden: true }, "Older requests");
  let after = null;

  const row = (r) => {
    const status = [String(r.status), r.refusal ? REFUSALS[r.refusal] || r.refusal : r.scimType].filter(Boolean).join(" ");
    const bodies = [["Request", r.requestBody], ["Response", r.responseBody]].filter(([, b]) => b)
      .map(([what, b]) => [h("p", { class: "muted" }, what + " body (start, secrets redacted):"), h("pre", {}, b)]);
    return h("tr", { class: r.status >= 400 ? "failed" : "" },
      h("td", {}, when(r.createdAt)),
      h("td", {}, h("code", {}, r.method + " " + r.path), r.userName ? h("div", { class: "muted" }, r.userName) : null),
      h("td", { class: "request-status" }, status),
      h("td", { class: "request-effect" }, r.effect || r.detail || "no change",
        bodies.length ? h("details", {}, h("summary", {}, "Bodies"), bodies) : null),
      h("td", {}, r.durationMs.toFixed(1) + " ms"));
  };

  // A card's log reads on its own: its failure is said in the card, and
  // leaves the page's alert (another action's message) alone.
  const load = async (more) => {
    older.disabled = true;
    try {
      await show(more);
    } catch (err) {
      sentence.textContent = "The request log could not be read: " + err.message;
    } finally {
      older.disabled = false;
    }
  };
  const show = async (more) => {
    if (!more) after = null;
    const data = await request(REQUESTS, { id: d.id, first: PAGE, after,
      failures: failures.checked || null, userName: user.value.trim() || null });
    const dir = data.node;
    if (!dir) return;
    sentence.textContent = syncSentence(dir.syncStatus, when);
    sentence.dataset.state = dir.syncStatus.state;
    const page = dir.requests;
    const fresh = page.edges.map((e) => row(e.node));
    if (more) rows.append(...fresh);
    else rows.replaceChildren(...(fresh.length ? fresh
      : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No request in the kept time."))]));
    after = page.pageInfo.endCursor;
    older.hidden = !page.pageInfo.hasNextPage;
  };
  older.addEventListener("click", () => load(true));
  load(false);

  return h("section", { class: "request-log", "data-requests": d.id },
    sentence,
    h("details", {},
      h("summary", {}, "SCIM request log"),
      h("form", { class: "row request-filters", onsubmit: (e) => { e.preventDefault(); load(false); } },
        h("label", { class: "inline" }, failures, " Failures only"),
        user,
        h("button", { type: "submit", class: "secondary small" }, "Filter")),
      h("div", { class: "table-wrap" },
        h("table", {},
          h("caption", { class: "visually-hidden" }, "SCIM requests of " + d.name + ", newest first"),
          h("thead", {}, h("tr", {}, ["Time", "Request", "Status", "Effect or error", "Took"].map((x) => h("th", { scope: "col" }, x)))),
          rows)),
      older));
}
