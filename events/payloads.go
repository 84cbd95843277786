package events

// The declared payloads: one Go type per event type. An event's data is
// its payload as JSON; the catalogue (catalogue.md), webhook bodies and the
// events connection all show these types and nothing else. What a new
// column of a schema adds to events is decided here, once: a column reaches
// events only when its entity's payload below gains a field for it, and
// TestPayloadsCoverColumns fails until the column is either added or named
// in LeftOut.

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
)

// The event types.
const (
	TypeDirectoryCreated        = "directory.created"
	TypeDirectoryEnabled        = "directory.enabled"
	TypeDirectoryDisabled       = "directory.disabled"
	TypeDirectoryDeleted        = "directory.deleted"
	TypeDirectoryTokenRotated   = "directory.token_rotated"
	TypeDirectoryTokenRevoked   = "directory.token_revoked"
	TypeUserCreated             = "user.created"
	TypeUserUpdated             = "user.updated"
	TypeUserDeactivated         = "user.deactivated"
	TypeUserReactivated         = "user.reactivated"
	TypeUserDeleted             = "user.deleted"
	TypeUserRolesChanged        = "user.roles_changed"
	TypeGroupCreated            = "group.created"
	TypeGroupUpdated            = "group.updated"
	TypeGroupDeleted            = "group.deleted"
	TypeGroupUserAdded          = "group.user_added"
	TypeGroupUserRemoved        = "group.user_removed"
	TypeGroupRolesChanged       = "group.roles_changed"
	TypeRoleCreated             = "role.created"
	TypeRoleUpdated             = "role.updated"
	TypeRoleDeleted             = "role.deleted"
	TypeWebhookEndpointDisabled = "webhook.endpoint_disabled"
	TypeWebhookTest             = "webhook.test"
)

// Payload is the data of one event type.
type Payload interface {
	// EventType is the type of the events that carry this payload.
	EventType() string
}

// Catalogue is one zero payload of each event type, in display order: the
// README's catalogue, webhook subscriptions and the events filter list
// these types.
var Catalogue = []Payload{
	DirectoryCreated{}, DirectoryEnabled{}, DirectoryDisabled{}, DirectoryDeleted{},
	DirectoryTokenRotated{}, DirectoryTokenRevoked{},
	UserCreated{}, UserUpdated{}, UserDeactivated{}, UserReactivated{}, UserDeleted{}, UserRolesChanged{},
	GroupCreated{}, GroupUpdated{}, GroupDeleted{}, GroupUserAdded{}, GroupUserRemoved{}, GroupRolesChanged{},
	RoleCreated{}, RoleUpdated{}, RoleDeleted{},
	WebhookEndpointDisabled{}, WebhookTest{},
}

// Types is the type of each payload of the Catalogue, in its order.
func Types() []string {
	out := make([]string, len(Catalogue))
	for i, p := range Catalogue {
		out[i] = p.EventType()
	}
	return out
}

// LeftOut names, per table, the columns no payload carries, and why: the
// one list a new column must join if events are not to show it.
var LeftOut = map[string][]string{
	// user_name_key and display_name_key are folded look-up keys; raw is
	// the provider's document as sent, which may hold anything.
	"users":  {"user_name_key", "raw"},
	"groups": {"display_name_key", "raw"},
	// The maintained totals move with every user or group; GraphQL shows
	// them as userCount and groupCount.
	"directories": {"user_total", "group_total"},
	// The secret's hash never leaves the database.
	"directory_tokens": {"hash"},
	// Secrets, the dispatch position and the breaker are the worker's.
	"webhook_endpoints": {"secret", "previous_secret", "previous_secret_expires_at", "last_event_txid",
		"last_event_id", "consecutive_failures", "breaker_open_until"},
}

// The subjects, as the GraphQL API shows them (its field names).

