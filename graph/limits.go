package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/acme/directory/access"
)

// The operation limits. documentLimit runs between parsing and validation
// (validation compares every pair of fields of one response name, which is
// quadratic); the others run after validation and before any resolver:
// shapeLimit (complexity with the page-aware costs of pagedSchema, root
// fields, aliases, introspection fields), depthLimit, pageLimit and
// argLimit. Each walks a fragment once, however often it is spread, so
// that no operation costs more to check than its text is long.

// Fixed bounds (the configurable ones are in Config).
const (
	// maxSameName bounds how many fields of one response name a document
	// may hold, counted as written: validation compares each pair.
	maxSameName = 100
	// maxIntrospectionFields bounds __schema and __type fields in one
	// operation, fragments expanded: each answers with the whole schema
	// or a large part of it.
	maxIntrospectionFields = 5
	// maxVariableObjects bounds the input objects in an operation's
	// variables, all variables together: checking one against its input
	// type costs a pass over all the type's fields (UserWhereInput has
	// hundreds), before any other limit can look at it.
	maxVariableObjects = 1000
	// codeTooComplex is the code of every refusal for the operation's size
	// or shape; the message says which limit.
	codeTooComplex = "COMPLEXITY_LIMIT_EXCEEDED"
)

// documentLimit refuses, before validation, documents that repeat one
// response name more than maxSameName times. It parses the query itself
// (linear, and bounded by the token limit), unless the query cache already
// holds it, that is, it passed before.
type documentLimit struct {
	tokens int
	cache  graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (documentLimit) ExtensionName() string { return "DocumentLimit" }

// Validate implements graphql.HandlerExtension.
func (documentLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (d documentLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	objects := 0
	for _, name := range slices.Sorted(maps.Keys(params.Variables)) {
		if objects = countObjects(params.Variables[name], objects); objects > maxVariableObjects {
			return limitError(nil, "$"+name, "$%s: the variables hold more than %d input objects",
				name, maxVariableObjects)
		}
	}
	if _, ok := d.cache.Get(ctx, params.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, d.tokens)
	if err != nil {
		return nil // gqlgen parses it again and reports the error
	}
	counts := map[string]int{}
	var f *ast.Field
	for _, op := range doc.Operations {
		if f = countNames(op.SelectionSet, counts); f != nil {
			break
		}
	}
	for _, frag := range doc.Fragments {
		if f != nil {
			break
		}
		f = countNames(frag.SelectionSet, counts)
	}
	if f == nil {
		return nil
	}
	e := gqlerror.ErrorPosf(f.Position, "the document selects %q more than %d times", f.Alias, maxSameName)
	errcode.Set(e, codeTooComplex)
	return e
}

// countObjects adds the JSON objects in v to n, stopping once over
// maxVariableObjects.
func countObjects(v any, n int) int {
	switch v := v.(type) {
	case map[string]any:
		n++
		for _, e := range v {
			if n > maxVariableObjects {
				break
			}
			n = countObjects(e, n)
		}
	case []any:
		for _, e := range v {
			if n > maxVariableObjects {
				break
			}
			n = countObjects(e, n)
		}
	}
	return n
}

// countNames counts the response names under set into counts, as written
// (fragments are counted where they are defined), and returns the first
// field whose name goes over maxSameName.
func countNames(set ast.SelectionSet, counts map[string]int) *ast.Field {
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if counts[name]++; counts[name] > maxSameName {
				return s
			}
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		}
		if f := countNames(sub, counts); f != nil {
			return f
		}
	}
	return nil
}

