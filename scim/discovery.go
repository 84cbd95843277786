package scim

import (
	"net/http"
	"strings"

	"github.com/acme/directory/scim/schema"
)

// The discovery endpoints (RFC 7644 §4) describe exactly what this server
// does: PATCH yes, bulk and password change no, filters and sorting yes,
// ETags yes, paging by index and by cursor (RFC 9865).

func (s *Server) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{schema.ServiceProviderConfigURN},
		"documentationUri": "https://github.com/acme/directory#connecting-an-identity-provider",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": s.opts.MaxBodyBytes},
		"filter":           map[string]any{"supported": true, "maxResults": s.opts.MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		// RFC 9865 §4: both ways to page; startIndex unless cursor is sent.
		"pagination": map[string]any{
			"cursor": true, "index": true, "defaultPaginationMethod": "index",
			"defaultPageSize": s.opts.DefaultCount, "maxPageSize": s.opts.MaxResults,
			"cursorTimeout": int(cursorTimeout.Seconds()),
		},
		"etag": map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "The directory's bearer token (scim_...), sent as Authorization: Bearer <token>.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": s.baseURL(r) + "/ServiceProviderConfig"},
	})
}

var resourceTypes = []*schema.ResourceType{schema.UserResource, schema.GroupResource}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	docs := make([]any, len(resourceTypes))
	for i, rt := range resourceTypes {
		docs[i] = rt.Document(base)
	}
	writeJSON(w, http.StatusOK, newListResponse(&listQuery{startIndex: 1}, len(docs), docs))
}

func (s *Server) resourceType(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, rt := range resourceTypes {
		if strings.EqualFold(rt.ID, id) || strings.EqualFold(rt.Name, id) {
			writeJSON(w, http.StatusOK, rt.Document(s.baseURL(r)))
			return
		}
	}
	writeError(w, r, errorf(http.StatusNotFound, "", "no resource type "+id))
}

var schemas = []*schema.Schema{schema.User, schema.EnterpriseUser, schema.Group}

func (s *Server) schemas(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	docs := make([]any, len(schemas))
	for i, sc := range schemas {
		docs[i] = sc.Document(base)
	}
	writeJSON(w, http.StatusOK, newListResponse(&listQuery{startIndex: 1}, len(docs), docs))
}

func (s *Server) schema(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, sc := range schemas {
		if strings.EqualFold(sc.ID, id) {
			writeJSON(w, http.StatusOK, sc.Document(s.baseURL(r)))
			return
		}
	}
	writeError(w, r, errorf(http.StatusNotFound, "", "no schema "+id))
}

// searchAll is POST /.search at the root: users first, then groups, paged
// across both (RFC 7644 §3.4.3).
func (s *Server) searchAll(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseSearch(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if q.cursor != nil {
		writeError(w, r, errorf(http.StatusBadRequest, invalidValue,
			"cursor paging is per resource type: search /Users/.search or /Groups/.search, or page with startIndex"))
		return
	}
	q.anyType = true
	offset := q.startIndex - 1
	users, udocs, err := s.findUsers(r, q, offset, q.count)
	if err != nil {
		writeError(w, r, err)
		return
	}
	groups, gdocs, err := s.findGroups(r, q, max(0, offset-users), q.count-len(udocs))
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeList(w, r, q, users+groups, append(udocs, gdocs...))
}
