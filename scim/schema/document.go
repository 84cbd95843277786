package schema

// Document renders the schema's representation (RFC 7643 §7, §8.7.1): the
// body of GET /Schemas/{id}. baseURL is the SCIM base URL without a
// trailing slash.
func (s *Schema) Document(baseURL string) map[string]any {
	return map[string]any{
		"schemas":     []string{SchemaURN},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  attributeDocs(s.Attributes),
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     baseURL + "/Schemas/" + s.ID,
		},
	}
}

// Document renders the resource type's representation (RFC 7643 §6): the
// body of GET /ResourceTypes/{id}.
func (rt *ResourceType) Document(baseURL string) map[string]any {
	exts := make([]any, len(rt.Extensions))
	for i, e := range rt.Extensions {
		exts[i] = map[string]any{"schema": e.ID, "required": false}
	}
	return map[string]any{
		"schemas":          []string{ResourceTypeURN},
		"id":               rt.ID,
		"name":             rt.Name,
		"endpoint":         rt.Endpoint,
		"description":      rt.Description,
		"schema":           rt.Schema.ID,
		"schemaExtensions": exts,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     baseURL + "/ResourceTypes/" + rt.ID,
		},
	}
}

func attributeDocs(attrs []*Attribute) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a.document()
	}
	return out
}

// document renders one attribute definition. As in RFC 7643 §8.7.1,
// caseExact is given only for types where case can matter, and
// canonicalValues, referenceTypes and subAttributes only when they apply.
func (a *Attribute) document() map[string]any {
	d := map[string]any{
		"name":        a.Name,
		"type":        string(a.Type),
		"multiValued": a.MultiValued,
		"description": a.Description,
		"required":    a.Required,
		"mutability":  a.Mutability,
		"returned":    a.Returned,
		"uniqueness":  a.Uniqueness,
	}
	switch a.Type {
	case String, Reference, Binary:
		d["caseExact"] = a.CaseExact
	}
	if len(a.CanonicalValues) > 0 {
		d["canonicalValues"] = a.CanonicalValues
	}
	if a.Type == Reference {
		d["referenceTypes"] = a.ReferenceTypes
	}
	if a.Type == Complex {
		d["subAttributes"] = attributeDocs(a.SubAttributes)
	}
	return d
}
