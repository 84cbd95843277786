// api.js: the portal's only door to the server. Every GraphQL document the
// portal (and the explorer) sends is in this file, so that moving to other
// mutation forms is a change here and nowhere else.
//
// Credentials: an API key pasted by the admin (kept in sessionStorage, sent
// as "Authorization: Bearer"), or the session cookie of a portal link; then
// every request carries the X-CSRF-Token header read from /portal/session.

const KEY_STORAGE = "directory.apiKey";
let csrfToken = "";

/** An error with words a person can read, and the server's code. */
export class APIError extends Error {
  constructor(message, code, field) {
    super(message);
    this.code = code || "";
    this.field = field || "";
  }
}

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** The portal session of the cookie, or null: {organizationID, expiresAt, csrfToken}. */
export async function portalSession() {
  let res;
  try {
    res = await fetch("/portal/session", { credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    throw new APIError("The server could not be reached: " + e.message, "NETWORK");
  }
  if (res.status === 401) return null;
  if (!res.ok) throw new APIError("The session could not be checked (HTTP " + res.status + ").", "HTTP");
  const s = await res.json();
  csrfToken = s.csrfToken;
  return s;
}

/** Ends the cookie session (if any) and forgets the stored key. */
export async function signOut() {
  setKey("");
  if (csrfToken) {
    await fetch("/portal/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken } });
    csrfToken = "";
  }
}

const FIELD_NAMES = { expiresIn: "expiry", organizationID: "organization", key: "key", name: "name" };

function describe(err) {
  const code = (err.extensions && err.extensions.code) || "";
  const field = (err.extensions && err.extensions.field) || "";
  let msg = err.message || "Something went wrong.";
  if (field && !msg.toLowerCase().includes(field.toLowerCase())) msg = (FIELD_NAMES[field] || field) + ": " + msg;
  switch (code) {
    case "UNAUTHENTICATED": msg = "You are not signed in (or your session ended): " + msg; break;
    case "FORBIDDEN": msg = "Not allowed: " + msg; break;
    case "NOT_FOUND": msg = "Not found: " + msg; break;
    case "CONFLICT": msg = "Conflict: " + msg; break;
  }
  return new APIError(msg, code, field);
}

/** Sends one GraphQL request; resolves to data or throws an APIError in words. */
export async function request(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const key = storedKey();
  if (key) headers.Authorization = "Bearer " + key;
  else if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let res;
  try {
    res = await fetch("/graphql", { method: "POST", headers, credentials: "same-origin", body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new APIError("The server could not be reached: " + e.message, "NETWORK");
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new APIError("The server answered HTTP " + res.status + " without a GraphQL response.", "HTTP");
  }
  if (body.errors && body.errors.length) throw describe(body.errors[0]);
  if (!res.ok) throw new APIError("The server answered HTTP " + res.status + ".", "HTTP");
  return body.data;
}

// ---- documents -------------------------------------------------------

const EVENT_ROW = `cursor type subjectID actorType createdAt data previous`;
const USER_ROW = `id userName displayName givenName familyName primaryEmail active roles { id key name }`;

export const docs = {
  organizations: `query { organizations(first: 100) { totalCount edges { node { id name slug defaultRoleID } } } }`,
  organization: `query($id: ID!) { node(id: $id) { ... on Organization { id name slug defaultRoleID } } }`,
  directories: `query($org: ID!) { directories(first: 50, where: {organizationID: $org}) { edges { node {
    id name provider enabled status lastSyncedAt createdAt scimEndpoint userCount groupCount
    tokens { id prefix createdAt expiresAt lastUsedAt } } } } }`,
  directoryCreate: `mutation($org: ID!, $provider: DirectoryProvider!, $name: String) {
    directoryCreate(input: {organizationID: $org, provider: $provider, name: $name}) {
      directory { id name } scimEndpoint bearerToken userErrors { field code message } } }`,
  directoryTokenRotate: `mutation($id: ID!) { directoryTokenRotate(input: {directoryID: $id}) {
    bearerToken directory { id scimEndpoint } userErrors { field code message } } }`,
  directoryTokenRevoke: `mutation($id: ID!) { directoryTokenRevoke(input: {id: $id}) { deletedID userErrors { field code message } } }`,
  directoryEnable: `mutation($id: ID!) { directoryEnable(input: {id: $id}) { directory { id enabled } userErrors { field code message } } }`,
  directoryDisable: `mutation($id: ID!) { directoryDisable(input: {id: $id}) { directory { id enabled } userErrors { field code message } } }`,
  directoryDelete: `mutation($id: ID!) { directoryDelete(input: {id: $id}) { deletedID userErrors { field code message } } }`,
  roles: `query($org: ID!) { roles(first: 50, where: {organizationID: $org}) { edges { node {
    id key name description groups { id displayName }
    users(first: 10) { totalCount edges { node { id userName displayName } } } } } } }`,
  roleCreate: `mutation($org: ID!, $key: String!, $name: String!, $description: String) {
    roleCreate(input: {organizationID: $org, key: $key, name: $name, description: $description}) { role { id key } userErrors { field code message } } }`,
  roleDelete: `mutation($id: ID!) { roleDelete(input: {id: $id}) { deletedID userErrors { field code message } } }`,
  organizationDefaultRoleSet: `mutation($org: ID!, $role: ID) {
    organizationDefaultRoleSet(input: {organizationID: $org, roleID: $role}) { organization { id defaultRoleID } userErrors { field code message } } }`,
  groupRolesSet: `mutation($group: ID!, $roles: [ID!]!) {
    groupRolesSet(input: {groupID: $group, roleIDs: $roles}) { group { id roles { id key } } userErrors { field code message } } }`,
  mappedGroups: `query($org: ID!) { groups(first: 100, where: {organizationID: $org, hasRoles: true}, orderBy: {field: DISPLAY_NAME}) {
    totalCount edges { node { id displayName roles { id key name } members { totalCount } } } } }`,
  users: `query($org: ID!, $query: String, $first: Int, $after: Cursor, $last: Int, $before: Cursor, $role: ID,
    $active: Boolean, $directory: ID, $groups: [GroupWhereInput!]) {
    users(first: $first, after: $after, last: $last, before: $before, orderBy: {field: USER_NAME},
      where: {organizationID: $org, query: $query, hasRoleID: $role, active: $active, directoryID: $directory, hasGroupsWith: $groups}) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { ${USER_ROW} } } } }`,
  user: `query($id: ID!) { node(id: $id) { ... on User {
    ${USER_ROW} externalID directoryID createdAt updatedAt nameFormatted middleName honorificPrefix honorificSuffix
    nickName title userType preferredLanguage locale timezone employeeNumber costCenter
    enterpriseOrganization division department managerID managerDisplayName
    emails { value type primary } phoneNumbers { value type primary }
    addresses { formatted streetAddress locality region postalCode country type primary }
    directory { id name provider }
    groups(first: 100) { totalCount edges { node { id displayName roles { key } } } } } } }`,
  groups: `query($org: ID!, $query: String, $first: Int, $after: Cursor, $last: Int, $before: Cursor) {
    groups(first: $first, after: $after, last: $last, before: $before, orderBy: {field: DISPLAY_NAME},
      where: {organizationID: $org, displayNameContainsFold: $query}) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { id displayName externalID roles { id key name } members { totalCount } } } } }`,
  group: `query($id: ID!, $after: Cursor) { node(id: $id) { ... on Group {
    id displayName externalID createdAt updatedAt directory { id name } roles { id key name }
    members(first: 50, after: $after, orderBy: {field: USER_NAME}) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id userName displayName primaryEmail active } } } } } }`,
  // Newest first: the newest page (last), or the page before a cursor
  // (older), or the page after one (newer); each page is oldest first.
  eventsBack: `query($org: ID!, $before: Cursor, $types: [String!], $since: Time) {
    events(organizationID: $org, last: 50, before: $before, types: $types, since: $since) {
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { node { ${EVENT_ROW} } } } }`,
  eventsNewer: `query($org: ID!, $after: Cursor, $types: [String!], $since: Time) {
    events(organizationID: $org, first: 50, after: $after, types: $types, since: $since) {
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { node { ${EVENT_ROW} } } } }`,
  eventsLive: `subscription($org: ID!, $types: [String!], $after: Cursor) {
    events(organizationID: $org, types: $types, after: $after) { ${EVENT_ROW} } }`,
  eventTypes: `query { webhookEventTypes }`,
  webhooks: `query($org: ID!) { webhookEndpoints(organizationID: $org) { id url description enabled eventTypes failingSince createdAt
    previousSecretExpiresAt
    deliveries(first: 20) { id webhookID eventType status attemptCount nextAttemptAt lastResponseStatus lastError deliveredAt
      attempts { number createdAt succeeded responseStatus latencyMs error } } } }`,
  webhookEndpointCreate: `mutation($org: ID!, $url: String!, $types: [String!], $description: String) {
    webhookEndpointCreate(input: {organizationID: $org, url: $url, eventTypes: $types, description: $description}) {
    webhookEndpoint { id } secret userErrors { field code message } } }`,
  webhookEndpointUpdate: `mutation($id: ID!, $enabled: Boolean) { webhookEndpointUpdate(input: {id: $id, enabled: $enabled}) {
    webhookEndpoint { id enabled } userErrors { field code message } } }`,
  webhookEndpointDelete: `mutation($id: ID!) { webhookEndpointDelete(input: {id: $id}) { deletedID userErrors { field code message } } }`,
  webhookEndpointSecretRotate: `mutation($id: ID!, $overlap: Int) { webhookEndpointSecretRotate(input: {id: $id, overlapSeconds: $overlap}) {
    webhookEndpoint { id previousSecretExpiresAt } secret userErrors { field code message } } }`,
  webhookEndpointTest: `mutation($id: ID!) { webhookEndpointTest(input: {id: $id}) { webhookID userErrors { field code message } } }`,
  viewer: `query { viewer { scope organization { id } } }`,
  organizationCreate: `mutation($name: String!, $slug: String) { organizationCreate(input: {name: $name, slug: $slug}) {
    organization { id name slug } userErrors { field code message } } }`,
  apiKeys: `query { apiKeys { id name scope prefix organizationID createdAt expiresAt lastUsedAt } }`,
  apiKeyCreate: `mutation($org: ID, $scope: APIKeyScope!, $name: String) { apiKeyCreate(input: {organizationID: $org, scope: $scope, name: $name}) {
    apiKey { id prefix } key userErrors { field code message } } }`,
  apiKeyRevoke: `mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) { deletedID userErrors { field code message } } }`,
  portalLinkCreate: `mutation($org: ID!, $expiresIn: Int) { createPortalLink(organizationID: $org, expiresIn: $expiresIn) { url expiresAt } }`,
  roleUpdate: `mutation($id: ID!, $name: String, $description: String) { roleUpdate(input: {id: $id, name: $name, description: $description}) {
    role { id name description } userErrors { field code message } } }`,
  directoryNames: `query($org: ID!) { directories(first: 50, where: {organizationID: $org}) { edges { node { id name } } } }`,
  webhookEventResend: `mutation($endpoint: ID!, $webhook: String!) {
    webhookEventResend(input: {endpointID: $endpoint, webhookID: $webhook}) { webhookEndpoint { id } userErrors { field code message } } }`,
  introspection: `query { __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { kind name description fields { name description args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } } enumValues { name } } } }
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`,
};

// ---- operations --------------------------------------------------------

/**
 * Runs the mutation docs[name] and returns its payload; an expected failure
 * (the payload's userErrors) is thrown as an APIError in words, naming the
 * input field at fault.
 */
async function mutate(name, variables) {
  const payload = (await request(docs[name], variables))[name];
  const ue = payload && payload.userErrors && payload.userErrors[0];
  if (ue) {
    const field = ue.field ? ue.field[ue.field.length - 1] : "";
    throw describe({ message: ue.message, extensions: { code: ue.code, field } });
  }
  return payload;
}

const nodes = (conn) => (conn && conn.edges ? conn.edges.map((e) => e.node) : []);

export const api = {
  organizations: async () => nodes((await request(docs.organizations)).organizations),
  organization: async (id) => (await request(docs.organization, { id })).node,
  directories: async (org) => nodes((await request(docs.directories, { org })).directories),
  createDirectory: (org, provider, name) => mutate("directoryCreate", { org, provider, name: name || null }),
  rotateDirectoryToken: (id) => mutate("directoryTokenRotate", { id }),
  revokeDirectoryToken: (id) => mutate("directoryTokenRevoke", { id }),
  setDirectoryEnabled: (id, on) => mutate(on ? "directoryEnable" : "directoryDisable", { id }),
  deleteDirectory: (id) => mutate("directoryDelete", { id }),
  roles: async (org) => nodes((await request(docs.roles, { org })).roles),
  createRole: (org, key, name, description) => mutate("roleCreate", { org, key, name, description: description || null }),
  deleteRole: (id) => mutate("roleDelete", { id }),
  setDefaultRole: (org, role) => mutate("organizationDefaultRoleSet", { org, role: role || null }),
  setGroupRoles: (group, roles) => mutate("groupRolesSet", { group, roles }),
  mappedGroups: async (org) => nodes((await request(docs.mappedGroups, { org })).groups),
  /** page: {first, after} or {last, before} */
  /** filter: {query, role, active (true, false or null), directory, group} */
  users: async (org, f, page) => (await request(docs.users, { org, query: f.query || null, role: f.role || null,
    active: f.active === undefined ? null : f.active, directory: f.directory || null,
    groups: f.group ? [{ id: f.group }] : null, ...page })).users,
  user: async (id) => (await request(docs.user, { id })).node,
  groups: async (org, query, page) => (await request(docs.groups, { org, query: query || null, ...page })).groups,
  group: async (id, after) => (await request(docs.group, { id, after: after || null })).node,
  /** The newest events (before a cursor: older; after one: newer), a page oldest first. */
  events: async (org, { before, after }, types, since) => {
    const vars = { org, types: types && types.length ? types : null, since: since || null };
    if (after) return (await request(docs.eventsNewer, { ...vars, after })).events;
    return (await request(docs.eventsBack, { ...vars, before: before || null })).events;
  },
  eventTypes: async () => (await request(docs.eventTypes)).webhookEventTypes,
  webhooks: async (org) => (await request(docs.webhooks, { org })).webhookEndpoints,
  createWebhookEndpoint: (org, url, types, description) =>
    mutate("webhookEndpointCreate", { org, url, types: types && types.length ? types : null, description: description || null }),
  setWebhookEnabled: (id, enabled) => mutate("webhookEndpointUpdate", { id, enabled }),
  deleteWebhookEndpoint: (id) => mutate("webhookEndpointDelete", { id }),
  rotateWebhookSecret: (id, overlap) => mutate("webhookEndpointSecretRotate", { id, overlap }),
  testWebhookEndpoint: (id) => mutate("webhookEndpointTest", { id }),
  viewer: async () => (await request(docs.viewer)).viewer,
  createOrganization: async (name, slug) => (await mutate("organizationCreate", { name, slug: slug || null })).organization,
  apiKeys: async () => (await request(docs.apiKeys)).apiKeys,
  createAPIKey: (org, scope, name) => mutate("apiKeyCreate", { org, scope, name: name || null }),
  revokeAPIKey: (id) => mutate("apiKeyRevoke", { id }),
  createPortalLink: async (org, expiresIn) => (await request(docs.portalLinkCreate, { org, expiresIn })).createPortalLink,
  updateRole: (id, name, description) => mutate("roleUpdate", { id, name, description }),
  directoryNames: async (org) => nodes((await request(docs.directoryNames, { org })).directories),
  resendWebhookEvent: (endpoint, webhook) => mutate("webhookEventResend", { endpoint, webhook }),
  introspect: async () => (await request(docs.introspection)).__schema,
};

/**
 * Subscribes over a WebSocket (graphql-transport-ws) with the stored API
 * key or, in a portal session, the session's cookie and its CSRF token;
 * onData gets each result's data, onEnd an APIError when the socket ends
 * unasked. Returns {close}, or null when there is no credential.
 */
export function subscribe(query, variables, onData, onEnd) {
  const key = storedKey();
  if ((!key && !csrfToken) || typeof WebSocket === "undefined") return null;
  const init = key ? { Authorization: "Bearer " + key } : { "X-CSRF-Token": csrfToken };
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(scheme + "//" + location.host + "/graphql", "graphql-transport-ws");
  let closing = false;
  const send = (m) => ws.send(JSON.stringify(m));
  ws.onopen = () => send({ type: "connection_init", payload: init });
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch { return; }
    switch (msg.type) {
      case "connection_ack": send({ id: "1", type: "subscribe", payload: { query, variables } }); break;
      case "ping": send({ type: "pong" }); break;
      case "next":
        if (msg.payload.errors && msg.payload.errors.length) onEnd(describe(msg.payload.errors[0]));
        else onData(msg.payload.data);
        break;
      case "error": onEnd(describe((msg.payload && msg.payload[0]) || {})); break;
    }
  };
  ws.onclose = (e) => {
    if (!closing) onEnd(new APIError("Live updates stopped (" + e.code + (e.reason ? ": " + e.reason : "") + ").", "SOCKET"));
  };
  return {
    close() {
      closing = true;
      if (ws.readyState === WebSocket.OPEN) send({ id: "1", type: "complete" });
      ws.close(1000);
    },
  };
}
