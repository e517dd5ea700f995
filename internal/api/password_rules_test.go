package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestAPIRefusesWeakPasswords: creating a user or setting a password
// through the API refuses common passwords and ones made of the account's
// email, on the password field.
func TestAPIRefusesWeakPasswords(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.key("*")
	for _, pw := range []string{"password123456", "Qwerty123456!", "kim.tanaka2024"} {
		r := e.do("POST", "/api/v1/users", map[string]any{"email": "kim.tanaka@example.com", "role": "sales", "password": pw}, admin)
		if r.status != 422 || !strings.Contains(string(r.body), "body.password") {
			t.Errorf("create with %q: %d %s", pw, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/v1/users", map[string]any{"email": "kim.tanaka@example.com", "name": "Kim Tanaka", "role": "sales", "password": "violet tugboat oxygen"}, admin)
	if r.status != 201 {
		t.Fatalf("create with a good password: %d %s", r.status, r.body)
	}
	var u crm.User
	r.decode(t, &u)
	for _, pw := range []string{"iloveyou123456", "kim.tanaka@example.com", "tanaka123456"} {
		r := e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", u.ID), map[string]any{"password": pw}, admin)
		if r.status != 422 || !strings.Contains(string(r.body), "body.password") {
			t.Errorf("set %q: %d %s", pw, r.status, r.body)
		}
	}
}
