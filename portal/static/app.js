// app.js: the Admin Portal's screens. It talks to the server only through
// api.js.
import { api, portalSession, setKey, storedKey, signOut } from "./api.js";
import { providers } from "./providers.js";
import { requestLog } from "./requests.js";

const $ = (id) => document.getElementById(id);

/** h builds an element: h("td", {class: "x"}, "text", child). Text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

const when = (t) => (t ? new Date(t).toLocaleString() : "never");

function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "Nothing here yet.")))));
}

// ---- messages ------------------------------------------------------------

function showError(err) {
  $("alert-text").textContent = err && err.message ? err.message : String(err);
  $("alert").hidden = false;
  $("alert").className = "alert";
  if (err && err.code === "UNAUTHENTICATED") showSignIn();
}

function showInfo(msg) {
  $("alert-text").textContent = msg;
  $("alert").className = "alert info";
  $("alert").hidden = false;
  $("status").textContent = msg;
}

function clearAlert() {
  $("alert").hidden = true;
}

/** run calls f, showing its error in words and keeping the button busy meanwhile. */
async function run(button, f) {
  if (button) button.disabled = true;
  clearAlert();
  try {
    return await f();
  } catch (err) {
    showError(err);
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- state and sign-in ---------------------------------------------------

const state = { org: "", orgs: [], tab: "scim", session: null };

function showSignIn() {
  $("app").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
}

async function start() {
  clearAlert();
  state.session = null;
  if (!storedKey()) {
    try {
      state.session = await portalSession();
    } catch (err) {
      showError(err);
    }
    if (!state.session) {
      showSignIn();
      return;
    }
  }
  let orgs;
  try {
    orgs = await api.organizations();
  } catch (err) {
    if (storedKey()) setKey("");
    showSignIn();
    $("signin-error").textContent = err.message;
    return;
  }
  state.orgs = orgs;
  if (state.session) state.orgs = orgs.filter((o) => o.id === state.session.organizationID);
  $("signin").hidden = true;
  $("who").hidden = false;
  $("app").hidden = false;
  const sel = $("org-select");
  fill(sel, state.orgs.map((o) => h("option", { value: o.id }, o.name + " (" + o.slug + ")")));
  const single = state.orgs.length <= 1;
  sel.hidden = single;
  document.querySelector('label[for="org-select"]').hidden = single;
  $("org-name").textContent = single && state.orgs[0] ? state.orgs[0].name : "";
  $("session-note").textContent = state.session
    ? "portal session until " + new Date(state.session.expiresAt).toLocaleTimeString()
    : "signed in with an API key";
  if (!state.orgs.length) {
    showInfo("There is no organization yet. Create one with a platform key: mutation { createOrganization(input: {name: \"Acme\"}) { id } }");
    return;
  }
  state.org = state.orgs.some((o) => o.id === state.org) ? state.org : state.orgs[0].id;
  sel.value = state.org;
  selectTab(state.tab, false);
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  const key = $("api-key").value.trim();
  if (!key.startsWith("dk_")) {
    $("signin-error").textContent = "An API key starts with dk_. A directory's SCIM token (scim_…) does not sign in here.";
    return;
  }
  setKey(key);
  $("api-key").value = "";
  await start();
});

$("sign-out").addEventListener("click", async () => {
  await run($("sign-out"), signOut);
  state.session = null;
  showSignIn();
});

$("org-select").addEventListener("change", () => {
  state.org = $("org-select").value;
  selectTab(state.tab, false);
});

$("alert-close").addEventListener("click", clearAlert);

// ---- tabs ----------------------------------------------------------------

const tabs = ["scim", "roles", "users", "groups", "events"];
const loaders = {};

function selectTab(name, focus) {
  clearAlert();
  state.tab = name;
  for (const t of tabs) {
    const on = t === name;
    $("tab-" + t).setAttribute("aria-selected", on ? "true" : "false");
    $("tab-" + t).tabIndex = on ? 0 : -1;
    $("panel-" + t).hidden = !on;
  }
  if (focus) $("tab-" + name).focus();
  if (state.org) loaders[name]();
}

for (const t of tabs) {
  $("tab-" + t).addEventListener("click", () => selectTab(t, false));
  $("tab-" + t).addEventListener("keydown", (e) => {
    const i = tabs.indexOf(t);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], true);
  });
}

