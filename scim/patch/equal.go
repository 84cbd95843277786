package patch

import (
	"reflect"
	"strings"

	"github.com/acme/directory/scim/schema"
)

// sameValue reports whether x and y are the same value of attribute a:
// strings compared case-insensitively unless a is caseExact, booleans and
// numbers by value whatever their JSON spelling, complex values by their
// non-null sub-attributes.
func sameValue(a *schema.Attribute, x, y any) bool {
	switch a.Type {
	case schema.Complex:
		mx, ok1 := x.(map[string]any)
		my, ok2 := y.(map[string]any)
		return ok1 && ok2 && subsetOf(a, mx, my) && subsetOf(a, my, mx)
	case schema.Boolean:
		bx, ok1 := toBool(x)
		by, ok2 := toBool(y)
		return ok1 && ok2 && bx == by
	case schema.Integer, schema.Decimal:
		fx, ok1 := toFloat(x)
		fy, ok2 := toFloat(y)
		return ok1 && ok2 && fx == fy
	}
	sx, ok1 := x.(string)
	sy, ok2 := y.(string)
	if !ok1 || !ok2 {
		return false
	}
	if a.CaseExact {
		return sx == sy
	}
	return strings.EqualFold(sx, sy)
}

// subsetOf reports whether every non-null sub-attribute of small has the
// same value in big.
func subsetOf(a *schema.Attribute, small, big map[string]any) bool {
	for k, v := range small {
		if v == nil {
			continue
		}
		w, _ := getKey(big, k)
		sub := a.Sub(k)
		if sub == nil {
			if !reflect.DeepEqual(v, w) {
				return false
			}
			continue
		}
		if !sameValue(sub, v, w) {
			return false
		}
	}
	return true
}

// identity compares two elements of a multi-valued complex attribute by
// what identifies them: their "value" and, when both have one, their
// "type". decided is false when x has no value to compare.
func identity(a *schema.Attribute, x, y map[string]any) (same, decided bool) {
	vs := a.Sub("value")
	xv, _ := getKey(x, "value")
	if vs == nil || xv == nil {
		return false, false
	}
	yv, _ := getKey(y, "value")
	if !sameValue(vs, xv, yv) {
		return false, true
	}
	if ts := a.Sub("type"); ts != nil {
		xt, _ := getKey(x, "type")
		yt, _ := getKey(y, "type")
		if xt != nil && yt != nil && !sameValue(ts, xt, yt) {
			return false, true
		}
	}
	return true, true
}

// sameElement reports whether adding x to a multi-valued attribute would
// repeat its existing element y.
func sameElement(a *schema.Attribute, x, y any) bool {
	mx, ok1 := x.(map[string]any)
	my, ok2 := y.(map[string]any)
	if !ok1 || !ok2 {
		return a.Type != schema.Complex && sameValue(a, x, y)
	}
	if same, decided := identity(a, mx, my); decided {
		return same
	}
	return sameValue(a, mx, my)
}

// sameValueOrSubset reports whether a value listed for removal, x,
// designates the element y: by identity when x has a value, else when y has
// every sub-attribute x gives.
func sameValueOrSubset(a *schema.Attribute, x, y any) bool {
	mx, ok1 := x.(map[string]any)
	my, ok2 := y.(map[string]any)
	if !ok1 || !ok2 {
		return a.Type != schema.Complex && sameValue(a, x, y)
	}
	if same, decided := identity(a, mx, my); decided {
		return same
	}
	return len(mx) > 0 && subsetOf(a, mx, my)
}