// Directory is a directory of an organization.
type Directory struct {
	// The directory's id.
	ID uuid.UUID `json:"id"`
	// The organization the directory belongs to.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The directory's name, as its administrators see it.
	Name string `json:"name"`
	// The identity provider that provisions it.
	Provider schematype.Provider `json:"provider"`
	// Whether its provider's requests are served.
	Enabled bool `json:"enabled"`
	// When its provider last made an authenticated SCIM request (to the minute); null: never.
	LastSyncedAt *time.Time `json:"lastSyncedAt"`
	// When it was created.
	CreatedAt time.Time `json:"createdAt"`
	// When it last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// DirectoryOf is d's payload.
func DirectoryOf(d *ent.Directory) Directory {
	return Directory{ID: d.ID, OrganizationID: d.OrganizationID, Name: d.Name, Provider: d.Provider,
		Enabled: d.Enabled, LastSyncedAt: d.LastSyncedAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// Token is a directory's SCIM token: never its secret.
type Token struct {
	// The token's id.
	ID uuid.UUID `json:"id"`
	// The organization of the token's directory.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The directory the token provisions.
	DirectoryID uuid.UUID `json:"directoryID"`
	// The token's first characters, to tell it apart; never the secret.
	Prefix string `json:"prefix"`
	// When it was issued.
	CreatedAt time.Time `json:"createdAt"`
	// When it stops working; null: never.
	ExpiresAt *time.Time `json:"expiresAt"`
	// When a request last used it; null: never.
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// TokenOf is t's payload.
func TokenOf(t *ent.DirectoryToken) Token {
	return Token{ID: t.ID, OrganizationID: t.OrganizationID, DirectoryID: t.DirectoryID, Prefix: t.Prefix,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

// User is a user of a directory: every attribute a provider sends.
type User struct {
	// The user's id (the same in SCIM).
	ID uuid.UUID `json:"id"`
	// The organization the user belongs to.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The directory that provisions the user.
	DirectoryID uuid.UUID `json:"directoryID"`
	// The identity provider's id of the user.
	ExternalID string `json:"externalID"`
	// The user's unique name in its directory, often an email address.
	UserName string `json:"userName"`
	// The full name, formatted for display.
	NameFormatted string `json:"nameFormatted"`
	// The family name.
	FamilyName string `json:"familyName"`
	// The given name.
	GivenName string `json:"givenName"`
	// The middle name.
	MiddleName string `json:"middleName"`
	// Title before the name (Ms., Dr., ...).
	HonorificPrefix string `json:"honorificPrefix"`
	// Suffix after the name (Jr., III, ...).
	HonorificSuffix string `json:"honorificSuffix"`
	// The name to display.
	DisplayName string `json:"displayName"`
	// The casual name.
	NickName string `json:"nickName"`
	// The URL of the user's online profile.
	ProfileURL string `json:"profileURL"`
	// The job title.
	Title string `json:"title"`
	// The kind of user (Employee, Contractor, ...), as the provider sent it.
	UserType string `json:"userType"`
	// The preferred written or spoken language.
	PreferredLanguage string `json:"preferredLanguage"`
	// The locale, for formatting dates, numbers and currencies.
	Locale string `json:"locale"`
	// The time zone (IANA name).
	Timezone string `json:"timezone"`
	// Whether the identity provider has the user active; an inactive user holds no role.
	Active bool `json:"active"`
	// The primary email address.
	PrimaryEmail string `json:"primaryEmail"`
	// The email addresses.
	Emails []schematype.MultiValue `json:"emails"`
	// The phone numbers.
	PhoneNumbers []schematype.MultiValue `json:"phoneNumbers"`
	// The instant messaging addresses.
	Ims []schematype.MultiValue `json:"ims"`
	// The URLs of photos of the user.
	Photos []schematype.MultiValue `json:"photos"`
	// The postal addresses.
	Addresses []schematype.Address `json:"addresses"`
	// The entitlements, as the provider sent them.
	Entitlements []schematype.MultiValue `json:"entitlements"`
	// The roles the provider sent (SCIM roles; not this service's roles).
	ScimRoles []schematype.MultiValue `json:"scimRoles"`
	// The X.509 certificates.
	X509Certificates []schematype.MultiValue `json:"x509Certificates"`
	// The employee number (enterprise extension).
	EmployeeNumber string `json:"employeeNumber"`
	// The cost center (enterprise extension).
	CostCenter string `json:"costCenter"`
	// The organization the user works for (enterprise extension).
	EnterpriseOrganization string `json:"enterpriseOrganization"`
	// The division (enterprise extension).
	Division string `json:"division"`
	// The department (enterprise extension).
	Department string `json:"department"`
	// The provider's id of the user's manager (enterprise extension).
	ManagerID string `json:"managerID"`
	// The display name of the user's manager (enterprise extension).
	ManagerDisplayName string `json:"managerDisplayName"`
	// The user's version, moved by every change (its SCIM ETag).
	Version int `json:"version"`
	// When it was provisioned.
	CreatedAt time.Time `json:"createdAt"`
	// When it last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// UserOf is u's payload.
func UserOf(u *ent.User) User {
	return User{ID: u.ID, OrganizationID: u.OrganizationID, DirectoryID: u.DirectoryID,
		ExternalID: u.ExternalID, UserName: u.UserName, NameFormatted: u.NameFormatted,
		FamilyName: u.FamilyName, GivenName: u.GivenName, MiddleName: u.MiddleName,
		HonorificPrefix: u.HonorificPrefix, HonorificSuffix: u.HonorificSuffix,
		DisplayName: u.DisplayName, NickName: u.NickName, ProfileURL: u.ProfileURL, Title: u.Title,
		UserType: u.UserType, PreferredLanguage: u.PreferredLanguage, Locale: u.Locale,
		Timezone: u.Timezone, Active: u.Active, PrimaryEmail: u.PrimaryEmail, Emails: u.Emails,
		PhoneNumbers: u.PhoneNumbers, Ims: u.Ims, Photos: u.Photos, Addresses: u.Addresses,
		Entitlements: u.Entitlements, ScimRoles: u.ScimRoles, X509Certificates: u.X509Certificates,
		EmployeeNumber: u.EmployeeNumber, CostCenter: u.CostCenter,
		EnterpriseOrganization: u.EnterpriseOrganization, Division: u.Division,
		Department: u.Department, ManagerID: u.ManagerID, ManagerDisplayName: u.ManagerDisplayName,
		Version: u.Version, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// UserSummary names a user in an event about another subject (a
// membership's group): set-based changes write many of them.
type UserSummary struct {
	// The user's id.
	ID uuid.UUID `json:"id"`
	// The user's unique name in its directory.
	UserName string `json:"userName"`
	// The identity provider's id of the user.
	ExternalID string `json:"externalID"`
	// The name to display.
	DisplayName string `json:"displayName"`
	// The primary email address.
	PrimaryEmail string `json:"primaryEmail"`
	// Whether the user is active.
	Active bool `json:"active"`
}

// UserSummaryOf is u's summary.
func UserSummaryOf(u *ent.User) UserSummary {
	return UserSummary{ID: u.ID, UserName: u.UserName, ExternalID: u.ExternalID,
		DisplayName: u.DisplayName, PrimaryEmail: u.PrimaryEmail, Active: u.Active}
}

// Group is a group of a directory, without its members.
type Group struct {
	// The group's id (the same in SCIM).
	ID uuid.UUID `json:"id"`
	// The organization the group belongs to.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The directory that provisions the group.
	DirectoryID uuid.UUID `json:"directoryID"`
	// The identity provider's id of the group.
	ExternalID string `json:"externalID"`
	// The group's name.
	DisplayName string `json:"displayName"`
	// The group's version, moved by every change (its SCIM ETag).
	Version int `json:"version"`
	// When it was provisioned.
	CreatedAt time.Time `json:"createdAt"`
	// When it last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// GroupOf is g's payload.
func GroupOf(g *ent.Group) Group {
	return Group{ID: g.ID, OrganizationID: g.OrganizationID, DirectoryID: g.DirectoryID,
		ExternalID: g.ExternalID, DisplayName: g.DisplayName, Version: g.Version,
		CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

// Role is a role of an organization.
type Role struct {
	// The role's id.
	ID uuid.UUID `json:"id"`
	// The organization the role belongs to.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The role's key, the name applications check.
	Key string `json:"key"`
	// The role's name, for people.
	Name string `json:"name"`
	// What the role allows.
	Description string `json:"description"`
	// When it was created.
	CreatedAt time.Time `json:"createdAt"`
	// When it last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// RoleOf is r's payload.
func RoleOf(r *ent.Role) Role {
	return Role{ID: r.ID, OrganizationID: r.OrganizationID, Key: r.Key, Name: r.Name,
		Description: r.Description, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// WebhookEndpoint is an endpoint, without its secrets.
type WebhookEndpoint struct {
	// The endpoint's id.
	ID uuid.UUID `json:"id"`
	// The organization the endpoint belongs to.
	OrganizationID uuid.UUID `json:"organizationID"`
	// The URL events are posted to.
	URL string `json:"url"`
	// What the endpoint is for, as its administrators wrote it.
	Description string `json:"description"`
	// The event types it receives (dotted names); empty: every type.
	EventTypes []string `json:"eventTypes"`
	// Whether events are delivered to it.
	Enabled bool `json:"enabled"`
	// Since when its deliveries have failed without a success; null: not failing.
	FailingSince *time.Time `json:"failingSince"`
	// When it was created.
	CreatedAt time.Time `json:"createdAt"`
	// When it last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// WebhookEndpointOf is ep's payload.
func WebhookEndpointOf(ep *ent.WebhookEndpoint) WebhookEndpoint {
	return WebhookEndpoint{ID: ep.ID, OrganizationID: ep.OrganizationID, URL: ep.URL,
		Description: ep.Description, EventTypes: ep.EventTypes, Enabled: ep.Enabled,
		FailingSince: ep.FailingSince, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
}

// Roles is the effective role keys of a user, or the keys mapped to a
// group, sorted; the previous value of a *.roles_changed event.
type Roles struct {
	// The role keys, sorted.
	Roles []string `json:"roles"`
}

// The payloads of each event type.

// DirectoryCreated is directory.created: the new directory.
type DirectoryCreated struct{ Directory }

// DirectoryEnabled is directory.enabled: the directory, enabled.
type DirectoryEnabled struct{ Directory }

// DirectoryDisabled is directory.disabled: the directory, disabled; its
// provider's requests are refused until it is enabled again.
type DirectoryDisabled struct{ Directory }

// DirectoryDeleted is directory.deleted: the directory as it was.
type DirectoryDeleted struct{ Directory }

// DirectoryTokenRotated is directory.token_rotated: the directory and its
// new token.
type DirectoryTokenRotated struct {
	Directory
	// The new token.
	Token Token `json:"token"`
}

// DirectoryTokenRevoked is directory.token_revoked: the directory and the
// token revoked.
type DirectoryTokenRevoked struct {
	Directory
	// The token revoked.
	Token Token `json:"token"`
}

// UserCreated is user.created: the new user and its effective role keys.
type UserCreated struct {
	User
	// Its effective role keys, sorted.
	Roles []string `json:"roles"`
}

// UserUpdated is user.updated: the user after the change; previous holds
// the values of exactly the fields that changed (active aside, which has
// its own events).
type UserUpdated struct{ User }

// UserDeactivated is user.deactivated: the user, now inactive, which holds
// no role (roles is empty); previous (Roles) holds the role keys it lost.
type UserDeactivated struct {
	User
	// Its effective role keys: none, as it is inactive.
	Roles []string `json:"roles"`
}

// UserReactivated is user.reactivated: the user, active again, and the
// effective role keys it regained; previous (Roles) is empty.
type UserReactivated struct {
	User
	// The effective role keys it regained, sorted.
	Roles []string `json:"roles"`
}

// UserDeleted is user.deleted: the user as it was.
type UserDeleted struct{ User }

// UserRolesChanged is user.roles_changed: the user and its effective role
// keys after the change; previous (Roles) holds them before it.
type UserRolesChanged struct {
	User
	// Its effective role keys after the change, sorted.
	Roles []string `json:"roles"`
}

// GroupCreated is group.created: the new group.
type GroupCreated struct{ Group }

// GroupUpdated is group.updated: the group after the change; previous
// holds the values of exactly the fields that changed.
type GroupUpdated struct{ Group }

// GroupDeleted is group.deleted: the group as it was.
type GroupDeleted struct{ Group }

// GroupUserAdded is group.user_added: the group and the user that joined.
type GroupUserAdded struct {
	// The group.
	Group Group `json:"group"`
	// The user that joined it.
	User UserSummary `json:"user"`
}

// GroupUserRemoved is group.user_removed: the group and the user that left.
type GroupUserRemoved struct {
	// The group.
	Group Group `json:"group"`
	// The user that left it.
	User UserSummary `json:"user"`
}

// GroupRolesChanged is group.roles_changed: the group and the keys of the
// roles mapped to it after the change; previous (Roles) holds them before.
type GroupRolesChanged struct {
	Group
	// The keys of the roles mapped to the group after the change, sorted.
	Roles []string `json:"roles"`
}

// RoleCreated is role.created: the new role.
type RoleCreated struct{ Role }

// RoleUpdated is role.updated: the role after the change; previous holds
// the values of exactly the fields that changed.
type RoleUpdated struct{ Role }

// RoleDeleted is role.deleted: the role as it was.
type RoleDeleted struct{ Role }

// WebhookEndpointDisabled is webhook.endpoint_disabled: the endpoint the
// delivery worker turned off, and why.
type WebhookEndpointDisabled struct {
	WebhookEndpoint
	// Why it was disabled.
	Reason string `json:"reason"`
}

// WebhookTest is webhook.test: an admin asked for a test delivery to this
// endpoint (webhookEndpointTest). It is delivered to that endpoint only,
// whatever types the endpoint takes, so a receiver can be checked end to
// end without waiting for a real change.
type WebhookTest struct{ WebhookEndpoint }

// EventType implementations.

func (DirectoryCreated) EventType() string        { return TypeDirectoryCreated }
func (DirectoryEnabled) EventType() string        { return TypeDirectoryEnabled }
func (DirectoryDisabled) EventType() string       { return TypeDirectoryDisabled }
func (DirectoryDeleted) EventType() string        { return TypeDirectoryDeleted }
func (DirectoryTokenRotated) EventType() string   { return TypeDirectoryTokenRotated }
func (DirectoryTokenRevoked) EventType() string   { return TypeDirectoryTokenRevoked }
func (UserCreated) EventType() string             { return TypeUserCreated }
func (UserUpdated) EventType() string             { return TypeUserUpdated }
func (UserDeactivated) EventType() string         { return TypeUserDeactivated }
func (UserReactivated) EventType() string         { return TypeUserReactivated }
func (UserDeleted) EventType() string             { return TypeUserDeleted }
func (UserRolesChanged) EventType() string        { return TypeUserRolesChanged }
func (GroupCreated) EventType() string            { return TypeGroupCreated }
func (GroupUpdated) EventType() string            { return TypeGroupUpdated }
func (GroupDeleted) EventType() string            { return TypeGroupDeleted }
func (GroupUserAdded) EventType() string          { return TypeGroupUserAdded }
func (GroupUserRemoved) EventType() string        { return TypeGroupUserRemoved }
func (GroupRolesChanged) EventType() string       { return TypeGroupRolesChanged }
func (RoleCreated) EventType() string             { return TypeRoleCreated }
func (RoleUpdated) EventType() string             { return TypeRoleUpdated }
func (RoleDeleted) EventType() string             { return TypeRoleDeleted }
func (WebhookEndpointDisabled) EventType() string { return TypeWebhookEndpointDisabled }
func (WebhookTest) EventType() string             { return TypeWebhookTest }

// What an event's previous holds, declared per payload: the events of the
// payloads below carry previous values, the others never do.

// WithBefore is a payload whose events carry previous values: Before is a
// zero value of what previous holds, Roles or Changes.
type WithBefore interface {
	Payload
	Before() any
}

// Changes is the previous of an update: the values, before the change, of
// exactly the fields of the payload that changed, by their JSON names.
type Changes map[string]json.RawMessage

func (UserUpdated) Before() any       { return Changes{} }
func (GroupUpdated) Before() any      { return Changes{} }
func (RoleUpdated) Before() any       { return Changes{} }
func (UserDeactivated) Before() any   { return Roles{} }
func (UserReactivated) Before() any   { return Roles{} }
func (UserRolesChanged) Before() any  { return Roles{} }
func (GroupRolesChanged) Before() any { return Roles{} }

// Upper is an event type as an upper-case name (user.roles_changed is
// USER_ROLES_CHANGED): its value of GraphQL's EventType enum.
func Upper(typ string) string {
	return strings.ToUpper(strings.ReplaceAll(typ, ".", "_"))
}