// Copy buttons: data-copy names the input whose value they copy.
document.addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-copy]");
  if (!b) return;
  const input = $(b.dataset.copy);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    showInfo("Copied to the clipboard.");
  } catch {
    showInfo("Press Ctrl+C (or ⌘C) to copy the selected text: the browser did not allow copying from here.");
  }
});

// ---- SCIM provisioning ---------------------------------------------------

function renderProviders() {
  fill($("providers"), providers.map((p, i) =>
    h("label", { class: "provider", for: "provider-" + p.id.toLowerCase() },
      h("input", { type: "radio", name: "provider", id: "provider-" + p.id.toLowerCase(), value: p.id, checked: i === 0 }), p.name)));
  $("providers").addEventListener("change", renderSteps);
  renderSteps();
}

function chosenProvider() {
  const r = document.querySelector('input[name="provider"]:checked');
  return providers.find((p) => p.id === (r ? r.value : "JUMPCLOUD"));
}

function renderSteps() {
  const p = chosenProvider();
  fill($("provider-steps"), h("h3", {}, "Set-up in " + p.name), h("ol", {}, p.steps.map((s) => h("li", {}, s))));
}

function showSecret(endpoint, token) {
  $("secret-endpoint").value = endpoint;
  $("secret-token").value = token;
  $("secret-box").hidden = false;
  $("secret-box").focus();
}

$("secret-done").addEventListener("click", () => {
  $("secret-token").value = "";
  $("secret-box").hidden = true;
});

$("new-directory").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-directory"), async () => {
    const p = chosenProvider();
    const d = await api.createDirectory(state.org, p.id, $("directory-name").value.trim());
    $("directory-name").value = "";
    showSecret(d.scimEndpoint, d.bearerToken);
    await loaders.scim();
  });
});

function statusBadge(d) {
  const words = { PENDING: "waiting for the first sync", ACTIVE: "active", DISABLED: "disabled" };
  return h("span", { class: "badge " + d.status.toLowerCase() }, words[d.status] || d.status);
}

function directoryCard(d) {
  const p = providers.find((x) => x.id === d.provider);
  const tokens = (d.tokens || []).map((t) =>
    h("li", {}, h("code", {}, t.prefix + "…"), " created ", when(t.createdAt),
      t.expiresAt ? ", expires " + when(t.expiresAt) : "", ", last used ", when(t.lastUsedAt), " ",
      h("button", { type: "button", class: "secondary small", "aria-label": "Revoke token " + t.prefix,
        onclick: (e) => {
          if (!confirm("Revoke token " + t.prefix + "…? The identity provider using it stops syncing at once.")) return;
          run(e.target, async () => { await api.revokeDirectoryToken(t.id); showInfo("Token revoked."); await loaders.scim(); });
        } }, "Revoke")));
  return h("article", { class: "card directory", "data-directory": d.id },
    h("h3", {}, d.name, " ", h("span", { class: "muted" }, "(" + (p ? p.name : d.provider) + ")"), " ", statusBadge(d)),
    h("dl", { class: "facts" },
      h("dt", {}, "Endpoint"), h("dd", {}, h("code", { class: "endpoint" }, d.scimEndpoint)),
      h("dt", {}, "Last sync"), h("dd", { class: "last-sync" }, when(d.lastSyncedAt)),
      h("dt", {}, "Users"), h("dd", { class: "user-count" }, d.userCount),
      h("dt", {}, "Groups"), h("dd", { class: "group-count" }, d.groupCount)),
    h("p", { class: "muted" }, "Bearer tokens (at most two at once, so a rotation needs no downtime):"),
    h("ul", { class: "tokens" }, tokens.length ? tokens : h("li", { class: "muted" }, "No token: rotate to make one.")),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: (e) => run(e.target, async () => {
        const r = await api.rotateDirectoryToken(d.id);
        showSecret(r.directory.scimEndpoint, r.bearerToken);
        await loaders.scim();
      }) }, "Rotate token"),
      h("button", { type: "button", class: "secondary", onclick: (e) => run(e.target, async () => {
        await api.setDirectoryEnabled(d.id, !d.enabled);
        showInfo(d.name + (d.enabled ? " is disabled: it refuses SCIM requests." : " is enabled."));
        await loaders.scim();
      }) }, d.enabled ? "Disable" : "Enable"),
      h("button", { type: "button", class: "danger", onclick: (e) => {
        if (!confirm("Delete " + d.name + " with all its users and groups?")) return;
        run(e.target, async () => { await api.deleteDirectory(d.id); showInfo(d.name + " deleted."); await loaders.scim(); });
      } }, "Delete")),
    requestLog(d, { h, when }));
}

