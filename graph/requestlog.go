package graph

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/model"
)

// A request log cursor is entgql's cursor (the Cursor scalar of every
// connection) whose id holds the entry's id in its last eight bytes and
// zeros in its first eight: no UUID this server makes starts with eight
// zero bytes (they are time-ordered), so another connection's cursor is
// refused, not read as a position.

// requestCursor is the cursor of the request log entry id.
func requestCursor(id int64) entgql.Cursor[uuid.UUID] {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], uint64(id))
	return entgql.Cursor[uuid.UUID]{ID: u}
}

// requestBefore is the entry id of an after cursor (0: none).
func requestBefore(c *entgql.Cursor[uuid.UUID]) (int64, error) {
	if c == nil {
		return 0, nil
	}
	id := int64(binary.BigEndian.Uint64(c.ID[8:]))
	if binary.BigEndian.Uint64(c.ID[:8]) != 0 || c.Value != nil || id <= 0 {
		return 0, fault.FieldErrorf("after", "is not a cursor of the request log")
	}
	return id, nil
}

// directoryRequests is a page of d's request log.
func (r *Resolver) directoryRequests(ctx context.Context, d *ent.Directory, first *int, after *entgql.Cursor[uuid.UUID], f domain.RequestFilter) (*model.ScimRequestConnection, error) {
	before, err := requestBefore(after)
	if err != nil {
		return nil, err
	}
	f.Before, f.First = before, r.cfg.MaxPageSize
	if first != nil {
		if *first < 0 {
			return nil, fault.FieldErrorf("first", "must not be negative")
		}
		f.First = min(f.First, *first)
	}
	out := &model.ScimRequestConnection{Edges: []*model.ScimRequestEdge{}, PageInfo: &entgql.PageInfo[uuid.UUID]{}}
	if f.First == 0 {
		return out, nil
	}
	rs, more, err := r.domain.Requests(ctx, d.ID, f)
	if err != nil {
		return nil, err
	}
	for _, q := range rs {
		out.Edges = append(out.Edges, &model.ScimRequestEdge{Cursor: requestCursor(q.ID), Node: q})
	}
	if len(rs) > 0 {
		start, end := requestCursor(rs[0].ID), requestCursor(rs[len(rs)-1].ID)
		out.PageInfo.StartCursor, out.PageInfo.EndCursor = &start, &end
	}
	out.PageInfo.HasNextPage, out.PageInfo.HasPreviousPage = more, after != nil
	return out, nil
}

// syncStatus is d's sync status as the API shows it.
func (r *Resolver) syncStatus(ctx context.Context, d *ent.Directory) (*model.DirectorySyncStatus, error) {
	st, err := r.domain.SyncStatus(ctx, d)
	if err != nil {
		return nil, err
	}
	out := &model.DirectorySyncStatus{State: model.DirectorySyncState(st.State),
		LastSuccessAt: st.LastSuccessAt, LastFailure: st.LastFailure}
	if f := st.LastFailure; f != nil {
		out.LastFailureAt = &f.CreatedAt
		e := failureWords(f)
		out.LastError = &e
	}
	out.Summary = syncSummary(st.State, out.LastError)
	return out, nil
}

// failureWords is a failed request as its provider saw it: "401
// token_expired: this bearer token has expired ...".
func failureWords(f *ent.ScimRequest) string {
	s := strconv.Itoa(f.Status)
	switch {
	case f.Refusal != nil:
		s += " " + *f.Refusal
	case f.ScimType != nil:
		s += " " + *f.ScimType
	}
	if f.Detail != nil {
		s += ": " + *f.Detail
	}
	return s
}

// syncSummary says a sync state in one sentence.
func syncSummary(state domain.SyncState, lastError *string) string {
	switch state {
	case domain.SyncDisabled:
		return "Pushes are refused: this directory is disabled."
	case domain.SyncNoToken:
		return "Pushes are refused: this directory has no token. Rotate one and give it to the provider."
	case domain.SyncTokenExpired:
		return "Pushes are refused: every token of this directory has expired. Rotate one and give it to the provider."
	case domain.SyncFailing:
		if lastError != nil {
			return "The last push failed: " + strings.TrimSuffix(*lastError, ".") + "."
		}
		return "The last push failed."
	case domain.SyncNeverSynced:
		return "No push has arrived yet: give the provider the SCIM endpoint and a token."
	}
	return "Pushes arrive and succeed."
}

// requestRefusal is a request's refusal in the API's upper case.
func requestRefusal(q *ent.ScimRequest) (*model.ScimRefusal, error) {
	if q.Refusal == nil {
		return nil, nil
	}
	v := model.ScimRefusal(strings.ToUpper(*q.Refusal))
	if !v.IsValid() {
		return nil, fmt.Errorf("request log: unknown refusal %q", *q.Refusal)
	}
	return &v, nil
}

// eventCounts are a request's event counts, by type.
func eventCounts(q *ent.ScimRequest) []*model.ScimRequestEventCount {
	out := make([]*model.ScimRequestEventCount, 0, len(q.Changes))
	for _, t := range slices.Sorted(maps.Keys(q.Changes)) {
		out = append(out, &model.ScimRequestEventCount{Type: t, Count: q.Changes[t]})
	}
	return out
}
