package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestConsoleRefusesWeakPasswords: the user form, the admin's password
// reset and the user's own change all refuse a common password and one
// made of the account's email, with the field's message in the page's
// language; a good password still passes.
func TestConsoleRefusesWeakPasswords(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.session(crm.RoleAdmin)
	sales := e.users[crm.RoleSales]
	messages := map[string]string{
		"en": "too common or too easy to guess",
		"fa": "بیش از حد رایج",
		"ja": "よく使われている",
	}
	personal := map[string]string{
		"en": "must not be made of your email address",
		"fa": "نباید از نشانی ایمیل",
		"ja": "メールアドレス、氏名",
	}
	for lang := range messages {
		admin.lang = lang
		t.Run(lang, func(t *testing.T) {
			check := func(what string, rec interface {
				Result() *http.Response
			}, body string, want string) {
				t.Helper()
				if code := rec.Result().StatusCode; code != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
					t.Errorf("%s: %d, want 422 with %q", what, code, want)
				}
			}
			email := fmt.Sprintf("new.%s@example.com", lang)
			rec := e.do(admin, http.MethodPost, "/admin/users", url.Values{"email": {email}, "role": {"sales"}, "language": {"en"}, "password": {"Password123456"}})
			check("create with a common password", rec, rec.Body.String(), messages[lang])
			rec = e.do(admin, http.MethodPost, "/admin/users", url.Values{"email": {email}, "role": {"sales"}, "language": {"en"}, "password": {"new." + lang + "@example.com"}})
			check("create with the email as password", rec, rec.Body.String(), personal[lang])
			rec = e.do(admin, http.MethodPost, fmt.Sprintf("/admin/users/%d/password", sales.ID), url.Values{"password": {"qwertyuiop1!"}})
			check("reset to a common password", rec, rec.Body.String(), messages[lang])
			// The account's own email, which the reset form does not carry.
			rec = e.do(admin, http.MethodPost, fmt.Sprintf("/admin/users/%d/password", sales.ID), url.Values{"password": {sales.Email + "1"}})
			check("reset to the account's email", rec, rec.Body.String(), personal[lang])

			own := e.session(crm.RoleSupport)
			own.lang = lang
			rec = e.do(own, http.MethodPost, "/account/password", url.Values{"old_password": {"correct horse battery"},
				"new_password": {"iloveyou2026"}, "confirm_password": {"iloveyou2026"}})
			check("own change to a common password", rec, rec.Body.String(), messages[lang])
		})
	}
	rec := e.do(admin, http.MethodPost, "/admin/users", url.Values{"email": {"good@example.com"}, "role": {"sales"}, "language": {"en"}, "password": {"violet tugboat oxygen"}})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("create with a good password = %d\n%s", rec.Code, rec.Body)
	}
}
