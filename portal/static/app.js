// app.js: the Admin Portal's screens. It talks to the server only through
// api.js.
import { api, docs, portalSession, setKey, storedKey, signOut, subscribe } from "./api.js";
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

/**
 * confirmDo asks in the page's own dialog (not window.confirm, which a
 * browser may suppress): message says what the action affects.
 */
function confirmDo(message, yes) {
  return new Promise((resolve) => {
    const d = $("confirm");
    $("confirm-text").textContent = message;
    $("confirm-yes").textContent = yes || "Delete";
    const done = (v) => {
      $("confirm-yes").onclick = $("confirm-no").onclick = d.oncancel = null;
      d.close();
      resolve(v);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    d.oncancel = () => done(false);
    d.showModal();
  });
}

/**
 * turn starts a load of kind and returns whether it is still the latest:
 * an answer that arrives after a newer load's is dropped, not shown over it.
 */
const turns = {};
function turn(kind) {
  const n = (turns[kind] = (turns[kind] || 0) + 1);
  return () => turns[kind] === n;
}

const plural = (n, one, many) => n + " " + (n === 1 ? one : many || one + "s");

// ---- state and sign-in ---------------------------------------------------

const state = { org: "", orgs: [], tab: "scim", session: null, platform: false };

function showSignIn() {
  stopLive();
  $("app").hidden = true;
  $("org-setup").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
}

/** showOrgSetup shows the organization form (a platform key's): the first one, or another. */
function showOrgSetup() {
  stopLive();
  $("app").hidden = true;
  $("org-setup").hidden = false;
  $("new-org-cancel").hidden = !state.orgs.length;
  $("create-org").disabled = !state.platform;
  $("org-setup-note").textContent = state.platform
    ? (state.orgs.length ? "A new organization, beside " + plural(state.orgs.length, "other") + "."
      : "There is no organization yet. An organization holds the directories, users, groups and roles of one customer: create it, then connect its identity provider.")
    : "There is no organization this key can see, and only a platform key creates one: sign in with a platform key.";
  $("org-new-name").focus();
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
  let orgs, viewer;
  try {
    [orgs, viewer] = await Promise.all([api.organizations(), state.session ? null : api.viewer()]);
  } catch (err) {
    if (storedKey()) setKey("");
    showSignIn();
    $("signin-error").textContent = err.message;
    return;
  }
  state.orgs = orgs;
  state.platform = !!viewer && viewer.scope === "PLATFORM";
  $("new-org-open").hidden = !state.platform;
  if (state.session) state.orgs = orgs.filter((o) => o.id === state.session.organizationID);
  $("signin").hidden = true;
  $("who").hidden = false;
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
    showOrgSetup();
    return;
  }
  $("org-setup").hidden = true;
  $("app").hidden = false;
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

$("new-org").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-org"), async () => {
    const o = await api.createOrganization($("org-new-name").value.trim(), $("org-new-slug").value.trim());
    $("new-org").reset();
    state.org = o.id;
    await start();
    showInfo("Organization " + o.name + " (" + o.slug + ") created: connect its identity provider.");
  });
});
$("new-org-open").addEventListener("click", showOrgSetup);
$("new-org-cancel").addEventListener("click", () => {
  $("org-setup").hidden = true;
  $("app").hidden = false;
  selectTab(state.tab, false);
});

$("org-select").addEventListener("change", () => {
  state.org = $("org-select").value;
  selectTab(state.tab, false);
});

$("alert-close").addEventListener("click", clearAlert);

// ---- tabs ----------------------------------------------------------------

const tabs = ["scim", "roles", "users", "groups", "events", "webhooks", "access"];
const loaders = {};

