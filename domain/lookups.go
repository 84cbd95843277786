package domain

import (
	"context"
	"strings"
	"unicode"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/predicate"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
)

// The look-ups an application makes by the keys it already holds: its own
// id of an organization, a person's email, userName or the provider's id.

// UserKey names one user of an organization by exactly one of its keys.
type UserKey struct {
	Email      string // any of the user's emails, without regard to case
	ExternalID string // the provider's id (SCIM externalId)
	UserName   string // without regard to case
}

// UserBy finds the user of an organization a key names, or nil when none
// does. A key can match users of several directories of the organization
// (the same person provisioned twice): the oldest is returned.
func (s *Service) UserBy(ctx context.Context, orgID uuid.UUID, k UserKey) (*ent.User, error) {
	var p predicate.User
	switch n := countSet(k.Email, k.ExternalID, k.UserName); {
	case n != 1:
		return nil, fault.FieldErrorf("email", "give exactly one of email, externalID and userName")
	case k.Email != "":
		p = HasEmail(k.Email)
	case k.ExternalID != "":
		p = user.ExternalID(k.ExternalID)
	default:
		p = user.UserNameKey(schematype.FoldKey(k.UserName))
	}
	u, err := s.db(ctx).User.Query().Where(user.OrganizationID(orgID), p).
		Order(ent.Asc(user.FieldCreatedAt), ent.Asc(user.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, wrap("look up user", err)
}

// OrganizationBy finds the organization of a slug or of the application's
// own id (exactly one of them), or nil when there is none.
func (s *Service) OrganizationBy(ctx context.Context, slug, externalID string) (*ent.Organization, error) {
	var p predicate.Organization
	switch n := countSet(slug, externalID); {
	case n != 1:
		return nil, fault.FieldErrorf("slug", "give exactly one of slug and externalID")
	case slug != "":
		p = organization.Slug(slug)
	default:
		p = organization.ExternalID(externalID)
	}
	o, err := s.db(ctx).Organization.Query().Where(p).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return o, wrap("look up organization", err)
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// HasEmail is the users one of whose emails is email, compared without
// regard to case: the primary email through its index, the others inside
// the stored JSON array.
func HasEmail(email string) predicate.User {
	return user.Or(user.PrimaryEmailEqualFold(email), emailsContain(email, false))
}

// Matching is the users a search box finds for query: a part of the
// userName, a name or an email, without regard to case, or a full name
// (every word in the given or the family name). On PostgreSQL each
// of its tests is served by a trigram index (migration
// user_search_trigrams) when the query holds a trigram (IndexedSearch).
func Matching(query string) predicate.User {
	q := strings.TrimSpace(query)
	found := []predicate.User{
		user.UserNameKeyContains(schematype.FoldKey(q)),
		user.DisplayNameContainsFold(q),
		user.GivenNameContainsFold(q),
		user.FamilyNameContainsFold(q),
		user.PrimaryEmailContainsFold(q),
		emailsContain(q, true),
	}
	// A full name: every word in the given or the family name, in any
	// order ("Ada Lovelace", "lovelace ada").
	if words := strings.Fields(q); len(words) > 1 {
		names := make([]predicate.User, len(words))
		for i, w := range words {
			names[i] = user.Or(user.GivenNameContainsFold(w), user.FamilyNameContainsFold(w))
		}
		found = append(found, user.And(names...))
	}
	return user.Or(found...)
}

// emailsContain is the users one of whose emails equals (or, with part,
// contains) s without regard to case, read from the JSON array on either
// database.
func emailsContain(s string, part bool) predicate.User {
	return predicate.User(func(sel *sql.Selector) {
		col := sel.C(user.FieldEmails)
		pg := sel.Dialect() == dialect.Postgres
		sel.Where(sql.P(func(b *sql.Builder) {
			if pg && part && jsonVerbatim(s) {
				// The emails' JSON text holds s wherever one email does,
				// since s has no character JSON escapes: a test that the
				// trigram index user_emails_trgm serves, before the exact
				// one.
				b.WriteString("(" + col + ")::text ILIKE ").Arg("%" + likeEscape(strings.ToLower(s)) + "%").WriteString(" AND ")
			}
			if pg {
				b.WriteString("EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(" + col +
					") = 'array' THEN " + col + " ELSE '[]'::jsonb END) AS e WHERE lower(e->>'value')")
			} else {
				b.WriteString("EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type(" + col + ") = 'array' THEN " +
					col + " ELSE '[]' END) AS e WHERE lower(json_extract(e.value, '$.value'))")
			}
			if part {
				b.WriteString(" LIKE ").Arg("%" + likeEscape(strings.ToLower(s)) + "%").WriteString(` ESCAPE '\'`)
			} else {
				b.WriteString(" = ").Arg(strings.ToLower(s))
			}
			b.WriteString(")")
		}))
	})
}

// jsonVerbatim reports whether s appears as itself in the JSON text of
// any string that contains it: it holds no quote, backslash or control
// character, the characters JSON escapes.
func jsonVerbatim(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 })
}

// IndexedSearch reports whether a trigram index can serve Matching(query)
// on PostgreSQL: a LIKE pattern yields trigrams only from a run of at
// least three letters or digits (ASCII ones are such in every locale),
// and the emails' test needs jsonVerbatim. Otherwise the search reads every user it is scoped to.
func IndexedSearch(query string) bool {
	q := strings.TrimSpace(query)
	if !jsonVerbatim(q) {
		return false
	}
	run := 0
	for _, r := range q {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if run++; run >= 3 {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

// likeEscape escapes LIKE's wildcards in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
