package patch

import (
	"strings"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// Attributes of schemas the resource type does not have (a provider's
// custom extension, such as Entra ID's
// urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User) are
// kept rather than rejected, so that nothing a provider sends is lost:
// doc["urn:X"] = {"attr": value}. A schema this server knows but the
// resource type does not have is a mistake, not an extension.

// applyForeign runs an operation whose path is urn:X:attr[.sub] for a schema
// URN urn:X of no schema of the resource type.
func (a *applier) applyForeign(op string, p filter.Path, value any) error {
	path := p.String()
	value = deepCopy(value)
	if known := knownSchema(p.Attr.URN + ":" + p.Attr.Name); known != nil {
		return errorf(InvalidPath, path, "%s resources do not have schema %s", a.rt.Name, known.ID)
	}
	if known := knownSchema(p.Attr.URN); known != nil {
		return errorf(InvalidPath, path, "%s resources do not have schema %s", a.rt.Name, known.ID)
	}
	if p.Filter != nil {
		return errorf(InvalidPath, path, "filters on attributes of schema %s, which this server does not know, are not supported", p.Attr.URN)
	}
	ext := getMap(a.doc, p.Attr.URN)
	if op == "remove" {
		a.removeForeign(ext, p.Attr)
		return nil
	}
	if ext == nil {
		if value == nil {
			return nil
		}
		ext = map[string]any{}
		setKey(a.doc, p.Attr.URN, ext)
		addSchema(a.doc, p.Attr.URN)
	}
	holder, key := ext, p.Attr.Name
	if p.Attr.Sub != "" {
		holder = getMap(ext, p.Attr.Name)
		if holder == nil {
			holder = map[string]any{}
			setKey(ext, p.Attr.Name, holder)
		}
		key = p.Attr.Sub
	}
	if value == nil {
		delKey(holder, key)
	} else {
		setKey(holder, key, value)
	}
	a.tidyForeign(p.Attr)
	return nil
}

func (a *applier) removeForeign(ext map[string]any, attr filter.AttrPath) {
	if ext == nil {
		return
	}
	if attr.Sub == "" {
		delKey(ext, attr.Name)
	} else if inner := getMap(ext, attr.Name); inner != nil {
		delKey(inner, attr.Sub)
	}
	a.tidyForeign(attr)
}

// tidyForeign drops objects that a removal or a null left empty.
func (a *applier) tidyForeign(attr filter.AttrPath) {
	ext := getMap(a.doc, attr.URN)
	if ext == nil {
		return
	}
	if inner := getMap(ext, attr.Name); inner != nil && len(inner) == 0 {
		delKey(ext, attr.Name)
	}
	if len(ext) == 0 {
		delKey(a.doc, attr.URN)
		removeSchema(a.doc, attr.URN)
	}
}

// applyForeignKey applies a path-less key that is a URN of no schema of the
// resource type: an object is an extension object and is kept verbatim
// (merged into the existing one by add); any other value is read as the
// path urn:X:attr.
func (a *applier) applyForeignKey(op, key string, value any) error {
	if known := knownSchemaPrefix(key); known != nil {
		return errorf(InvalidValue, key, "%s resources do not have schema %s", a.rt.Name, known.ID)
	}
	obj, isObject := deepCopy(value).(map[string]any)
	if !isObject {
		p, err := filter.ParsePath(key)
		if err != nil || p.Filter != nil {
			return errorf(InvalidValue, key, "%q is not an attribute name", key)
		}
		return a.applyForeign(op, p, value)
	}
	old := getMap(a.doc, key)
	if op == "add" && old != nil {
		for k, v := range obj {
			setKey(old, k, v)
		}
		setKey(a.doc, key, old)
		return nil
	}
	setKey(a.doc, key, obj)
	addSchema(a.doc, key)
	return nil
}

// knownSchema returns the schema of this server whose URN is urn.
func knownSchema(urn string) *schema.Schema { return schema.ByID(urn) }

// knownSchemaPrefix returns the schema of this server whose URN is key or
// prefixes it ("urn:...:core:2.0:Group:displayName").
func knownSchemaPrefix(key string) *schema.Schema {
	for _, s := range []*schema.Schema{schema.User, schema.EnterpriseUser, schema.Group} {
		n := len(s.ID)
		if len(key) >= n && strings.EqualFold(key[:n], s.ID) && (len(key) == n || key[n] == ':') {
			return s
		}
	}
	return nil
}
