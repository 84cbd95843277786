// Package tableid makes the ids of the data model's rows: UUIDs that say,
// in a few of their bits, which table they belong to. GraphQL's node(id:)
// then knows where to look from the id alone and loads it in one statement
// (through ent, so the privacy rules still apply), where it used to probe
// table after table.
//
// # Layout
//
// An id is a UUID version 8 (RFC 9562 §5.8, "custom") laid out like a
// version 7 (§5.7), with byte 9 naming the table:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          unix_ts_ms                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          unix_ts_ms           |  ver=8 |  12-bit sequence     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|var|  random   |      tag      |            random             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                            random                             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// So in text the tag is the last two hex digits of the fourth group:
// ........-....-8...-..04-............ is a user.
//
// # Why this way
//
//   - Ids stay plain UUIDs: the uuid columns, the SCIM id (which is the
//     id), the GraphQL ID scalar and every client accept them unchanged,
//     and no stored id has to change. Ids made before (version 7, or any
//     other) carry no tag and stay valid: node(id:) probes the tables for
//     them, as before.
//   - They keep version 7's properties: the millisecond time and the
//     in-process sequence come first, so ids sort by creation and B-tree
//     inserts stay local. Of v7's 74 bits after the time, the tag takes 8:
//     54 random bits remain behind the 12-bit sequence, and ids made in
//     one process never repeat (the sequence is monotonic).
//   - The rejected alternatives: a type prefix in GraphQL ids ("User:...")
//     would give GraphQL and SCIM different ids for one record and change
//     every client's ids; a shared table of all ids (ent's universal ids)
//     costs a write per row and a join or statement per look-up; a UNION
//     over the tables would bypass ent and with it the tenant rules.
//   - A tag is a hint about where to look, never an authorisation: the row
//     is still loaded through ent's privacy rules, and an id whose tag was
//     altered is simply not found.
//
// Tags are a registry: a number, once given to a table, is never changed
// nor given to another one; new tables take the next free number.
package tableid

import "github.com/google/uuid"

// Tag names the table of an id. The zero Tag names none.
type Tag uint8

// The tags of the tables with UUID ids. Append only: ids carry these
// numbers for ever.
const (
	Organization    Tag = 1
	Directory       Tag = 2
	DirectoryToken  Tag = 3
	User            Tag = 4
	Group           Tag = 5
	Role            Tag = 6
	APIKey          Tag = 7
	WebhookEndpoint Tag = 8
	WebhookDelivery Tag = 9
)

// version is the UUID version of tagged ids.
const version = 8

// New returns a new id of the table t names. The zero Tag gives a plain
// version 7 UUID, which names no table.
func New(t Tag) uuid.UUID {
	id := uuid.Must(uuid.NewV7())
	if t == 0 {
		return id
	}
	id[6] = version<<4 | id[6]&0x0f
	id[9] = byte(t)
	return id
}

// Of returns the tag of id, and whether it has one: a version 8 UUID of
// the RFC 9562 variant with a non-zero tag byte. Whether the tag names a
// known table is the caller's question.
func Of(id uuid.UUID) (Tag, bool) {
	if id.Version() != version || id.Variant() != uuid.RFC4122 || id[9] == 0 {
		return 0, false
	}
	return Tag(id[9]), true
}