function selectTab(name, focus) {
  clearAlert();
  if (name !== "events") stopLive();
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
    if (!state.org) throw new Error("Create the organization first.");
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
        onclick: async (e) => {
          if (!(await confirmDo("Revoke token " + t.prefix + "…? The identity provider using it stops syncing at once.", "Revoke"))) return;
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
      h("button", { type: "button", class: "danger", onclick: async (e) => {
        if (!(await confirmDo("Delete " + d.name + " with its " + plural(d.userCount, "user") + " and " +
          plural(d.groupCount, "group") + "? Its identity provider can no longer sync."))) return;
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

/** roleDeleteEffect says what deleting r changes: its mappings and its holders. */
function roleDeleteEffect(r, def) {
  const groups = r.groups || [];
  let msg = "Delete role " + r.key + " (" + r.name + ")? ";
  msg += groups.length
    ? plural(groups.length, "group mapping") + " (" + groups.map((g) => g.displayName).join(", ") + ") " + (groups.length === 1 ? "is" : "are") + " removed"
    : "No group is mapped to it";
  msg += ", and " + plural(r.users.totalCount, "user") + " " + (r.users.totalCount === 1 ? "loses" : "lose") + " it";
  if (r.id === def) msg += "; it is the default role, so users in no mapped group are left with none";
  return msg + ".";
}

let editing = null;

function editRole(r) {
  editing = r;
  $("edit-role-title").textContent = "Edit role " + r.key;
  $("edit-role-name").value = r.name;
  $("edit-role-description").value = r.description || "";
  $("edit-role").hidden = false;
  $("edit-role-name").focus();
}

$("edit-role-cancel").addEventListener("click", () => { $("edit-role").hidden = true; editing = null; });
$("edit-role").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("edit-role-save"), async () => {
    await api.updateRole(editing.id, $("edit-role-name").value.trim(), $("edit-role-description").value.trim());
    showInfo("Role " + editing.key + " saved.");
    $("edit-role").hidden = true;
    editing = null;
    await loaders.roles();
  });
});

loaders.roles = () => run(null, async () => {
  const [roles, org, mapped] = await Promise.all([api.roles(state.org), api.organization(state.org), api.mappedGroups(state.org)]);
  rolesCache = roles;
  const def = org && org.defaultRoleID;
  fill($("roles"), table(["Key", "Name", "Groups mapped", "Users holding it", ""], roles.map((r) =>
    h("tr", { "data-role": r.key }, h("td", { class: "nowrap" }, h("code", {}, r.key), r.id === def ? h("span", { class: "badge" }, "default") : null),
      h("td", {}, r.name, r.description ? h("div", { class: "muted small" }, r.description) : null),
      h("td", {}, (r.groups || []).map((g) => g.displayName).join(", ") || h("span", { class: "muted" }, "none")),
      h("td", {}, r.users.totalCount),
      h("td", { class: "nowrap" },
        h("button", { type: "button", class: "secondary small", "aria-label": "Edit role " + r.key, onclick: () => editRole(r) }, "Edit"), " ",
        h("button", { type: "button", class: "danger small", "aria-label": "Delete role " + r.key, onclick: async (e) => {
          if (!(await confirmDo(roleDeleteEffect(r, def)))) return;
          run(e.target, async () => { await api.deleteRole(r.id); showInfo("Role " + r.key + " deleted."); await loaders.roles(); });
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
    const status = $("user-status-filter").value;
    const latest = turn("users");
    const conn = await api.users(state.org, { query: $("user-search").value.trim(), role: $("user-role-filter").value,
      active: status ? status === "active" : null, directory: $("user-directory-filter").value,
      group: $("user-group-filter").value }, userPager.page);
    if (!latest()) return;
    userPager.show(conn);
    fill($("users"), table(["User name", "Name", "Email", "Status", "Roles"], conn.edges.map(({ node: u }) =>
      h("tr", { "data-user": u.userName },
        h("td", { class: "ident" }, h("button", { type: "button", class: "link", onclick: () => showUser(u.id) }, u.userName)),
        h("td", {}, u.displayName || [u.givenName, u.familyName].filter(Boolean).join(" ")),
        h("td", { class: "ident" }, u.primaryEmail || ""),
        h("td", { class: "nowrap status" }, h("span", { class: "badge " + (u.active ? "active" : "disabled") }, u.active ? "active" : "inactive")),
        h("td", { class: "roles" }, u.roles.map((r) => h("code", { class: "tag" }, r.key))))), "Users"));
  });
}

$("user-search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  userPager.page = { first: PAGE };
  loadUsers();
});
for (const id of ["user-role-filter", "user-status-filter", "user-directory-filter", "user-group-filter"]) {
  $(id).addEventListener("change", () => { userPager.page = { first: PAGE }; loadUsers(); });
}

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
    const latest = turn("groups");
    const conn = await api.groups(state.org, $("group-search").value.trim(), groupPager.page);
    if (!latest()) return;
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

/** choices fills a filter's select, keeping what was chosen when it is still there. */
function choices(sel, any, items) {
  const keep = sel.value;
  fill(sel, h("option", { value: "" }, any), items.map(([v, label]) => h("option", { value: v }, label)));
  sel.value = items.some(([v]) => v === keep) ? keep : "";
}

loaders.users = async () => {
  await run(null, async () => {
    const [roles, dirs, groups] = await Promise.all([api.roles(state.org), api.directoryNames(state.org),
      api.groups(state.org, "", { first: 100 })]);
    choices($("user-role-filter"), "Any role", roles.map((r) => [r.id, r.key]));
    choices($("user-directory-filter"), "Any directory", dirs.map((d) => [d.id, d.name]));
    choices($("user-group-filter"), "Any group", groups.edges.map(({ node: g }) => [g.id, g.displayName]));
  });
  return loadUsers();
};
loaders.groups = () => loadGroups();

// ---- events: newest first, paging back in time, live while open ----------

const ev = { conn: null, where: {}, live: null, fresh: 0 };

function subjectOf(e) {
  const d = e.data || {};
  return d.userName || d.displayName || d.key || d.name || d.url || (d.user && d.user.userName) || e.subjectID;
}

const keyOf = (r) => (typeof r === "string" ? r : (r && (r.key || r.name)) || "");

/** changeOf shows what an event changed: roles removed and added, or the fields before. */
function changeOf(e) {
  const d = e.data || {};
  const p = e.previous || {};
  if (Array.isArray(d.roles) && Array.isArray(p.roles)) {
    const now = d.roles.map(keyOf), was = p.roles.map(keyOf);
    const removed = was.filter((k) => !now.includes(k)), added = now.filter((k) => !was.includes(k));
    return h("span", { class: "diff" },
      removed.map((k) => h("span", { class: "removed", title: "role removed" }, "− " + k)),
      added.map((k) => h("span", { class: "added", title: "role added" }, "+ " + k)),
      removed.length || added.length ? null : h("span", { class: "muted" }, "no change"));
  }
  const fields = Object.keys(p);
  if (fields.length) return h("span", { class: "muted" }, "changed: " + fields.join(", "));
  if (d.reason) return h("span", {}, d.reason);
  return "";
}

function eventRow(e, live) {
  return h("tr", { class: live ? "live" : null, "data-type": e.type },
    h("td", { class: "nowrap" }, when(e.createdAt)), h("td", { class: "nowrap" }, h("code", {}, e.type)),
    h("td", { class: "ident" }, subjectOf(e)), h("td", { class: "change" }, changeOf(e)),
    h("td", { class: "nowrap" }, e.actorType));
}

function eventFilters() {
  const secs = $("events-since").value;
  const type = $("events-type").value;
  return { types: type ? [type] : null, since: secs ? new Date(Date.now() - secs * 1000).toISOString() : null };
}

/** loadEvents shows one page: where is {} (the newest), {before} (older) or {after} (newer). */
async function loadEvents(where) {
  stopLive();
  const f = eventFilters();
  const latest = turn("events");
  const conn = await api.events(state.org, where, f.types, f.since);
  if (!latest()) return;
  const pi = conn.pageInfo;
  ev.conn = conn;
  ev.where = where;
  const rows = conn.edges.map(({ node }) => node).reverse().map((e) => eventRow(e, false));
  fill($("events"), table(["When", "Type", "Subject", "Change", "Actor"], rows, "Events, newest first"));
  const newest = !where.before && !(where.after && pi.hasNextPage);
  const older = conn.edges.length > 0 && (where.after ? true : pi.hasPreviousPage);
  $("events-older").disabled = !older;
  $("events-newer").disabled = newest;
  $("events-page").textContent = newest ? "the newest events" : "older events";
  if (newest) startLive(conn.edges.length ? pi.endCursor : "", f);
}

function stopLive() {
  if (ev.live) ev.live.close();
  ev.live = null;
  const l = $("events-live");
  if (l) l.textContent = "";
}

/** showLive puts events that just happened at the top of the table. */
function showLive(list) {
  if (!list.length) return;
  const body = $("events").querySelector("tbody");
  if (body.querySelector("td[colspan]")) body.replaceChildren();
  for (const e of list) body.prepend(eventRow(e, true));
  ev.fresh += list.length;
  $("events-live").textContent = "Live: " + plural(ev.fresh, "new event") + " since the page was shown.";
}

/**
 * startLive follows the newest page over the events subscription (a
 * WebSocket, with the API key or the portal session), from the page's
 * newest event: none missed, none twice.
 */
function startLive(after, f) {
  ev.fresh = 0;
  const org = state.org;
  ev.live = subscribe(docs.eventsLive, { org, types: f.types, after: after || null },
    (data) => { if (state.org === org) showLive([data.events]); },
    (err) => { $("events-live").textContent = err.message; ev.live = null; });
  $("events-live").textContent = ev.live ? "Live: new events appear at the top." : "";
}

$("events-form").addEventListener("submit", (e) => { e.preventDefault(); run($("events-go"), () => loadEvents({})); });
$("events-type").addEventListener("change", () => run(null, () => loadEvents({})));
// loadEvents decides whether Older and Newer are enabled: run must not
// hand the clicked button back enabled.
$("events-older").addEventListener("click", () => run(null, () => loadEvents({ before: ev.conn.pageInfo.startCursor })));
$("events-newer").addEventListener("click", () => run(null, () => loadEvents({ after: ev.conn.pageInfo.endCursor })));

async function eventTypes() {
  if (!eventTypes.list) eventTypes.list = await api.eventTypes();
  return eventTypes.list;
}

loaders.events = () => run(null, async () => {
  if ($("events-type").options.length <= 1) $("events-type").append(...(await eventTypes()).map((t) => h("option", { value: t }, t)));
  await loadEvents({});
});

// ---- webhooks ------------------------------------------------------------

function showWebhookSecret(what, secret) {
  $("webhook-secret-what").textContent = what;
  $("webhook-secret-value").value = secret;
  $("webhook-secret").hidden = false;
  $("webhook-secret").focus();
}

$("webhook-secret-done").addEventListener("click", () => {
  $("webhook-secret-value").value = "";
  $("webhook-secret").hidden = true;
});

function attemptsOf(d) {
  return h("details", {}, h("summary", {}, String(d.attemptCount)),
    h("ol", {}, d.attempts.map((a) => h("li", {}, when(a.createdAt), ": ", a.succeeded ? "succeeded" : "failed",
      a.responseStatus ? " (HTTP " + a.responseStatus + ")" : "", a.error ? " — " + a.error : "", ", " + a.latencyMs + " ms"))));
}

function webhookCard(ep) {
  const act = (label, cls, f) => h("button", { type: "button", class: cls, onclick: (e) => run(e.target, f) }, label);
  return h("article", { class: "card webhook", "data-endpoint": ep.url },
    h("h3", {}, h("code", { class: "ident" }, ep.url), " ",
      h("span", { class: "badge " + (ep.enabled ? "active" : "disabled") }, ep.enabled ? "enabled" : "disabled")),
    ep.description ? h("p", {}, ep.description) : null,
    ep.failingSince ? h("p", { class: "error" }, "Failing since " + when(ep.failingSince)) : null,
    h("p", { class: "muted" }, "Event types: " + (ep.eventTypes.length ? ep.eventTypes.join(", ") : "every event")),
    ep.previousSecretExpiresAt ? h("p", { class: "muted" }, "The previous secret also signs until " + when(ep.previousSecretExpiresAt) + ".") : null,
    h("div", { class: "actions" },
      act("Send test event", "secondary", async () => {
        const r = await api.testWebhookEndpoint(ep.id);
        showInfo("Test event " + r.webhookID + " queued for " + ep.url + ".");
        await loaders.webhooks();
      }),
      act(ep.enabled ? "Disable" : "Enable", "secondary", async () => {
        await api.setWebhookEnabled(ep.id, !ep.enabled);
        showInfo(ep.url + (ep.enabled ? " is disabled: it gets no deliveries until enabled." : " is enabled: deliveries resume."));
        await loaders.webhooks();
      }),
      h("label", { class: "inline", for: "overlap-" + ep.id }, "Old secret signs for"),
      h("select", { id: "overlap-" + ep.id, class: "overlap" },
        h("option", { value: "0" }, "no overlap"), h("option", { value: "3600" }, "an hour"),
        h("option", { value: "86400", selected: true }, "a day"), h("option", { value: "604800" }, "a week")),
      act("Rotate secret", "secondary", async () => {
        const r = await api.rotateWebhookSecret(ep.id, Number($("overlap-" + ep.id).value));
        showWebhookSecret("The new signing secret of " + ep.url, r.secret);
        await loaders.webhooks();
      }),
      h("button", { type: "button", class: "danger", onclick: async (e) => {
        if (!(await confirmDo("Delete the endpoint " + ep.url + " with its " + plural(ep.deliveries.length, "recent delivery", "recent deliveries") +
          "? It gets no more events."))) return;
        run(e.target, async () => { await api.deleteWebhookEndpoint(ep.id); showInfo(ep.url + " deleted."); await loaders.webhooks(); });
      } }, "Delete")),
    h("h4", {}, "Deliveries, newest first"),
    table(["Event", "Status", "Attempts", "Last answer", ""], ep.deliveries.map((d) => h("tr", { "data-event": d.eventType },
      h("td", { class: "nowrap" }, h("code", {}, d.eventType), h("br"), h("span", { class: "muted" }, d.webhookID)),
      h("td", { class: "nowrap status" }, d.status.toLowerCase(),
        d.status === "PENDING" ? h("span", { class: "muted" }, " (next " + when(d.nextAttemptAt) + ")") : null),
      h("td", {}, attemptsOf(d)),
      h("td", {}, d.lastResponseStatus ? "HTTP " + d.lastResponseStatus : "", d.lastError ? " " + d.lastError : ""),
      h("td", {}, act("Resend", "secondary small", async () => {
        await api.resendWebhookEvent(ep.id, d.webhookID);
        showInfo(d.webhookID + " queued again for " + ep.url + ".");
        await loaders.webhooks();
      })))), "Deliveries"));
}

$("new-webhook").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-webhook"), async () => {
    const types = [...document.querySelectorAll('#webhook-types input[type="checkbox"]:checked')].map((c) => c.value);
    const r = await api.createWebhookEndpoint(state.org, $("webhook-url").value.trim(), types, $("webhook-description").value.trim());
    $("new-webhook").reset();
    showWebhookSecret("The signing secret", r.secret);
    await loaders.webhooks();
  });
});

loaders.webhooks = () => run(null, async () => {
  if (!$("webhook-types").children.length) {
    fill($("webhook-types"), (await eventTypes()).map((t) => h("label", { class: "check", for: "webhook-type-" + t },
      h("input", { type: "checkbox", id: "webhook-type-" + t, value: t }), h("code", {}, t))));
  }
  const eps = await api.webhooks(state.org);
  fill($("webhooks"), eps.length ? eps.map(webhookCard) : h("p", { class: "muted" }, "No webhook endpoint."));
});

// ---- API keys and portal links ---------------------------------------------

$("key-secret-done").addEventListener("click", () => {
  $("key-secret-value").value = "";
  $("key-secret").hidden = true;
});

$("new-key").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-key"), async () => {
    const r = await api.createAPIKey(state.org, $("key-scope").value, $("key-name").value.trim());
    $("new-key").reset();
    $("key-secret-value").value = r.key;
    $("key-secret").hidden = false;
    $("key-secret").focus();
    await loaders.access();
  });
});

