package filter_test

import (
	"fmt"

	"github.com/acme/directory/scim/filter"
)

func ExampleParse() {
	e, err := filter.Parse(`userName Eq "bjensen" and not (emails[type eq "work"])`)
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	and := e.(*filter.And)
	cmp := and.Left.(*filter.Compare)
	fmt.Println(cmp.Attr.Name, cmp.Op, cmp.Value.Kind, cmp.Value.Str)
	// Output:
	// userName eq "bjensen" and not (emails[type eq "work"])
	// userName eq string bjensen
}

func ExampleParse_entra() {
	// Entra ID's "[filter].sub op value" form becomes a standard value path.
	e, _ := filter.Parse(`emails[type eq "work"].value eq "bjensen@example.com"`)
	vp := e.(*filter.ValuePath)
	fmt.Println(vp.Attr.Name)
	fmt.Println(vp.Filter)
	// Output:
	// emails
	// type eq "work" and value eq "bjensen@example.com"
}

func ExampleParsePath() {
	p, _ := filter.ParsePath(`emails[type eq "work"].value`)
	fmt.Println(p.Attr.Name, p.Attr.Sub, p.Filter)
	// Output:
	// emails value type eq "work"
}

func ExampleError() {
	_, err := filter.Parse(`userName eq "bjensen`)
	if e, ok := err.(*filter.Error); ok {
		fmt.Println(e.Offset, e.Msg)
	}
	// Output:
	// 12 unterminated string
}
