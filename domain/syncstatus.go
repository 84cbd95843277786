package domain

import (
	"context"
	"time"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/scimrequest"
)

// SyncState says in one word whether a directory's provider can push.
type SyncState string

// The SyncStates, in the order SyncStatus decides them: the first that
// holds is the state.
const (
	SyncDisabled     SyncState = "DISABLED"      // the directory refuses every request
	SyncNoToken      SyncState = "NO_TOKEN"      // the directory has no token to push with
	SyncTokenExpired SyncState = "TOKEN_EXPIRED" // every token of the directory has expired
	SyncFailing      SyncState = "FAILING"       // the latest request failed
	SyncNeverSynced  SyncState = "NEVER_SYNCED"  // no request has come in
	SyncOK           SyncState = "OK"            // the latest request succeeded
)

// SyncStatus is why a directory's pushes fail, or when they last worked.
type SyncStatus struct {
	State SyncState
	// LastSuccessAt is the latest request that succeeded (the request log,
	// else the directory's last authenticated request).
	LastSuccessAt *time.Time
	// LastFailure is the latest failed request of the log, if any.
	LastFailure *ent.ScimRequest
}

// SyncStatus reads d's sync status in three statements: its tokens, its
// latest success and its latest failure (each one index read).
func (s *Service) SyncStatus(ctx context.Context, d *ent.Directory) (*SyncStatus, error) {
	db := s.db(ctx)
	tokens, err := db.DirectoryToken.Query().Where(directorytoken.DirectoryID(d.ID)).
		Select(directorytoken.FieldExpiresAt).All(ctx)
	if err != nil {
		return nil, wrap("read sync status", err)
	}
	latest := func(failed bool) (*ent.ScimRequest, error) {
		r, err := db.ScimRequest.Query().
			Where(scimrequest.DirectoryID(d.ID), scimrequest.Failed(failed)).
			Order(ent.Desc(scimrequest.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return r, err
	}
	ok, err := latest(false)
	if err != nil {
		return nil, wrap("read sync status", err)
	}
	bad, err := latest(true)
	if err != nil {
		return nil, wrap("read sync status", err)
	}
	st := &SyncStatus{LastFailure: bad, LastSuccessAt: d.LastSyncedAt}
	if ok != nil {
		st.LastSuccessAt = &ok.CreatedAt
	}
	st.State = syncState(d, tokens, ok, bad, time.Now())
	return st, nil
}

// syncState decides the state (see the SyncStates).
func syncState(d *ent.Directory, tokens []*ent.DirectoryToken, ok, bad *ent.ScimRequest, now time.Time) SyncState {
	live := 0
	for _, t := range tokens {
		if t.ExpiresAt == nil || now.Before(*t.ExpiresAt) {
			live++
		}
	}
	switch {
	case !d.Enabled:
		return SyncDisabled
	case len(tokens) == 0:
		return SyncNoToken
	case live == 0:
		return SyncTokenExpired
	case bad != nil && (ok == nil || bad.ID > ok.ID):
		return SyncFailing
	case ok == nil && d.LastSyncedAt == nil:
		return SyncNeverSynced
	}
	return SyncOK
}
