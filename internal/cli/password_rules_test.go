package cli

import (
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestUserAddRefusesWeakPasswords: `ecrm user add` names the password
// field when the password is common or made of the email.
func TestUserAddRefusesWeakPasswords(t *testing.T) {
	env := map[string]string{"ECRM_DB": storetest.DSN(t, "sqlite")}
	for _, tc := range []struct{ pw, want string }{
		{"password123456\n", "password: This password is too common"},
		{"owner@shop.example\n", "password: The password must not be made of your email address"},
	} {
		if _, errs, code := run(t, env, tc.pw, "user", "add", "--email", "owner@shop.example", "--role", "admin", "--password-stdin"); code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: code %d, %q", tc.pw, code, errs)
		}
	}
	if out, errs, code := run(t, env, "violet tugboat oxygen\n", "user", "add", "--email", "owner@shop.example", "--role", "admin", "--password-stdin"); code != 0 {
		t.Errorf("good password: %d %q %q", code, out, errs)
	}
}
