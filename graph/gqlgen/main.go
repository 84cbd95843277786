// Command gqlgen runs gqlgen's code generation as `gqlgen generate` does,
// with gqlgen.yml, but writes an executor that resolves the fields of an
// object, and the elements of a list, one after another on the goroutine
// that asked for them, rather than one goroutine each.
//
// gqlgen starts a goroutine for every field that has a resolver or takes a
// context (ent's edges, User.roles) and for every element of a list of
// objects. A page of 100 users with their groups and roles started about
// 1,700 of them; with their stacks grown and copied they cost more CPU
// than the fields they ran. Nothing gains from them here: entgql's field
// collection loads a page's edges with the page, and what it does not
// load comes in batches (graph/batch.go), so these fields read memory.
// Root fields keep gqlgen's default (concurrent when there are several),
// as each does its own SQL; there are few of them (MaxRootFields).
//
// Panics still turn into field errors: each field is resolved inside
// graphql.ResolveField, which recovers, and each list element inside
// marshalSliceInOrder (graph/generated/inorder.go), which recovers as
// gqlgen's concurrent marshaller does.
//
// `make generate` runs it from the module root:
//
//	go run ./graph/gqlgen
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

// run generates with gqlgen.yml, then rewrites what no plugin reaches.
func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return fmt.Errorf("loading gqlgen.yml: %w", err)
	}
	if cfg.Exec.WorkerLimit != 0 || cfg.OmitPanicHandler {
		// Both are arguments of the concurrent marshaller only; the
		// sequential one would drop them silently.
		return fmt.Errorf("exec.worker_limit and omit_panic_handler are not supported: lists are marshalled in order")
	}
	if err := api.Generate(cfg, api.AddPlugin(inOrder{})); err != nil {
		return fmt.Errorf("generating: %w", err)
	}
	return rewriteExecutor(cfg.Exec.Filename)
}

// inOrder is the gqlgen plugin that turns off concurrent field resolution
// for every object but the root ones. gqlgen runs plugins' GenerateCode
// before its own, on the same data, so the executor it then writes calls
// each field's resolver in line.
type inOrder struct{}

// Name implements plugin.Plugin.
func (inOrder) Name() string { return "inorder" }

// GenerateCode implements plugin.CodeGenerator: it writes nothing, and
// marks the objects.
func (inOrder) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if !o.Root {
			o.DisableConcurrency = true
		}
	}
	return nil
}

// rewrites are the changes made to the executor gqlgen writes, each a
// call in the one form type.gotpl and object.gotpl write it; the generator
// fails if gqlgen writes one in another form, rather than leave it be.
var rewrites = []struct{ name, from, to string }{
	{
		// Every list of objects, with exec.worker_limit 0 and the panic
		// handler on: no setting of gqlgen's marshals one in order.
		name: "graphql.MarshalSliceConcurrently",
		from: "graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, ",
		to:   "marshalSliceInOrder(ctx, len(v), ",
	},
	{
		// Every object makes a group for its @defer fields, computing its
		// path to label them (a dozen allocations an object). Only fields
		// resolved concurrently are ever deferred, and no object's are
		// now (root fields never are): the group stays empty. The served
		// schema has no @defer anyway (servedSchema).
		name: "graphql.NewDeferredGroup",
		from: "deferred := graphql.NewDeferredGroup(ctx)",
		to:   "var deferred graphql.DeferredGroup // empty: no field is deferred (graph/gqlgen)",
	},
}

// rewriteExecutor applies rewrites to the generated executor, after
// checking that no object resolves fields concurrently (which the second
// relies on).
func rewriteExecutor(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return fmt.Errorf("reading the executor: %w", err)
	}
	if bytes.Contains(src, []byte(".ResolveConcurrently(")) {
		return fmt.Errorf("%s: an object still resolves fields concurrently", filename)
	}
	for _, r := range rewrites {
		n, all := bytes.Count(src, []byte(r.from)), bytes.Count(src, []byte(r.name))
		if n == 0 || n != all {
			return fmt.Errorf("%s: %d of %d calls of %s have the expected form %q", filename, n, all, r.name, r.from)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("formatting the executor: %w", err)
	}
	if err := os.WriteFile(filename, out, 0o644); err != nil {
		return fmt.Errorf("writing the executor: %w", err)
	}
	return nil
}
