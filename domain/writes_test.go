package domain_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/schema"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// refusedOutside checks that err is the guard's refusal of a write made
// outside an operation.
func refusedOutside(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, schema.ErrWriteOutsideDomain) {
		t.Fatalf("%s: err = %v; want the refusal %q", what, err, schema.ErrWriteOutsideDomain)
	}
}

// TestWritesOnlyInOperations: a mutation through a client that reads is
// refused however it is made (as the platform, past the privacy rules, in
// a transaction of the client's own, in a GraphQL mutation's transaction
// outside its operations); the same change through an operation is made.
func TestWritesOnlyInOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		rename := func(c *ent.Client, ctx context.Context, name string) error {
			return c.Organization.UpdateOneID(org.ID).SetName(name).Exec(ctx)
		}

		refusedOutside(t, "as the platform", rename(s.Client, ctx, "Direct"))
		refusedOutside(t, "past the privacy rules", rename(s.Client, privacy.DecisionContext(ctx, privacy.Allow), "Direct"))
		refusedOutside(t, "through the service's client", rename(svc.Client(), ctx, "Direct"))
		refusedOutside(t, "creating", s.Client.Organization.Create().SetName("Other").SetSlug("other").Exec(ctx))
		_, err = s.Client.Organization.Delete().Where(organization.ID(org.ID)).Exec(ctx)
		refusedOutside(t, "deleting", err)

		tx, err := s.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refusedOutside(t, "in a transaction of the client", rename(tx.Client(), ctx, "Direct"))
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		// A GraphQL mutation's transaction: its operations write, the
		// resolver around them does not.
		txCtx, dtx, err := svc.OpenTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refusedOutside(t, "in a caller's transaction, outside its operations", rename(ent.FromContext(txCtx), txCtx, "Direct"))
		joined := "Joined"
		if _, err := svc.UpdateOrganization(txCtx, org.ID, domain.OrganizationChange{Name: &joined}); err != nil {
			t.Fatalf("an operation in a caller's transaction: %v", err)
		}
		if err := dtx.Commit(); err != nil {
			t.Fatal(err)
		}

		if got := s.Client.Organization.GetX(ctx, org.ID).Name; got != joined {
			t.Fatalf("name = %q; want %q (only the operation's write)", got, joined)
		}
		name := "Through the domain"
		if _, err := svc.UpdateOrganization(ctx, org.ID, domain.OrganizationChange{Name: &name}); err != nil {
			t.Fatalf("the same change through the operation: %v", err)
		}
		if got := s.Client.Organization.GetX(ctx, org.ID).Name; got != name {
			t.Fatalf("name = %q; want %q", got, name)
		}

		// The escape hatch of load tools and fixtures.
		if err := rename(s.Client, domain.Seeding(ctx), "Seeded"); err != nil {
			t.Fatalf("seeding: %v", err)
		}
	})
}

// TestEveryTypeGuarded: no entity type can be created, updated or deleted
// outside an operation: every type the client has (found by reflection,
// so a new schema is covered the day it is added) is refused by the guard,
// or by its privacy rules before the guard is reached.
func TestEveryTypeGuarded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		cv := reflect.ValueOf(s.Client).Elem()
		types := 0
		for i := range cv.NumField() {
			f := cv.Field(i)
			if !cv.Type().Field(i).IsExported() || f.Kind() != reflect.Pointer || !f.MethodByName("Delete").IsValid() {
				continue
			}
			types++
			name := cv.Type().Field(i).Name
			guarded := false
			for _, op := range []string{"Create", "Update", "Delete"} {
				b := f.MethodByName(op).Call(nil)[0]
				out := b.MethodByName("Exec").Call([]reflect.Value{reflect.ValueOf(ctx)})
				err, _ := out[len(out)-1].Interface().(error)
				switch {
				case errors.Is(err, schema.ErrWriteOutsideDomain):
					guarded = true
				case errors.Is(err, privacy.Deny):
				default:
					t.Errorf("%s.%s outside an operation: err = %v; want the guard's refusal", name, op, err)
				}
			}
			if !guarded {
				t.Errorf("%s: no write refused by the guard: is schema.DomainWritesMixin in its Mixin()?", name)
			}
		}
		if types < 10 {
			t.Fatalf("found %d entity clients by reflection; the client's shape changed", types)
		}
	})
}

// TestSeedingOnlyInFixtures: domain.Seeding, the way around the guard, is
// called only by the load tool (bench/) and by tests.
func TestSeedingOnlyInFixtures(t *testing.T) {
	const domainPath = "github.com/acme/directory/domain"
	root := ".."
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "ent" || rel == "bench" || (rel != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		local := ""
		if f.Name.Name == "domain" && filepath.ToSlash(filepath.Dir(rel)) == "domain" {
			local = "." // the package itself: a bare Seeding call
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == domainPath {
				local = "domain"
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		if local == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == local && fn.Sel.Name == "Seeding" {
					t.Errorf("%s: calls domain.Seeding: writes outside the load tool and tests go through domain's operations", fset.Position(call.Pos()))
				}
			case *ast.Ident:
				if local == "." && fn.Name == "Seeding" {
					t.Errorf("%s: package domain calls Seeding: its operations are marked already", fset.Position(call.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d files; is the module root %s?", checked, root)
	}
}
