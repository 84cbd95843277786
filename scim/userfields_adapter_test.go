package scim

// Tests of the temporary adapter: delete with userfields_adapter.go.

import (
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
)

func TestApplyFields(t *testing.T) {
	c := ent.NewClient()
	doc := map[string]any{"displayName": "Admins", "externalId": "G-1"}

	create := c.Group.Create().Mutation()
	if err := setGroupFields(create, doc); err != nil {
		t.Fatal(err)
	}
	if v, _ := create.DisplayName(); v != "Admins" {
		t.Errorf("create display_name = %q", v)
	}
	if v, _ := create.ExternalID(); v != "G-1" {
		t.Errorf("create external_id = %q", v)
	}

	update := c.Group.UpdateOneID(uuid.New()).Mutation()
	if err := setGroupFields(update, map[string]any{"displayName": "Admins"}); err != nil {
		t.Fatal(err)
	}
	if !update.ExternalIDCleared() {
		t.Error("update without externalId does not clear external_id")
	}

	user := c.User.Create().Mutation()
	if err := setUser(user, map[string]any{"userName": "u", "emails": []any{map[string]any{"value": "a@b"}}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := user.PrimaryEmail(); v != "a@b" {
		t.Errorf("primary_email = %q", v)
	}
	if _, set := user.GivenName(); set {
		t.Error("create sets an absent given_name")
	}
	if v, _ := user.Active(); !v {
		t.Error("active not set to true")
	}
	updUser := c.User.UpdateOneID(uuid.New()).Mutation()
	if err := setUser(updUser, map[string]any{"userName": "u"}); err != nil {
		t.Fatal(err)
	}
	if !updUser.GivenNameCleared() || !updUser.PrimaryEmailCleared() {
		t.Error("update does not clear absent string fields")
	}
	if err := setUser(updUser, map[string]any{}); err == nil {
		t.Error("blank userName accepted")
	}
}
