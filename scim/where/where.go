package where

import (
	"errors"

	"entgo.io/ent/dialect/sql"

	"github.com/acme/directory/ent/predicate"
	"github.com/acme/directory/scim/filter"
)

// Users returns a predicate for client.User.Query().Where(...) that selects
// the users matching e. A filter that names an unknown attribute, applies an
// operator the attribute does not support or compares it with a value of
// the wrong type is a *fault.Error with code fault.Invalid.
func Users(e filter.Expr) (predicate.User, error) {
	c, err := compile(e, userResource)
	if err != nil {
		return nil, err
	}
	return predicate.User(where(c)), nil
}

// Groups returns a predicate for client.Group.Query().Where(...) that
// selects the groups matching e; errors as for Users.
func Groups(e filter.Expr) (predicate.Group, error) {
	c, err := compile(e, groupResource)
	if err != nil {
		return nil, err
	}
	return predicate.Group(where(c)), nil
}

// AnyUsers is Users for a search across resource types (POST /.search at
// the root, RFC 7644 §3.4.3): an attribute users do not have makes its
// comparisons false (and "ne" true) instead of an error, so a filter such as
// `userName eq "x" or displayName eq "y"` finds users and groups.
func AnyUsers(e filter.Expr) (predicate.User, error) {
	c, err := compile(e, anyScope{userResource})
	if err != nil {
		return nil, err
	}
	return predicate.User(where(c)), nil
}

// AnyGroups is Groups for a search across resource types, as AnyUsers.
func AnyGroups(e filter.Expr) (predicate.Group, error) {
	c, err := compile(e, anyScope{groupResource})
	if err != nil {
		return nil, err
	}
	return predicate.Group(where(c)), nil
}

// anyScope resolves attributes the resource lacks to an absent target.
type anyScope struct{ r *resource }

func (a anyScope) lookup(p filter.AttrPath) (target, error) {
	t, err := a.r.lookup(p)
	var unknown *unknownError
	if errors.As(err, &unknown) {
		return absent{}, nil
	}
	return t, err
}

// absent is an attribute a resource does not have: like a NULL column it
// matches nothing but "ne".
type absent struct{}

func (absent) compare(op filter.Op, _ filter.Value) (cond, error) {
	if op == filter.OpNe {
		return sqlTrue, nil
	}
	return sqlFalse, nil
}

func (absent) present() (cond, error)              { return sqlFalse, nil }
func (absent) valuePath(filter.Expr) (cond, error) { return sqlFalse, nil }

// where adds c to the query's WHERE clause. The SQL is written when the
// query is built, so it follows the selector's dialect and argument
// numbering.
func where(c cond) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) { c(&writer{b: b, sel: s}) }))
	}
}

// UserOrder returns the ORDER BY terms for sorting users by the SCIM
// attribute path sortBy (e.g. "userName", "name.familyName",
// "meta.created", "emails.value" for the primary email), ascending unless
// descending, with id as the tie-breaker. Absent values sort last in both
// directions; case-insensitive attributes sort without regard to case.
// Attributes that cannot be sorted (multi-valued ones other than emails,
// complex ones without a sub-attribute) are a fault.Invalid error.
func UserOrder(sortBy string, descending bool) (func(*sql.Selector), error) {
	return order(userResource, sortBy, descending)
}

// GroupOrder is UserOrder for groups ("displayName", "externalId", "id",
// "meta.created", "meta.lastModified").
func GroupOrder(sortBy string, descending bool) (func(*sql.Selector), error) {
	return order(groupResource, sortBy, descending)
}