loaders.scim = () => run(null, async () => {
  const dirs = await api.directories(state.org);
  fill($("directories"), dirs.length ? dirs.map(directoryCard)
    : h("p", { class: "muted" }, "No directory yet: choose a provider and create one."));
});

// ---- roles ---------------------------------------------------------------

let rolesCache = [];

async function findMapGroups() {
  const page = await api.groups(state.org, $("map-group-search").value.trim(), { first: 50 });
  const groups = page.edges.map((e) => e.node);
  const keep = $("map-group").value;
  fill($("map-group"), groups.length ? groups.map((g) => h("option", { value: g.id, dataset: { roles: g.roles.map((r) => r.id).join(",") } },
    g.displayName + " (" + g.members.totalCount + " members)")) : h("option", { value: "" }, "No group found"));
  if (groups.some((g) => g.id === keep)) $("map-group").value = keep;
  checkMappedRoles();
}

function checkMappedRoles() {
  const opt = $("map-group").selectedOptions[0];
  const mapped = new Set(opt && opt.dataset.roles ? opt.dataset.roles.split(",") : []);
  for (const c of document.querySelectorAll('#map-roles input[type="checkbox"]')) c.checked = mapped.has(c.value);
}

let searchTimer;
$("map-group-search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => run(null, findMapGroups), 250);
});
$("map-group").addEventListener("change", checkMappedRoles);

$("map-form").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("map-save"), async () => {
    const group = $("map-group").value;
    if (!group) throw new Error("Choose a group first.");
    const roles = [...document.querySelectorAll('#map-roles input[type="checkbox"]:checked')].map((c) => c.value);
    await api.setGroupRoles(group, roles);
    showInfo("Mapping saved: " + $("map-group").selectedOptions[0].textContent + " → " +
      (roles.length ? rolesCache.filter((r) => roles.includes(r.id)).map((r) => r.key).join(", ") : "no role"));
    await loaders.roles();
  });
});

$("new-role").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-role"), async () => {
    await api.createRole(state.org, $("role-key").value.trim(), $("role-name").value.trim(), $("role-description").value.trim());
    $("new-role").reset();
    showInfo("Role created.");
    await loaders.roles();
  });
});

$("default-role-form").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("default-role-save"), async () => {
    await api.setDefaultRole(state.org, $("default-role").value);
    showInfo("Default role saved.");
    await loaders.roles();
  });
});

