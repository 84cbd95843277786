package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
)

// nodeTable is one table an untagged Relay id may belong to: ids are
// UUIDs, unique across tables, so a node's type is the table that holds
// its id.
type nodeTable struct {
	name string
	ids  func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error)
}

// nodeTables are the node types, the most often asked for first: where
// nodeTypes looks for ids made before they carried their table.
var nodeTables = []nodeTable{
	{user.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.User.Query().Where(user.IDIn(ids...)).IDs(ctx)
	}},
	{group.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.Group.Query().Where(group.IDIn(ids...)).IDs(ctx)
	}},
	{role.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.Role.Query().Where(role.IDIn(ids...)).IDs(ctx)
	}},
	{directory.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.Directory.Query().Where(directory.IDIn(ids...)).IDs(ctx)
	}},
	{organization.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.Organization.Query().Where(organization.IDIn(ids...)).IDs(ctx)
	}},
	{directorytoken.Table, func(ctx context.Context, c *ent.Client, ids []uuid.UUID) ([]uuid.UUID, error) {
		return c.DirectoryToken.Query().Where(directorytoken.IDIn(ids...)).IDs(ctx)
	}},
}

// nodeTags are the tables of the node types by the tag their ids carry
// (package tableid). A tagged id of a table not listed here (an API key's,
// say) is no node.
var nodeTags = map[tableid.Tag]string{
	tableid.User:           user.Table,
	tableid.Group:          group.Table,
	tableid.Role:           role.Table,
	tableid.Directory:      directory.Table,
	tableid.Organization:   organization.Table,
	tableid.DirectoryToken: directorytoken.Table,
}

// nodeTypes finds the table of each id. An id made with a tag (every id
// made since ids carry one, see package tableid) names its table: that
// costs no statement, so node(id:) is the one statement that loads the
// row, and nodes(ids:) one per type asked. Loading goes through ent, so
// the privacy rules decide what the viewer sees: another organization's
// id is not found, as is an id that exists nowhere or whose tag lies.
//
// Older ids carry no tag: for them nodeTypes asks table after table, the
// most often asked first, until every one is placed. That is one
// statement per table at most, whatever the number of ids; ids of rows
// the viewer may not see are left out, like ids that exist nowhere.
func nodeTypes(ctx context.Context, c *ent.Client, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	var left []uuid.UUID
	for _, id := range ids {
		tag, ok := tableid.Of(id)
		if !ok {
			left = append(left, id)
			continue
		}
		if t, ok := nodeTags[tag]; ok {
			out[id] = t
		}
	}
	for _, t := range nodeTables {
		if len(left) == 0 {
			break
		}
		found, err := t.ids(ctx, c, left)
		if err != nil {
			return nil, fmt.Errorf("resolve node type in %s: %w", t.name, err)
		}
		for _, id := range found {
			out[id] = t.name
		}
		left = unplaced(left, out)
	}
	return out, nil
}

// unplaced is the ids that have no table yet.
func unplaced(ids []uuid.UUID, placed map[uuid.UUID]string) []uuid.UUID {
	var left []uuid.UUID
	for _, id := range ids {
		if _, ok := placed[id]; !ok {
			left = append(left, id)
		}
	}
	return left
}

// nodeTypeOf is ent's node type resolver over a table map that nodeTypes
// filled beforehand.
func nodeTypeOf(types map[uuid.UUID]string) ent.NodeOption {
	return ent.WithNodeType(func(_ context.Context, id uuid.UUID) (string, error) {
		if t, ok := types[id]; ok {
			return t, nil
		}
		return "", fault.Errorf(fault.NotFound, "no node with id %s", id)
	})
}
