package graph

import (
	"regexp"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// The events query and subscription took their after cursor as a String
// until they took the Cursor scalar, as every connection does. A cursor's
// text is the same either way, but an operation that declares the
// variable as before (query($after: String) { events(after: $after) })
// would fail validation. Such operations keep working until the first
// release after 2027-03-01 (the README's table of what goes away): the
// validation rule that compares a variable's type with where it is used
// lets a String variable stand where a Cursor is expected.

// stringForCursor matches gqlparser's complaint about a String variable
// where a Cursor is expected (nullable or not).
var stringForCursor = regexp.MustCompile(`^Variable "\$[_A-Za-z0-9]+" of type "String!?" used in position expecting type "Cursor!?"\.$`)

// validationRules is gqlparser's default rules with that one exception.
func validationRules() *rules.Rules {
	rs := rules.NewDefaultRules()
	orig := rules.VariablesInAllowedPositionRule
	rs.ReplaceRule(orig.Name, func(observers *core.Events, addError core.AddErrFunc) {
		orig.RuleFunc(observers, func(options ...core.ErrorOption) {
			var e gqlerror.Error
			for _, o := range options {
				o(&e)
			}
			if stringForCursor.MatchString(e.Message) {
				return
			}
			addError(options...)
		})
	})
	return rs
}