loaders.roles = () => run(null, async () => {
  const [roles, org, mapped] = await Promise.all([api.roles(state.org), api.organization(state.org), api.mappedGroups(state.org)]);
  rolesCache = roles;
  const def = org && org.defaultRoleID;
  fill($("roles"), table(["Key", "Name", "Groups mapped", "Users holding it", ""], roles.map((r) =>
    h("tr", {}, h("td", {}, h("code", {}, r.key), r.id === def ? h("span", { class: "badge" }, "default") : null), h("td", {}, r.name),
      h("td", {}, (r.groups || []).map((g) => g.displayName).join(", ") || h("span", { class: "muted" }, "none")),
      h("td", {}, r.users.totalCount),
      h("td", {}, h("button", { type: "button", class: "danger small", "aria-label": "Delete role " + r.key, onclick: (e) => {
        if (!confirm("Delete role " + r.key + " and its mappings?")) return;
        run(e.target, async () => { await api.deleteRole(r.id); await loaders.roles(); });
      } }, "Delete")))), "Roles"));
  fill($("default-role"), h("option", { value: "" }, "(none)"), roles.map((r) => h("option", { value: r.id }, r.key + " — " + r.name)));
  $("default-role").value = def || "";
  fill($("map-roles"), roles.length ? roles.map((r) => h("label", { class: "check", for: "map-role-" + r.key },
    h("input", { type: "checkbox", id: "map-role-" + r.key, value: r.id }), r.key + " — " + r.name))
    : h("p", { class: "muted" }, "Create a role first."));
  fill($("mappings"), table(["Group", "Roles", "Members"], mapped.map((g) =>
    h("tr", {}, h("td", {}, g.displayName), h("td", {}, g.roles.map((r) => r.key).join(", ")), h("td", {}, g.members.totalCount))),
  "Group to role mappings"));
  fill($("role-users"), table(["Role", "Users who hold it"], roles.map((r) =>
    h("tr", { "data-role": r.key }, h("td", {}, h("code", {}, r.key)),
      h("td", {}, r.users.edges.map((e) => e.node.userName).join(", ") || h("span", { class: "muted" }, "nobody"),
        r.users.totalCount > r.users.edges.length ? h("span", { class: "muted" }, " and " + (r.users.totalCount - r.users.edges.length) + " more") : null))),
  "Users per role"));
  await findMapGroups();
});

// ---- users and groups: server-side search and paging ----------------------

const PAGE = 25;

function pager(kind, load) {
  const p = { page: { first: PAGE }, info: null, total: 0 };
  $(kind + "-next").addEventListener("click", () => { p.page = { first: PAGE, after: p.info.endCursor }; load(); });
  $(kind + "-prev").addEventListener("click", () => { p.page = { last: PAGE, before: p.info.startCursor }; load(); });
  p.show = (conn) => {
    p.info = conn.pageInfo;
    $(kind + "-next").disabled = !conn.pageInfo.hasNextPage;
    $(kind + "-prev").disabled = !conn.pageInfo.hasPreviousPage;
    $(kind + "-count").textContent = conn.totalCount + (conn.totalCount === 1 ? " match" : " matches");
  };
  return p;
}

const userPager = pager("users", () => loadUsers());

function loadUsers() {
  return run(null, async () => {
    const conn = await api.users(state.org, $("user-search").value.trim(), userPager.page, $("user-role-filter").value);
    userPager.show(conn);
    fill($("users"), table(["User name", "Name", "Email", "Active", "Roles"], conn.edges.map(({ node: u }) =>
      h("tr", { "data-user": u.userName },
        h("td", {}, h("button", { type: "button", class: "link", onclick: () => showUser(u.id) }, u.userName)),
        h("td", {}, u.displayName || [u.givenName, u.familyName].filter(Boolean).join(" ")),
        h("td", {}, u.primaryEmail || ""), h("td", {}, u.active ? "yes" : "no"),
        h("td", { class: "roles" }, u.roles.map((r) => r.key).join(", ")))), "Users"));
  });
}

$("user-search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  userPager.page = { first: PAGE };
  loadUsers();
});

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

const multi = (xs) => (xs || []).map((x) => x.value + (x.type ? " (" + x.type + ")" : "") + (x.primary ? ", primary" : "")).join("; ");

