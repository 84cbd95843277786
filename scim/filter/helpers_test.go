package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Tree builders keep the expectation tables readable.

const (
	coreUser = "urn:ietf:params:scim:schemas:core:2.0:User"
	entUser  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// at builds an AttrPath from "name" or "name.sub" (no URN).
func at(s string) AttrPath {
	name, sub, _ := strings.Cut(s, ".")
	return AttrPath{Name: name, Sub: sub}
}

func cmp(attr string, op Op, v Value) *Compare { return &Compare{Attr: at(attr), Op: op, Value: v} }
func eq(attr, s string) *Compare               { return cmp(attr, OpEq, StringValue(s)) }
func pr(attr string) *Present                  { return &Present{Attr: at(attr)} }
func and(l, r Expr) *And                       { return &And{Left: l, Right: r} }
func or(l, r Expr) *Or                         { return &Or{Left: l, Right: r} }
func not(x Expr) *Not                          { return &Not{X: x} }
func vp(attr string, f Expr) *ValuePath        { return &ValuePath{Attr: at(attr), Filter: f} }

func num(t testing.TB, raw string) Value {
	t.Helper()
	v, err := NumberValue(raw)
	if err != nil {
		t.Fatalf("NumberValue(%q): %v", raw, err)
	}
	return v
}

// asError asserts that err is a *Error about input and returns it.
func asError(t *testing.T, input string, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v (%T) is not *Error", input, err, err)
	}
	if e.Input != input {
		t.Errorf("%q: Error.Input = %q", input, e.Input)
	}
	if e.Offset < 0 || e.Offset > len(input) {
		t.Errorf("%q: Error.Offset %d out of range", input, e.Offset)
	}
	if e.Msg == "" || !strings.Contains(e.Error(), e.Msg) {
		t.Errorf("%q: bad error text %q", input, e.Error())
	}
	return e
}

func sameTree(a, b any) bool { return reflect.DeepEqual(a, b) }