// shapeLimit measures the operation, fragments expanded but each walked
// once, and refuses it over a limit: its complexity (gqlgen's costs: one
// per field plus its children, through the schema's complexity functions,
// which pagedSchema makes page-aware; introspection fields count too),
// its distinct root fields, its aliases and its introspection fields.
type shapeLimit struct {
	maxComplexity, maxRootFields, maxAliases int
	es                                       graphql.ExecutableSchema
	// scan prices the where arguments that read every row (cost.go);
	// nil: they cost nothing more.
	scan *scanPricer
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &shapeLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (*shapeLimit) ExtensionName() string { return "ShapeLimit" }

// Validate implements graphql.HandlerExtension; it keeps the schema, whose
// complexity functions price the fields.
func (l *shapeLimit) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

// MutateOperationContext measures the operation and refuses it over a
// limit.
func (l *shapeLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	w := shapeWalker{ctx: ctx, es: l.es, schema: l.es.Schema(), vars: oc.Variables,
		maxNames: l.maxRootFields, memo: map[string]*shape{}, scan: l.scan}
	sh := w.set(oc.Operation.SelectionSet)
	setCost(ctx, sh.cost)
	oc.Stats.SetExtension(opScanExtension, opScan{cost: sh.cost, scans: w.scans})
	var err *gqlerror.Error
	switch pos := oc.Operation.Position; {
	case len(sh.names) > l.maxRootFields:
		err = gqlerror.ErrorPosf(pos, "operation selects more than %d root fields", l.maxRootFields)
	case sh.aliases > l.maxAliases:
		err = gqlerror.ErrorPosf(pos, "operation has %d aliases, fragments expanded, more than the limit of %d",
			sh.aliases, l.maxAliases)
	case sh.introspection > maxIntrospectionFields:
		err = gqlerror.ErrorPosf(pos, "operation has %d __schema and __type fields, more than the limit of %d",
			sh.introspection, maxIntrospectionFields)
	case sh.cost > l.maxComplexity:
		err = gqlerror.ErrorPosf(pos, "operation has complexity %d%s, which exceeds the limit of %d",
			sh.cost, describeScan(sh.scan), l.maxComplexity)
	}
	if err != nil {
		errcode.Set(err, codeTooComplex)
	}
	return err
}

// shape is what shapeLimit measures of a selection set.
type shape struct {
	cost, aliases, introspection int
	// scan is the part of cost that prices scans (scanPricer), counted
	// as written, for the refusal's message.
	scan int
	// names are the distinct response names of the set's own level,
	// through fragments; no more than maxNames+1 are kept.
	names map[string]struct{}
}

// add adds o to s, saturating.
func (s *shape) add(o *shape, maxNames int) {
	s.cost = safeAdd(s.cost, o.cost)
	s.scan = safeAdd(s.scan, o.scan)
	s.aliases = safeAdd(s.aliases, o.aliases)
	s.introspection = safeAdd(s.introspection, o.introspection)
	for n := range o.names {
		s.addName(n, maxNames)
	}
}

// addName records a response name, up to one more than maxNames.
func (s *shape) addName(n string, maxNames int) {
	if len(s.names) <= maxNames {
		s.names[n] = struct{}{}
	}
}

// shapeWalker measures selection sets, each fragment once (memo):
// validation has ruled out cycles, and the variables are the same at every
// spread, so a fragment measures the same wherever it is spread.
type shapeWalker struct {
	ctx      context.Context
	es       graphql.ExecutableSchema
	schema   *ast.Schema
	vars     map[string]any
	maxNames int
	memo     map[string]*shape
	scan     *scanPricer
	// scans: some where argument of the operation scans; totals are the
	// rows it may read, read on the first such argument.
	scans  bool
	totals *totals
}

// set measures one selection set.
func (w *shapeWalker) set(set ast.SelectionSet) *shape {
	out := &shape{names: map[string]struct{}{}}
	typed := map[string]*shape{}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out.addName(s.Alias, w.maxNames)
			child := w.set(s.SelectionSet)
			out.aliases = safeAdd(out.aliases, child.aliases)
			if s.Alias != "" && s.Alias != s.Name {
				out.aliases = safeAdd(out.aliases, 1)
			}
			out.introspection = safeAdd(out.introspection, child.introspection)
			if s.Name == "__schema" || s.Name == "__type" {
				out.introspection = safeAdd(out.introspection, 1)
			}
			cost, scan := w.fieldCost(s, child.cost)
			out.cost = safeAdd(out.cost, cost)
			out.scan = safeAdd(out.scan, safeAdd(scan, child.scan))
		case *ast.InlineFragment:
			w.fragment(out, typed, s.TypeCondition, w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			sub, ok := w.memo[s.Name]
			if !ok {
				sub = w.set(s.Definition.SelectionSet)
				w.memo[s.Name] = sub
			}
			w.fragment(out, typed, s.Definition.TypeCondition, sub)
		}
	}
	// An object is of one type: of the fragments on object types (one
	// per event type under an Event, say), only the dearest type's run.
	dearest := &shape{}
	for _, sh := range typed {
		if sh.cost > dearest.cost {
			dearest = sh
		}
	}
	out.cost = safeAdd(out.cost, dearest.cost)
	out.scan = safeAdd(out.scan, dearest.scan)
	return out
}

