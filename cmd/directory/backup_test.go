package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/pgtest"
)

// TestBackupUnderLoad: a backup taken while writers commit holds every
// write acknowledged before it started, and restores into a database that
// serves them. SQLite: VACUUM INTO; PostgreSQL: pg_dump and pg_restore.
func TestBackupUnderLoad(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := openDB(t, db)
			svc := domain.New(s.Client, s.Dialect)
			pctx := access.PlatformContext(ctx)

			// Four writers create organizations until stopped; acked holds
			// those whose creation returned.
			var (
				mu    sync.Mutex
				acked []uuid.UUID
				errs  []error
			)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						o, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: fmt.Sprintf("Org %d-%d", w, i)})
						mu.Lock()
						if err != nil {
							errs = append(errs, err)
						} else {
							acked = append(acked, o.ID)
						}
						mu.Unlock()
					}
				}()
			}
			waitAcked := func(n int) {
				deadline := time.Now().Add(30 * time.Second)
				for {
					mu.Lock()
					got := len(acked)
					mu.Unlock()
					if got >= n {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("only %d writes acknowledged", got)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			waitAcked(50)
			mu.Lock()
			before := append([]uuid.UUID(nil), acked...)
			mu.Unlock()
			file := filepath.Join(t.TempDir(), "directory.backup")
			var out bytes.Buffer
			err := run(ctx, append([]string{"backup", "--to", file}, db...), &out)
			waitAcked(len(before) + 20) // the writers went on during the backup
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatalf("backup: %v\n%s", err, out.String())
			}
			if len(errs) > 0 {
				t.Fatalf("writers failed during the backup: %v", errs[0])
			}
			if !strings.Contains(out.String(), "backup written to "+file) {
				t.Errorf("backup printed %q", out.String())
			}
			if err := run(ctx, append([]string{"backup", "--to", file}, db...), &out); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Errorf("backup over an existing file: %v", err)
			}

			// Restore into a new database and find every acknowledged write.
			target := []string{"--data-dir", t.TempDir()}
			if name == "postgres" {
				target = []string{"--database-url", pgtest.New(t)}
			}
			out.Reset()
			if err := run(ctx, append([]string{"restore", "--from", file}, target...), &out); err != nil {
				t.Fatalf("restore: %v\n%s", err, out.String())
			}
			r := openDB(t, target)
			n, err := r.Client.Organization.Query().Where(organization.IDIn(before...)).Count(pctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(before) {
				t.Fatalf("the restored database holds %d of the %d organizations acknowledged before the backup", n, len(before))
			}
			total, err := r.Client.Organization.Query().Count(pctx)
			if err != nil || total < len(before) {
				t.Fatalf("restored organizations: %d, %v", total, err)
			}
			// It is a working database: the commands write to it.
			if err := run(ctx, append([]string{"org", "create", "--name", "After restore"}, target...), &bytes.Buffer{}); err != nil {
				t.Fatalf("org create on the restored database: %v", err)
			}
			// A restore over a database in use is refused (PostgreSQL:
			// any database with tables; SQLite: a server holds the lock,
			// see TestServe).
			if name == "postgres" {
				err := run(ctx, append([]string{"restore", "--from", file}, target...), &out)
				if err == nil || !strings.Contains(err.Error(), "new, empty database") {
					t.Fatalf("restore over a database with tables: %v", err)
				}
			} else {
				// A second restore keeps the database it replaces.
				out.Reset()
				if err := run(ctx, append([]string{"restore", "--from", file}, target...), &out); err != nil ||
					!strings.Contains(out.String(), "is kept as") {
					t.Fatalf("second restore: %v\n%s", err, out.String())
				}
				junk := filepath.Join(t.TempDir(), "junk")
				os.WriteFile(junk, []byte("not a database"), 0o600)
				if err := run(ctx, append([]string{"restore", "--from", junk}, target...), &out); err == nil {
					t.Fatal("a file that is not a database was restored")
				}
			}
		})
	}
}

// TestPGConn: pg_dump and pg_restore get the password in their
// environment, never in their arguments.
func TestPGConn(t *testing.T) {
	u, env := pgConn("postgres://dir:s3cr%2Ft@db.internal:5432/directory?sslmode=require")
	if strings.Contains(u, "s3cr") || u != "postgres://dir@db.internal:5432/directory?sslmode=require" {
		t.Errorf("URL %q", u)
	}
	if env[len(env)-1] != "PGPASSWORD=s3cr/t" {
		t.Errorf("environment ends with %q", env[len(env)-1])
	}
	if u, _ := pgConn("postgres://db.internal/directory"); u != "postgres://db.internal/directory" {
		t.Errorf("URL without user: %q", u)
	}
}
