// providers.js: the identity providers a directory can be connected to and
// the set-up steps the admin follows in each. "the endpoint URL" and "the
// bearer token" are what creating the directory shows, once. Each id is the
// GraphQL DirectoryProvider value, in upper case.
export const providers = [
  {
    id: "JUMPCLOUD",
    name: "JumpCloud",
    steps: [
      "In the JumpCloud Admin Portal, open SSO Applications and add a new application: choose “Custom Application”.",
      "Select “Export users to this app (Identity Management)”, give the application a name and save it.",
      "Under Identity Management, paste the endpoint URL as the Base URL and the bearer token as the Token Key.",
      "Click “Test Connection”: JumpCloud creates and deletes a test user and group.",
      "Activate the integration.",
      "Turn group management on, then bind the user groups to push (the application's User Groups tab) and save.",
    ],
  },
  {
    id: "OKTA",
    name: "Okta",
    steps: [
      "In the Okta Admin Console, open your application (or create an app integration) and, under General, enable SCIM provisioning.",
      "On the Provisioning tab, Integration: paste the endpoint URL as the SCIM connector base URL; unique identifier field: userName.",
      "Choose the authentication mode “HTTP Header” and paste the bearer token.",
      "Click “Test Connector Configuration”, then save.",
      "Under Provisioning → To App, enable Create Users, Update User Attributes and Deactivate Users.",
      "Assign people and groups, and add the groups to push on the Push Groups tab.",
    ],
  },
  {
    id: "ENTRA",
    name: "Microsoft Entra ID",
    steps: [
      "In the Entra admin center, Enterprise applications → New application → Create your own application (non-gallery).",
      "Open Provisioning, set the mode to Automatic.",
      "Paste the endpoint URL as the Tenant URL and the bearer token as the Secret Token; click “Test Connection” and save.",
      "Under Users and groups, assign the users and groups to provision.",
      "Start provisioning. Entra syncs in cycles (about every 40 minutes).",
    ],
  },
  {
    id: "ONELOGIN",
    name: "OneLogin",
    steps: [
      "In OneLogin, Applications → Add App: “SCIM Provisioner with SAML (SCIM v2 Enterprise)”.",
      "On Configuration, paste the endpoint URL as the SCIM Base URL and the bearer token as the SCIM Bearer Token; enable the API connection.",
      "On Provisioning, enable provisioning and choose what deleting or suspending a user does.",
      "On Parameters, include Groups in provisioning; map roles or rules to the groups to push.",
      "Assign the users (directly or by role) and save.",
    ],
  },
  {
    id: "PING",
    name: "PingIdentity",
    steps: [
      "In PingOne, Integrations → Provisioning → New Connection → Identity Store → SCIM Outbound.",
      "Paste the endpoint URL as the SCIM Base URL; authentication method: OAuth 2 Bearer Token, with the bearer token.",
      "Test the connection and save it.",
      "Add a provisioning rule: the users to send (a filter or population) and the groups to provision; enable the rule.",
    ],
  },
  {
    id: "GENERIC",
    name: "Generic SCIM 2.0",
    steps: [
      "Give your SCIM 2.0 client the endpoint URL as its base URL.",
      "Send the bearer token in every request: Authorization: Bearer <token>.",
      "Users and Groups are supported with filters, PATCH and /.search; see /ServiceProviderConfig under the endpoint.",
      "Check the connection: GET <endpoint>/ServiceProviderConfig with the token answers 200.",
    ],
  },
];
