package domain

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
)

// RecordCredentialUse records that v's credential was used at at: an API
// key's last_used_at, or a directory token's last_used_at and its
// directory's last_synced_at (a portal session, or a viewer of no credential, records
// no use). It is the
// service's own bookkeeping, not a change the viewer makes: it runs as the
// platform whatever the viewer in ctx (a read-only key's use is recorded
// too), records no event, and a credential or directory deleted meanwhile
// is left alone. One transaction; the caller decides how often (package
// auth throttles it) and whether a request's end cuts it short.
func (s *Service) RecordCredentialUse(ctx context.Context, v *access.Viewer, at time.Time) error {
	if v == nil || v.Actor != "" || v.CredentialID == uuid.Nil {
		return nil
	}
	ctx = access.PlatformContext(ctx)
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		if v.Scope != access.Provisioner {
			return tx.APIKey.Update().Where(apikey.ID(v.CredentialID)).SetLastUsedAt(at).Exec(ctx)
		}
		if err := tx.DirectoryToken.Update().Where(directorytoken.ID(v.CredentialID)).SetLastUsedAt(at).Exec(ctx); err != nil {
			return err
		}
		return tx.Directory.Update().Where(directory.ID(v.DirectoryID)).SetLastSyncedAt(at).Exec(ctx)
	})
	return wrap("record credential use", err)
}