$("new-link").addEventListener("submit", (e) => {
  e.preventDefault();
  run($("create-link"), async () => {
    const l = await api.createPortalLink(state.org, Number($("link-expiry").value));
    $("link-url").value = l.url;
    $("link-expires").textContent = "It works once, until " + when(l.expiresAt) + ": send it to the organization's IT admin.";
    $("link-box").hidden = false;
  });
});

const SCOPES = { PLATFORM: "platform", ORG_ADMIN: "admin", ORG_READ: "read" };

loaders.access = () => run(null, async () => {
  $("new-link").hidden = !state.platform;
  $("portal-links-note").textContent = state.platform
    ? "A portal link signs this organization's IT admin into this portal, once, for 8 hours, with no API key."
    : "Portal links are made with a platform key: ask the platform's operator for one.";
  const keys = (await api.apiKeys()).filter((k) => k.organizationID === state.org);
  fill($("api-keys"), table(["Name", "Scope", "Key", "Created", "Last used", ""], keys.map((k) =>
    h("tr", { "data-key": k.prefix },
      h("td", {}, k.name || h("span", { class: "muted" }, "(no name)")),
      h("td", { class: "nowrap" }, SCOPES[k.scope] || k.scope),
      h("td", { class: "nowrap" }, h("code", {}, k.prefix + "…")),
      h("td", {}, when(k.createdAt)),
      h("td", { class: "last-used" }, when(k.lastUsedAt), k.expiresAt ? h("div", { class: "muted" }, "expires " + when(k.expiresAt)) : null),
      h("td", {}, h("button", { type: "button", class: "danger small", "aria-label": "Revoke key " + k.prefix, onclick: async (e) => {
        if (!(await confirmDo("Revoke the key " + (k.name || k.prefix + "…") + "? Every application using it is refused at once.", "Revoke"))) return;
        run(e.target, async () => { await api.revokeAPIKey(k.id); showInfo("Key " + k.prefix + "… revoked."); await loaders.access(); });
      } }, "Revoke")))), "API keys"));
});

renderProviders();
start();
