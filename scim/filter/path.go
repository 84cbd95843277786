package filter

// Path is a parsed SCIM PATCH path (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath ["." ATTRNAME]
//
// For "name.givenName" Attr is {Name: "name", Sub: "givenName"} and Filter is
// nil. For `members[value eq "x"]` Attr is {Name: "members"} and Filter is the
// bracket filter. For `emails[type eq "work"].value` Attr is {Name: "emails",
// Sub: "value"}: the sub-attribute after the brackets is stored in Attr.Sub
// (a value path never has a sub-attribute before its brackets).
type Path struct {
	Attr   AttrPath
	Filter Expr // nil unless the path has a [filter]
}

// ParsePath parses a SCIM PATCH path. A syntax error is returned as an
// *Error.
func ParsePath(s string) (Path, error) {
	p := parser{s: s}
	p.i = p.wsEnd(0)
	if p.eof() {
		return Path{}, p.fail(p.i, "empty path")
	}
	path, err := p.path()
	if err != nil {
		return Path{}, err
	}
	if err := p.end(); err != nil {
		return Path{}, err
	}
	return path, nil
}

func (p *parser) path() (Path, *Error) {
	attr, err := p.attrPath()
	if err != nil {
		return Path{}, err
	}
	j := p.wsEnd(p.i)
	if j == len(p.s) || p.s[j] != '[' {
		return Path{Attr: attr}, nil
	}
	filter, err := p.bracket(attr, j)
	if err != nil {
		return Path{}, err
	}
	if !p.eof() && p.s[p.i] == '.' {
		p.i++
		if attr.Sub, err = p.attrName(); err != nil {
			return Path{}, err
		}
	}
	return Path{Attr: attr, Filter: filter}, nil
}

// String renders the path canonically: attrPath, or
// URN:Name[filter].Sub for a path with a filter.
func (p Path) String() string {
	if p.Filter == nil {
		return p.Attr.String()
	}
	b := AttrPath{URN: p.Attr.URN, Name: p.Attr.Name}.appendTo(nil)
	b = append(b, '[')
	b = p.Filter.appendTo(b)
	b = append(b, ']')
	if p.Attr.Sub != "" {
		b = append(b, '.')
		b = append(b, p.Attr.Sub...)
	}
	return string(b)
}
