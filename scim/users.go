package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/predicate"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/patch"
	"github.com/acme/directory/scim/schema"
	"github.com/acme/directory/scim/where"
)

// directoryOf is the directory the authenticated provider pushes into.
func directoryOf(ctx context.Context) uuid.UUID {
	return access.FromContext(ctx).DirectoryID
}

// resourceID parses the id of a resource in the path; an id that is not a
// UUID names no resource of this server.
func resourceID(r *http.Request, kind string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, errorf(http.StatusNotFound, "", "no "+kind+" with id "+r.PathValue("id"))
	}
	return id, nil
}

// deleter answers a DELETE of one resource of kind with the domain
// operation del, honouring If-Match.
func (s *Server) deleter(kind string, del func(ctx context.Context, dirID, id uuid.UUID, guard domain.Guard) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := resourceID(r, kind)
		if err == nil {
			err = del(r.Context(), directoryOf(r.Context()), id, ifMatch(r))
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// ifMatch is the domain guard of the request's If-Match header.
func ifMatch(r *http.Request) domain.Guard {
	return func(version int) error { return checkIfMatch(r, version) }
}

// groupsOf returns the groups of each of the given users (read through
// the privacy rules by the caller), in one statement: memberships joined
// with their groups.
func groupsOf(ctx context.Context, c *ent.Client, dia string, ids ...uuid.UUID) (map[uuid.UUID][]groupRef, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	b := entsql.Dialect(dia)
	m, g := b.Table(membership.Table).As("m"), b.Table(group.Table).As("g")
	query, qargs := b.Select(m.C(membership.FieldUserID), g.C(group.FieldID), g.C(group.FieldDisplayName)).
		From(m).Join(g).On(g.C(group.FieldID), m.C(membership.FieldGroupID)).
		Where(entsql.In(m.C(membership.FieldUserID), args...)).
		OrderBy(m.C(membership.FieldUserID), g.C(group.FieldID)).Query()
	rows, err := c.QueryContext(ctx, query, qargs...)
	if err != nil {
		return nil, fmt.Errorf("read groups of users: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID][]groupRef, len(ids))
	for rows.Next() {
		var uid, gid uuid.UUID
		var name string
		if err := rows.Scan(&uid, &gid, &name); err != nil {
			return nil, fmt.Errorf("read groups of users: %w", err)
		}
		out[uid] = append(out[uid], groupRef{ID: gid.String(), Name: name})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read groups of users: %w", err)
	}
	return out, nil
}

// sendUser answers with a user, its ETag and, for creations, its Location.
// isNew: the request made the user, so it is in no group.
func (s *Server) sendUser(w http.ResponseWriter, r *http.Request, status int, u *ent.User, isNew bool) {
	proj := requestProjection(r)
	var groups []groupRef
	if !isNew && proj.wants("groups") {
		byUser, err := groupsOf(r.Context(), s.client, s.dialect, u.ID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		groups = byUser[u.ID]
	}
	s.writeUser(w, r, status, u, groups, proj)
}

// writeUser answers with user u, in groups, as proj selects it: written
// directly (appendUser) when the request selects nothing.
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, u *ent.User, groups []groupRef, proj projection) {
	base := s.baseURL(r)
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", base+"/Users/"+u.ID.String())
	}
	if !proj.selects() {
		writeBody(w, status, appendUser(make([]byte, 0, 1024), u, groups, base))
		return
	}
	writeJSON(w, status, proj.apply(userDoc(u, groups, base)))
}

// getUser answers GET /Users/{id}: one statement, the user with its
// groups (userread.go).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := resourceID(r, "user")
	if err != nil {
		writeError(w, r, err)
		return
	}
	proj := requestProjection(r)
	u, groups, err := s.readUser(r.Context(), true, id, proj.wants("groups"))
	if err == nil && u == nil {
		err = fault.Errorf(fault.NotFound, "no user with id %s", id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK, u, groups, proj)
}

// readUserDoc reads a POST or PUT body into a canonical user document.
func (s *Server) readUserDoc(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	body, _, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	if err := checkSchemas(body, schema.UserURN); err != nil {
		return nil, err
	}
	return canonical(body, schema.UserResource)
}

// canonical turns a client's resource body into the server's canonical
// document: attribute names in schema spelling, values of schema types,
// read-only attributes dropped. It is a path-less replace onto nothing, so
// POST, PUT and PATCH share one set of rules.
func canonical(body map[string]any, rt *schema.ResourceType) (map[string]any, error) {
	doc := map[string]any{}
	if _, err := patch.Apply(doc, rt, []patch.Operation{{Op: "replace", Value: body}}, ""); err != nil {
		return nil, err
	}
	return doc, nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	doc, err := s.readUserDoc(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := userFields(doc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// A re-provisioned user (taken over rather than created) is also
	// answered 201: the provider asked to create it, and now it exists.
	u, created, err := s.domain.ProvisionUser(r.Context(), directoryOf(r.Context()), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.sendUser(w, r, http.StatusCreated, u, created)
}

func (s *Server) replaceUser(w http.ResponseWriter, r *http.Request) {
	doc, err := s.readUserDoc(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.updateUser(w, r, func(*ent.User) (map[string]any, error) { return doc, nil })
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	_, raw, err := s.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ops, err := patch.Parse(raw)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.updateUser(w, r, func(u *ent.User) (map[string]any, error) {
		doc, err := jsonDoc(userDoc(u, nil, ""))
		if err != nil {
			return nil, err
		}
		if _, err := patch.Apply(doc, schema.UserResource, ops, ""); err != nil {
			return nil, err
		}
		// A PATCH that removed active (or set it null) leaves it
		// unassigned: held as null, it is stored as inactive (read as the
		// SCIM default, true, a removal would re-enable a deactivated
		// user) and shown in no response (RFC 7644 §3.5.2.2).
		if _, ok := doc["active"].(bool); !ok {
			doc["active"] = nil
		}
		return doc, nil
	})
}

// updateUser replaces a user with the document next computes from it, in
// one transaction with the row locked, honouring If-Match. A document equal
// to the stored one writes nothing (Entra's periodic no-ops).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, next func(*ent.User) (map[string]any, error)) {
	id, err := resourceID(r, "user")
	if err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.domain.UpdateUser(r.Context(), directoryOf(r.Context()), id, ifMatch(r),
		func(cur *ent.User) (domain.UserFields, error) {
			doc, err := next(cur)
			if err != nil {
				return nil, err
			}
			if same, err := sameDoc(userDoc(cur, nil, ""), doc); err != nil || same {
				return nil, err
			}
			return userFields(doc)
		})
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.sendUser(w, r, http.StatusOK, u, false)
}

// findUsers counts the users matching q and renders those from offset,
// at most limit of them, with one query for their groups.
func (s *Server) findUsers(r *http.Request, q *listQuery, offset, limit int) (int, []any, error) {
	ctx := r.Context()
	if name, ok := userNameLookup(q, offset, limit); ok {
		u, groups, err := s.readUser(ctx, false, schematype.FoldKey(name), q.proj.wants("groups"))
		if err != nil || u == nil {
			return 0, nil, err
		}
		return 1, []any{s.userListDoc(r, q, u, groups)}, nil
	}
	dir := directoryOf(ctx)
	total, users, err := page[*ent.UserQuery, predicate.User, user.OrderOption, *ent.User](
		ctx, s.client.User.Query, dir, userKind, q, offset, limit,
		func(ctx context.Context) (int, error) {
			d, err := s.client.Directory.Query().Where(directory.ID(dir)).Select(directory.FieldUserTotal).Only(ctx)
			if err != nil {
				return 0, err
			}
			return d.UserTotal, nil
		}, func(u *ent.User) uuid.UUID { return u.ID })
	if err != nil || len(users) == 0 {
		return total, nil, err
	}
	var groups map[uuid.UUID][]groupRef
	if q.proj.wants("groups") {
		ids := make([]uuid.UUID, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		if groups, err = groupsOf(ctx, s.client, s.dialect, ids...); err != nil {
			return 0, nil, err
		}
	}
	docs := make([]any, len(users))
	for i, u := range users {
		docs[i] = s.userListDoc(r, q, u, groups[u.ID])
	}
	return total, docs, nil
}

// userListDoc is the document of u in a list, as q selects it: its JSON
// written directly when q selects nothing.
func (s *Server) userListDoc(r *http.Request, q *listQuery, u *ent.User, groups []groupRef) any {
	if !q.proj.selects() {
		return json.RawMessage(appendUser(make([]byte, 0, 1024), u, groups, s.baseURL(r)))
	}
	return q.proj.apply(userDoc(u, groups, s.baseURL(r)))
}

// userNameLookup returns the userName a list asks for when it is the
// look-up providers send before creating a user: the filter `userName eq
// "…"` alone, the first page, no sort, no cursor. Its answer is one row
// or none, read by the unique (directory_id, user_name_key) index in one
// statement with the user's groups (readUser), as the filter's compiled
// form compares the folded key (scim/where).
func userNameLookup(q *listQuery, offset, limit int) (string, bool) {
	c, ok := q.filter.(*filter.Compare)
	if !ok || q.anyType || q.cursor != nil || q.sortBy != "" || offset != 0 || limit <= 0 {
		return "", false
	}
	if c.Op != filter.OpEq || c.Value.Kind != filter.KindString || c.Value.Str == "" || c.Attr.Sub != "" ||
		!strings.EqualFold(c.Attr.Name, "userName") || c.Attr.URN != "" && !strings.EqualFold(c.Attr.URN, schema.UserURN) {
		return "", false
	}
	return c.Value.Str, true
}

// userKind is how user lists filter and sort.
var userKind = listKind[predicate.User, user.OrderOption]{
	compile: where.Users, compileAny: where.AnyUsers, order: where.UserOrder, byID: ent.Asc(user.FieldID),
}
