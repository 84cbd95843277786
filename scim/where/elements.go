package where

import (
	"strings"

	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/scim/attrs"
)

// elementAlias names the element row inside an EXISTS subquery. Value paths
// do not nest, so one alias serves every subquery.
const elementAlias = "elem"

// jsonArray is a multi-valued attribute stored as a JSON array of objects
// (schematype.MultiValue or Address) with the given fields: strings,
// compared without regard to case, and booleans (primary; absent means
// false). Its default sub-attribute is "value" when the elements have one.
func jsonArray(name, col string, elems []attrs.Element) *multiAttr {
	subs := make(map[string]*scalarAttr, len(elems))
	defaultSub := ""
	for _, e := range elems {
		k := e.Key
		if e.Bool {
			subs[strings.ToLower(k)] = &scalarAttr{name: name + "." + k, kind: kBool,
				truth: jsonTrue(k), presence: jsonBoolPresent(k)}
			continue
		}
		subs[strings.ToLower(k)] = &scalarAttr{name: name + "." + k, kind: kString, fold: lowered, value: jsonField(k)}
		if k == "value" {
			defaultSub = k
		}
	}
	return &multiAttr{
		name: name, subs: subs, defaultSub: defaultSub,
		exists:   func(inner cond) cond { return jsonExists(col, inner) },
		nonEmpty: jsonNonEmpty(col),
	}
}

// jsonArrayOrEmpty writes the column when it holds an array and an empty
// array otherwise (NULL, JSON null), so iterating it never fails or yields
// a stray row.
func jsonArrayOrEmpty(w *writer, col string) {
	if w.pg() {
		w.sql("CASE WHEN jsonb_typeof(").col(col).sql(") = 'array' THEN ").col(col).sql(" ELSE '[]'::jsonb END")
		return
	}
	w.sql("CASE WHEN json_type(").col(col).sql(") = 'array' THEN ").col(col).sql(" ELSE '[]' END")
}

// jsonExists is "some element of the array in col satisfies inner".
func jsonExists(col string, inner cond) cond {
	return func(w *writer) {
		if w.pg() {
			w.sql("EXISTS (SELECT 1 FROM jsonb_array_elements(")
			jsonArrayOrEmpty(w, col)
			w.sql(") AS " + elementAlias + "(v) WHERE ")
		} else {
			w.sql("EXISTS (SELECT 1 FROM json_each(")
			jsonArrayOrEmpty(w, col)
			w.sql(") AS " + elementAlias + " WHERE ")
		}
		inner(w)
		w.sql(")")
	}
}

// jsonNonEmpty is "col holds an array with at least one element". CASE,
// unlike AND, guarantees the length is only taken of an array.
func jsonNonEmpty(col string) cond {
	return func(w *writer) {
		if w.pg() {
			w.sql("(CASE WHEN jsonb_typeof(").col(col).sql(") = 'array' THEN jsonb_array_length(").col(col).sql(") > 0 ELSE FALSE END)")
			return
		}
		w.sql("(CASE WHEN json_type(").col(col).sql(") = 'array' THEN json_array_length(").col(col).sql(") > 0 ELSE FALSE END)")
	}
}

// jsonField is the text of field k of the current element (NULL when
// absent). k comes from the tables in this package, never from a filter.
func jsonField(k string) scalar {
	return func(w *writer) {
		if w.pg() {
			w.sql("(" + elementAlias + ".v ->> '" + k + "')")
			return
		}
		w.sql("json_extract(" + elementAlias + ".value, '$." + k + "')")
	}
}

// jsonTrue is "field k of the current element is JSON true".
func jsonTrue(k string) cond {
	return func(w *writer) {
		if w.pg() {
			w.sql("COALESCE(" + elementAlias + ".v -> '" + k + "' = 'true'::jsonb, FALSE)")
			return
		}
		w.sql("(json_type(" + elementAlias + ".value, '$." + k + "') IS 'true')")
	}
}

// jsonBoolPresent is "field k of the current element is a JSON boolean".
func jsonBoolPresent(k string) cond {
	return func(w *writer) {
		if w.pg() {
			w.sql("COALESCE(jsonb_typeof(" + elementAlias + ".v -> '" + k + "') = 'boolean', FALSE)")
			return
		}
		w.sql("COALESCE(json_type(" + elementAlias + ".value, '$." + k + "') IN ('true', 'false'), FALSE)")
	}
}

// memberships is a multi-valued attribute read from the memberships table:
// a group's members (own = group_id, other = user_id) or a user's groups
// (the reverse), joined on id, the filtered table's id column. Its only
// field is value, the other side's id.
func memberships(name, own, other, id string) *multiAttr {
	value := &scalarAttr{name: name + ".value", kind: kID, notNull: true,
		value: func(w *writer) { w.sql(elementAlias + "." + other) }}
	exists := func(inner cond) cond {
		return func(w *writer) {
			w.sql("EXISTS (SELECT 1 FROM " + membership.Table + " AS " + elementAlias + " WHERE " + elementAlias + "." + own + " = ").col(id)
			w.sql(" AND ")
			inner(w)
			w.sql(")")
		}
	}
	return &multiAttr{name: name, subs: map[string]*scalarAttr{"value": value}, defaultSub: "value",
		exists: exists, nonEmpty: exists(sqlTrue)}
}