// fragment adds a fragment's shape, sub, to out; the cost of one on an
// object type goes to typed, by type, for set to take the dearest.
func (w *shapeWalker) fragment(out *shape, typed map[string]*shape, cond string, sub *shape) {
	def := w.schema.Types[cond]
	if def == nil || def.Kind != ast.Object {
		out.add(sub, w.maxNames)
		return
	}
	if typed[cond] == nil {
		typed[cond] = &shape{}
	}
	typed[cond].cost = safeAdd(typed[cond].cost, sub.cost)
	typed[cond].scan = safeAdd(typed[cond].scan, sub.scan)
	rest := *sub
	rest.cost, rest.scan = 0, 0
	out.add(&rest, w.maxNames)
}

// fieldCost prices one field as gqlgen's complexity calculator does: the
// schema's complexity function when it has one, else one plus the
// children; a field of an interface costs what it costs on the dearest
// implementation. To that it adds the price of its where arguments' scans
// (scanPricer), also returned alone.
func (w *shapeWalker) fieldCost(f *ast.Field, child int) (cost, scan int) {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return safeAdd(1, child), 0
	}
	args := f.ArgumentMap(w.vars)
	scan, scans := w.scan.scanCost(f, args, f.ObjectDefinition.Name == "Query", w.rows)
	w.scans = w.scans || scans
	if f.ObjectDefinition.Kind != ast.Interface {
		return safeAdd(w.typedCost(f.ObjectDefinition.Name, f.Name, child, args), scan), scan
	}
	dearest := 0
	for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
		dearest = max(dearest, w.typedCost(t.Name, f.Name, child, args))
	}
	return safeAdd(dearest, scan), scan
}

// rows returns the totals that price scans, read once per operation.
func (w *shapeWalker) rows() totals {
	if w.totals == nil {
		t := w.scan.rowsFor(w.ctx)
		w.totals = &t
	}
	return *w.totals
}

// typedCost prices a field of a concrete type.
func (w *shapeWalker) typedCost(typeName, field string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, typeName, field, child, args); ok && c >= 1 {
		return c
	}
	return safeAdd(1, child)
}

// safeAdd adds non-negative costs, saturating at math.MaxInt.
func safeAdd(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// depthLimit refuses operations whose fields nest deeper than max.
// Introspection fields do not count: GraphiQL's schema query is deep by
// nature and is switched off with introspection.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (depthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation and refuses it when too
// deep.
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	depth := selectionDepth(oc.Operation.SelectionSet, map[string]int{})
	if depth <= d.max {
		return nil
	}
	err := gqlerror.ErrorPosf(oc.Operation.Position,
		"operation nests fields %d deep, more than the limit of %d", depth, d.max)
	errcode.Set(err, "DEPTH_LIMIT_EXCEEDED")
	return err
}

