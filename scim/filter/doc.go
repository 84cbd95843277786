// Package filter parses SCIM 2.0 filter expressions (RFC 7644 §3.4.2.2) and
// PATCH operation paths (RFC 7644 §3.5.2) into a small typed tree.
//
// # Filter grammar
//
// The accepted filter language is the ABNF of RFC 7644 §3.4.2.2 (with
// erratum 4690), read as an expression grammar with the usual precedence:
//
//	filter    = orExpr
//	orExpr    = andExpr *(WS "or" WS andExpr)          ; left-associative
//	andExpr   = factor *(WS "and" WS factor)           ; left-associative
//	factor    = "not" [WS] "(" [WS] filter [WS] ")"
//	          / "(" [WS] filter [WS] ")"
//	          / valuePath ["." ATTRNAME WS (compareOp WS compValue / "pr")]
//	          / attrPath WS "pr"
//	          / attrPath WS compareOp WS compValue
//	valuePath = attrPath [WS] "[" [WS] filter [WS] "]"  ; no "[" inside
//	attrPath  = [URN ":"] ATTRNAME ["." ATTRNAME]
//	URN       = "urn" 1*(":" 1*(ALPHA / DIGIT / "-" / "." / "_"))
//	ATTRNAME  = ALPHA *("-" / "_" / DIGIT / ALPHA) / "$ref"
//	compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//	compValue = "false" / "null" / "true" / JSON number / JSON string
//	WS        = 1*(SP / HTAB)
//
// Keywords, operators and the literals true, false and null are matched
// case-insensitively; attribute names are returned exactly as written (SCIM
// attribute names are case-insensitive, so consumers should compare them with
// strings.EqualFold). Whitespace before and after the whole filter (or path) is
// ignored.
// Filters may nest at most [MaxDepth] levels of parentheses.
//
// A URN prefix is recognised when a path starts with "urn:" (any case): the
// attribute name is the part after the last colon, so the dots inside a
// schema URN such as "urn:ietf:params:scim:schemas:core:2.0:User" never split
// off a sub-attribute.
//
// The bracketed filter of a value path may use the full filter grammar
// (and, or, not, parentheses) but may not contain another value path, as
// RFC 7644 forbids nested brackets. Attribute paths inside the brackets are
// relative to the multi-valued attribute in front of them.
//
// # Microsoft Entra ID extension
//
// Entra ID (Azure AD) provisioning sends filters such as
//
//	emails[type eq "work"].value eq "a@example.com"
//
// which RFC 7644 does not allow in a filter (it is PATH syntax followed by a
// comparison). This package accepts the form and normalises it to the
// standard value path it means, "an element of emails whose type is work and
// whose value is a@example.com":
//
//	ValuePath{Attr: emails, Filter: And{type eq "work", value eq "a@example.com"}}
//
// so a consumer only ever sees standard trees; String renders it as
// emails[type eq "work" and value eq "a@example.com"].
//
// # PATCH paths
//
// [ParsePath] accepts the PATH rule of RFC 7644 §3.5.2:
//
//	PATH = attrPath / valuePath ["." ATTRNAME]
//
// # Output
//
// Every node's String method renders canonical filter text (lower-case
// keywords, single spaces, minimal parentheses, JSON-escaped strings) that
// parses back to an equal tree. Syntax errors are returned as *[Error] with
// the byte offset of the problem.
package filter