function showUser(id) {
  return run(null, async () => {
    const u = await api.user(id);
    if (!u) throw new Error("That user no longer exists.");
    fill($("user-detail"), h("h2", {}, u.userName),
      h("h3", {}, "Effective roles"),
      h("p", { class: "roles" }, u.roles.length ? u.roles.map((r) => h("span", { class: "badge" }, r.key)) : h("span", { class: "muted" }, "none")),
      h("h3", {}, "Groups (" + u.groups.totalCount + ")"),
      h("ul", {}, u.groups.edges.map(({ node: g }) => h("li", {}, g.displayName,
        g.roles.length ? h("span", { class: "muted" }, " → " + g.roles.map((r) => r.key).join(", ")) : null))),
      h("h3", {}, "Attributes"),
      facts([["Active", u.active ? "yes" : "no"], ["Display name", u.displayName], ["Given name", u.givenName],
        ["Family name", u.familyName], ["Formatted name", u.nameFormatted], ["Primary email", u.primaryEmail],
        ["Emails", multi(u.emails)], ["Phone numbers", multi(u.phoneNumbers)], ["Title", u.title],
        ["Department", u.department], ["Division", u.division], ["Organization", u.enterpriseOrganization],
        ["Cost center", u.costCenter], ["Employee number", u.employeeNumber], ["Manager", u.managerDisplayName || u.managerID],
        ["User type", u.userType], ["Locale", u.locale], ["Time zone", u.timezone], ["Preferred language", u.preferredLanguage],
        ["External id", u.externalID], ["Directory", u.directory.name], ["Id", h("code", {}, u.id)],
        ["Created", when(u.createdAt)], ["Updated", when(u.updatedAt)]]));
  });
}

const groupPager = pager("groups", () => loadGroups());

function loadGroups() {
  return run(null, async () => {
    const conn = await api.groups(state.org, $("group-search").value.trim(), groupPager.page);
    groupPager.show(conn);
    fill($("groups"), table(["Group", "Members", "Roles"], conn.edges.map(({ node: g }) =>
      h("tr", { "data-group": g.displayName },
        h("td", {}, h("button", { type: "button", class: "link", onclick: () => showGroup(g.id) }, g.displayName)),
        h("td", {}, g.members.totalCount), h("td", {}, g.roles.map((r) => r.key).join(", ")))), "Groups"));
  });
}

$("group-search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  groupPager.page = { first: PAGE };
  loadGroups();
});

function showGroup(id, after, shown) {
  return run(null, async () => {
    const g = await api.group(id, after);
    if (!g) throw new Error("That group no longer exists.");
    const rows = (shown || []).concat(g.members.edges.map(({ node: u }) =>
      h("li", {}, u.userName, u.active ? "" : h("span", { class: "muted" }, " (inactive)"))));
    fill($("group-detail"), h("h2", {}, g.displayName),
      h("h3", {}, "Roles its members get"),
      h("p", {}, g.roles.length ? g.roles.map((r) => h("span", { class: "badge" }, r.key)) : h("span", { class: "muted" }, "none")),
      h("h3", {}, "Members (" + g.members.totalCount + ")"), h("ul", {}, rows),
      g.members.pageInfo.hasNextPage ? h("button", { type: "button", class: "secondary",
        onclick: () => showGroup(id, g.members.pageInfo.endCursor, rows) }, "More members") : null,
      facts([["External id", g.externalID], ["Directory", g.directory.name], ["Id", h("code", {}, g.id)], ["Updated", when(g.updatedAt)]]));
  });
}

loaders.users = async () => {
  if (!$("user-role-filter").options.length || $("user-role-filter").dataset.org !== state.org) {
    await run(null, async () => {
      const roles = await api.roles(state.org);
      fill($("user-role-filter"), h("option", { value: "" }, "Any role"), roles.map((r) => h("option", { value: r.id }, r.key)));
      $("user-role-filter").dataset.org = state.org;
    });
  }
  return loadUsers();
};
loaders.groups = () => loadGroups();

// ---- events and webhooks -------------------------------------------------

let eventsCursor = "";