// selectionDepth is the depth of the deepest field under set. Fragments
// are measured once each (memo), so a fragment used many times costs
// nothing more; validation has already ruled out cycles.
func selectionDepth(set ast.SelectionSet, memo map[string]int) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, memo)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, memo)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			var ok bool
			if d, ok = memo[s.Name]; !ok {
				d = selectionDepth(s.Definition.SelectionSet, memo)
				memo[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// pageLimit checks every connection of an operation before it runs: first
// and last within [0, max], not both, and one of them whenever the
// connection's edges are selected, so no response holds an unbounded list.
type pageLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (pageLimit) ExtensionName() string { return "PageLimit" }

// Validate implements graphql.HandlerExtension.
func (pageLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation at its first bad connection.
func (p pageLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return p.check(oc.Operation.SelectionSet, oc.Variables, map[string]bool{})
}

func (p pageLimit) check(set ast.SelectionSet, vars map[string]any, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if err = p.checkField(s, vars); err == nil {
				err = p.check(s.SelectionSet, vars, seen)
			}
		case *ast.InlineFragment:
			err = p.check(s.SelectionSet, vars, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				err = p.check(s.Definition.SelectionSet, vars, seen)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkField checks one field's pagination arguments, if it is a
// connection.
func (p pageLimit) checkField(f *ast.Field, vars map[string]any) *gqlerror.Error {
	if !isConnection(f.Definition) {
		return nil
	}
	args := f.ArgumentMap(vars)
	first, hasFirst := intArg(args["first"])
	last, hasLast := intArg(args["last"])
	switch {
	case hasFirst && hasLast:
		return limitError(f.Position, "last", "%s: pass first or last, not both", f.Alias)
	case hasFirst && (first < 0 || first > int64(p.max)):
		return limitError(f.Position, "first", "%s: first must be between 0 and %d", f.Alias, p.max)
	case hasLast && (last < 0 || last > int64(p.max)):
		return limitError(f.Position, "last", "%s: last must be between 0 and %d", f.Alias, p.max)
	case !hasFirst && !hasLast && !defaultPaged[f.Definition.Type.Name()] &&
		selectsField(f.SelectionSet, "edges", map[string]bool{}):
		return limitError(f.Position, "first",
			"%s: first or last (at most %d) is required to list edges", f.Alias, p.max)
	}
	return nil
}

// defaultPaged are the connections whose page has a size when neither
// first nor last is given (the events query's: the page size), so they
// need neither to list edges.
var defaultPaged = map[string]bool{"EventConnection": true}

// isConnection reports whether a field is a Relay connection with first
// and last arguments.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil && def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection")
}

// selectsField reports whether set selects name, directly or through
// fragments, each fragment looked at once.
func selectsField(set ast.SelectionSet, name string, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selectsField(s.SelectionSet, name, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if selectsField(s.Definition.SelectionSet, name, seen) {
					return true
				}
			}
		}
	}
	return false
}

// intArg reads an Int argument as given inline (int64) or through a
// variable (json.Number or a Go integer); absent or null is not given.
func intArg(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(math.Round(n)), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// pagedSchema prices a paginated field as its page size times the cost of
// one element, so the complexity limit sees what a query really loads.
// Everything else keeps gqlgen's default of one plus the children.
type pagedSchema struct {
	graphql.ExecutableSchema
}

// Complexity implements graphql.ExecutableSchema.
func (s pagedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	n, ok := intArg(args["first"])
	if !ok {
		n, ok = intArg(args["last"])
	}
	if ok && n > 1 {
		if child > 0 && n > int64(math.MaxInt32/child) {
			return math.MaxInt32, true // saturate rather than overflow
		}
		return 1 + int(n)*child, true
	}
	return s.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// noIntrospection refuses schema queries (__schema, __type) up front, to
// everyone or (readOnly) to keys that cannot write, with a code the caller
// can act on; gqlgen alone would fail them with an uncoded error at
// execution. __typename stays allowed: clients need it to read unions and
// interfaces.
type noIntrospection struct {
	// readOnly limits the refusal to keys that cannot write.
	readOnly bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

// ExtensionName implements graphql.HandlerExtension.
func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

// Validate implements graphql.HandlerExtension.
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation if it introspects and the
// caller may not.
func (n noIntrospection) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if n.readOnly && access.FromContext(ctx).CanWrite() {
		return nil
	}
	if f := findField(oc.Operation.SelectionSet, map[string]bool{}, "__schema", "__type"); f != nil {
		msg := "introspection is disabled on this server"
		if n.readOnly {
			msg = "introspection is disabled for read-only keys"
		}
		err := gqlerror.ErrorPosf(f.Position, "%s", msg)
		errcode.Set(err, "INTROSPECTION_DISABLED")
		return err
	}
	return nil
}

// findField returns the first field under set named one of names.
func findField(set ast.SelectionSet, seen map[string]bool, names ...string) *ast.Field {
	for _, sel := range set {
		var found *ast.Field
		switch s := sel.(type) {
		case *ast.Field:
			if slices.Contains(names, s.Name) {
				return s
			}
			found = findField(s.SelectionSet, seen, names...)
		case *ast.InlineFragment:
			found = findField(s.SelectionSet, seen, names...)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				found = findField(s.Definition.SelectionSet, seen, names...)
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}

// argLimit bounds every argument of every field before any resolver runs,
// from literals and variables alike (after coercion): each string, at any
// depth, is at most bytes long and holds no NUL (neither database stores
// one the same way: PostgreSQL refuses it, SQLite keeps it), and each
// list argument holds at most list values (a list of strings becomes one
// SQL parameter each). Where arguments (input objects of a type named
// ...WhereInput) are bounded further before any SQL is built from them:
// their conditions (each field set, at any depth) and the values of their
// lists taken together. Databases refuse what goes past them with errors
// of their own (SQLite's expression depth and variable count, PostgreSQL's
// 65,535 parameters), and a condition no stored value can meet costs a
// scan for nothing.
type argLimit struct {
	nodes, values, bytes, list int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = argLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (argLimit) ExtensionName() string { return "ArgumentLimit" }

// Validate implements graphql.HandlerExtension.
func (argLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext checks the arguments of every field, each
// fragment once.
func (l argLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return l.check(oc.Operation.SelectionSet, oc.Variables, map[string]bool{})
}

func (l argLimit) check(set ast.SelectionSet, vars map[string]any, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			if err = l.checkField(s, vars); err == nil {
				err = l.check(s.SelectionSet, vars, seen)
			}
		case *ast.InlineFragment:
			err = l.check(s.SelectionSet, vars, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				err = l.check(s.Definition.SelectionSet, vars, seen)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkField checks the arguments of one field.
func (l argLimit) checkField(f *ast.Field, vars map[string]any) *gqlerror.Error {
	if f.Definition == nil || len(f.Definition.Arguments) == 0 {
		return nil
	}
	args := f.ArgumentMap(vars)
	for _, def := range f.Definition.Arguments {
		v, ok := args[def.Name]
		if !ok || v == nil {
			continue
		}
		w := argWalk{limit: l, pos: f.Position, where: strings.HasSuffix(def.Type.Name(), "WhereInput")}
		if err := w.walk(v, def.Name); err != nil {
			return err
		}
	}
	return nil
}

// argWalk counts one argument against the limits.
type argWalk struct {
	limit argLimit
	pos   *ast.Position
	// where: the argument is a where input, whose conditions and list
	// values (all lists together) are counted.
	where         bool
	nodes, values int
}

// walk checks v, found at path, and what it holds. Object fields are
// walked in name order, so the same input is refused at the same place.
func (w *argWalk) walk(v any, path string) *gqlerror.Error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if w.where {
				if w.nodes++; w.nodes > w.limit.nodes {
					root, _, _ := strings.Cut(path, ".")
					return limitError(w.pos, root, "%s: more than %d conditions", root, w.limit.nodes)
				}
			}
			if err := w.walk(v[k], path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if !w.where && len(v) > w.limit.list {
			return limitError(w.pos, path, "%s: more than %d values", path, w.limit.list)
		}
		for i, e := range v {
			if _, ok := e.(map[string]any); ok {
				if err := w.walk(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
				continue
			}
			if w.where {
				if w.values++; w.values > w.limit.values {
					return limitError(w.pos, path, "%s: more than %d values in the lists of one where", path, w.limit.values)
				}
			}
			if err := w.walk(e, path); err != nil {
				return err
			}
		}
	case string:
		if len(v) > w.limit.bytes {
			return limitError(w.pos, path, "%s: longer than %d bytes", path, w.limit.bytes)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return limitError(w.pos, path, "%s: holds a NUL character (\\u0000)", path)
		}
	}
	return nil
}
