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

const USER_ROW = `id userName displayName givenName familyName primaryEmail active roles { id key name }`;

export const docs = {
  organizations: `query { organizations(first: 100) { totalCount edges { node { id name slug defaultRoleID } } } }`,
  organization: `query($id: ID!) { node(id: $id) { ... on Organization { id name slug defaultRoleID } } }`,
  directories: `query($org: ID!) { directories(first: 50, where: {organizationID: $org}) { edges { node {
    id name provider enabled status lastSyncedAt createdAt scimEndpoint userCount groupCount
    tokens { id prefix createdAt expiresAt lastUsedAt } } } } }`,
  createDirectory: `mutation($org: ID!, $provider: DirectoryProvider!, $name: String) {
    createDirectory(input: {organizationID: $org, provider: $provider, name: $name}) {
      directory { id name } scimEndpoint bearerToken } }`,
  rotateDirectoryToken: `mutation($id: ID!) { rotateDirectoryToken(directoryID: $id) { bearerToken directory { id scimEndpoint } } }`,
  revokeDirectoryToken: `mutation($id: ID!) { revokeDirectoryToken(id: $id) }`,
  enableDirectory: `mutation($id: ID!) { enableDirectory(id: $id) { id enabled } }`,
  disableDirectory: `mutation($id: ID!) { disableDirectory(id: $id) { id enabled } }`,
  deleteDirectory: `mutation($id: ID!) { deleteDirectory(id: $id) }`,
  roles: `query($org: ID!) { roles(first: 100, where: {organizationID: $org}) { edges { node {
    id key name description groups { id displayName }
    users(first: 20) { totalCount edges { node { id userName displayName } } } } } } }`,
  createRole: `mutation($org: ID!, $key: String!, $name: String!, $description: String) {
    createRole(input: {organizationID: $org, key: $key, name: $name, description: $description}) { id key } }`,
  deleteRole: `mutation($id: ID!) { deleteRole(id: $id) }`,
  setDefaultRole: `mutation($org: ID!, $role: ID) { setDefaultRole(organizationID: $org, roleID: $role) { id defaultRoleID } }`,
  setGroupRoles: `mutation($group: ID!, $roles: [ID!]!) { setGroupRoles(groupID: $group, roleIDs: $roles) { id roles { id key } } }`,
  mappedGroups: `query($org: ID!) { groups(first: 100, where: {organizationID: $org, hasRoles: true}, orderBy: {field: DISPLAY_NAME}) {
    totalCount edges { node { id displayName roles { id key name } members { totalCount } } } } }`,
  users: `query($org: ID!, $query: String, $first: Int, $after: Cursor, $last: Int, $before: Cursor, $role: ID) {
    users(first: $first, after: $after, last: $last, before: $before, orderBy: {field: USER_NAME},
      where: {organizationID: $org, query: $query, hasRoleID: $role}) {
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
  events: `query($org: ID!, $after: String, $types: [String!], $since: Time) {
    events(organizationID: $org, after: $after, first: 50, types: $types, since: $since) {
      pageInfo { hasNextPage endCursor }
      edges { node { cursor type subjectID actorType createdAt data } } } }`,
  eventTypes: `query { webhookEventTypes }`,
  webhooks: `query($org: ID!) { webhookEndpoints(organizationID: $org) { id url description enabled eventTypes failingSince createdAt
    deliveries(first: 20) { id webhookID eventType status attemptCount nextAttemptAt lastResponseStatus lastError deliveredAt
      attempts { number createdAt succeeded responseStatus latencyMs error } } } }`,
  createWebhookEndpoint: `mutation($org: ID!, $url: String!) { createWebhookEndpoint(input: {organizationID: $org, url: $url}) {
    webhookEndpoint { id } secret } }`,
  resendWebhookEvent: `mutation($endpoint: ID!, $webhook: String!) { resendWebhookEvent(endpointID: $endpoint, webhookID: $webhook) }`,
  introspection: `query { __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { kind name description fields { name description args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } } enumValues { name } } } }
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`,
};

// ---- operations --------------------------------------------------------

const nodes = (conn) => (conn && conn.edges ? conn.edges.map((e) => e.node) : []);

export const api = {
  organizations: async () => nodes((await request(docs.organizations)).organizations),
  organization: async (id) => (await request(docs.organization, { id })).node,
  directories: async (org) => nodes((await request(docs.directories, { org })).directories),
  createDirectory: async (org, provider, name) =>
    (await request(docs.createDirectory, { org, provider, name: name || null })).createDirectory,
  rotateDirectoryToken: async (id) => (await request(docs.rotateDirectoryToken, { id })).rotateDirectoryToken,
  revokeDirectoryToken: (id) => request(docs.revokeDirectoryToken, { id }),
  setDirectoryEnabled: (id, on) => request(on ? docs.enableDirectory : docs.disableDirectory, { id }),
  deleteDirectory: (id) => request(docs.deleteDirectory, { id }),
  roles: async (org) => nodes((await request(docs.roles, { org })).roles),
  createRole: (org, key, name, description) => request(docs.createRole, { org, key, name, description: description || null }),
  deleteRole: (id) => request(docs.deleteRole, { id }),
  setDefaultRole: (org, role) => request(docs.setDefaultRole, { org, role: role || null }),
  setGroupRoles: (group, roles) => request(docs.setGroupRoles, { group, roles }),
  mappedGroups: async (org) => nodes((await request(docs.mappedGroups, { org })).groups),
  /** page: {first, after} or {last, before} */
  users: async (org, query, page, role) =>
    (await request(docs.users, { org, query: query || null, role: role || null, ...page })).users,
  user: async (id) => (await request(docs.user, { id })).node,
  groups: async (org, query, page) => (await request(docs.groups, { org, query: query || null, ...page })).groups,
  group: async (id, after) => (await request(docs.group, { id, after: after || null })).node,
  events: async (org, after, types, since) =>
    (await request(docs.events, { org, after: after || null, types: types && types.length ? types : null, since: since || null })).events,
  eventTypes: async () => (await request(docs.eventTypes)).webhookEventTypes,
  webhooks: async (org) => (await request(docs.webhooks, { org })).webhookEndpoints,
  createWebhookEndpoint: async (org, url) => (await request(docs.createWebhookEndpoint, { org, url })).createWebhookEndpoint,
  resendWebhookEvent: (endpoint, webhook) => request(docs.resendWebhookEvent, { endpoint, webhook }),
  introspect: async () => (await request(docs.introspection)).__schema,
};