function subjectOf(ev) {
  const d = ev.data || {};
  return d.userName || d.displayName || d.key || d.name || (d.user && d.user.userName) || ev.subjectID;
}

async function loadEvents(more) {
  const secs = $("events-since").value;
  const since = secs ? new Date(Date.now() - secs * 1000).toISOString() : null;
  const type = $("events-type").value;
  const conn = await api.events(state.org, more ? eventsCursor : null, type ? [type] : null, since);
  eventsCursor = conn.pageInfo.endCursor;
  const rows = conn.edges.map(({ node: ev }) => h("tr", {}, h("td", {}, when(ev.createdAt)), h("td", {}, h("code", {}, ev.type)),
    h("td", {}, subjectOf(ev)), h("td", {}, ev.actorType)));
  if (more) $("events").querySelector("tbody").append(...rows);
  else fill($("events"), table(["When", "Type", "Subject", "Actor"], rows, "Events, oldest first"));
  $("events-more").hidden = !conn.pageInfo.hasNextPage;
}

$("events-form").addEventListener("submit", (e) => { e.preventDefault(); run($("events-go"), () => loadEvents(false)); });
$("events-more").addEventListener("click", (e) => run(e.target, () => loadEvents(true)));

function webhookCard(ep) {
  return h("article", { class: "card" },
    h("h3", {}, h("code", {}, ep.url), " ", h("span", { class: "badge " + (ep.enabled ? "active" : "disabled") }, ep.enabled ? "enabled" : "disabled")),
    ep.failingSince ? h("p", { class: "error" }, "Failing since " + when(ep.failingSince)) : null,
    h("p", { class: "muted" }, "Event types: " + (ep.eventTypes.length ? ep.eventTypes.join(", ") : "every event")),
    table(["Event", "Status", "Attempts", "Last answer", ""], ep.deliveries.map((d) => h("tr", {},
      h("td", {}, h("code", {}, d.eventType), h("br"), h("span", { class: "muted" }, d.webhookID)),
      h("td", {}, d.status.toLowerCase(), d.status === "PENDING" ? h("span", { class: "muted" }, " (next " + when(d.nextAttemptAt) + ")") : null),
      h("td", {}, h("details", {}, h("summary", {}, String(d.attemptCount)),
        h("ol", {}, d.attempts.map((a) => h("li", {}, when(a.createdAt), ": ", a.succeeded ? "succeeded" : "failed",
          a.responseStatus ? " (HTTP " + a.responseStatus + ")" : "", a.error ? " — " + a.error : "", ", " + a.latencyMs + " ms"))))),
      h("td", {}, d.lastResponseStatus ? "HTTP " + d.lastResponseStatus : "", d.lastError ? " " + d.lastError : ""),
      h("td", {}, h("button", { type: "button", class: "secondary small", onclick: (e) => run(e.target, async () => {
        await api.resendWebhookEvent(ep.id, d.webhookID);
        showInfo(d.webhookID + " queued again for " + ep.url + ".");
        await loadWebhooks();
      }) }, "Resend")))), "Deliveries"));
}

async function loadWebhooks() {
  const eps = await api.webhooks(state.org);
  fill($("webhooks"), eps.length ? eps.map(webhookCard) : h("p", { class: "muted" }, "No webhook endpoint."));
}

$("new-webhook").addEventListener("submit", (e) => {
  e.preventDefault();
  run(e.submitter, async () => {
    const r = await api.createWebhookEndpoint(state.org, $("webhook-url").value.trim());
    $("webhook-url").value = "";
    $("webhook-secret-value").value = r.secret;
    $("webhook-secret").hidden = false;
    await loadWebhooks();
  });
});

loaders.events = () => run(null, async () => {
  if ($("events-type").options.length <= 1) {
    const types = await api.eventTypes();
    $("events-type").append(...types.map((t) => h("option", { value: t }, t)));
  }
  await Promise.all([loadEvents(false), loadWebhooks()]);
});

renderProviders();
start();
