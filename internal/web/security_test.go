package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func (e *env) contactCount(t *testing.T) int {
	t.Helper()
	page, err := e.svc.Contacts.FindContacts(sys(), crm.ContactFilter{WithTotal: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	c := e.session(crm.RoleSales)
	form := func(token string) url.Values {
		return url.Values{"first_name": {"Mallory"}, "_csrf": {token}}
	}
	tests := []struct {
		name string
		form url.Values
		hdr  []string
		want int
	}{
		{"no token", form(""), nil, http.StatusForbidden},
		{"wrong token", form("not-the-token"), nil, http.StatusForbidden},
		{"another session's token", form(e.session(crm.RoleSales).csrf), nil, http.StatusForbidden},
		{"cross-site fetch", form(c.csrf), []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"foreign origin", form(c.csrf), []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"header token (htmx)", url.Values{"first_name": {"Hx"}, "_csrf": {""}}, []string{"X-CSRF-Token", c.csrf}, http.StatusSeeOther},
		{"form token", form(c.csrf), nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.contactCount(t)
			rec := e.do(c, http.MethodPost, "/contacts", tt.form, tt.hdr...)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d\n%s", rec.Code, tt.want, rec.Body)
			}
			want := before
			if tt.want == http.StatusSeeOther {
				want++
			}
			if got := e.contactCount(t); got != want {
				t.Errorf("contacts = %d, want %d", got, want)
			}
		})
	}
}

// login posts the login form and returns the response and the new
// session cookie, if any.
func (e *env) login(old *client, email, password string, hdr ...string) (*httptest.ResponseRecorder, *client) {
	rec := e.do(old, http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}, "_csrf": {""}}, hdr...)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				e.t.Errorf("session cookie %+v is not HttpOnly, SameSite=Lax, Path=/", ck)
			}
			s, err := e.svc.Users.FindSession(context.Background(), ck.Value)
			if err != nil {
				e.t.Fatalf("cookie of a session the store does not know: %v", err)
			}
			return rec, &client{token: ck.Value, csrf: s.CSRF}
		}
	}
	return rec, nil
}

func (e *env) signedIn(c *client) bool {
	rec := e.do(c, http.MethodGet, "/", nil)
	return rec.Code == http.StatusOK
}

func TestSessions(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	const email, pw = "sales@example.com", "correct horse battery"

	t.Run("login rotates the session", func(t *testing.T) {
		rec, first := e.login(nil, email, pw)
		if rec.Code != http.StatusSeeOther || first == nil {
			t.Fatalf("login = %d, want 303 with a cookie", rec.Code)
		}
		rec, second := e.login(first, email, pw)
		if second == nil || second.token == first.token {
			t.Fatalf("second login kept the token")
		}
		if e.signedIn(first) {
			t.Errorf("the session replaced by a new login still works")
		}
		if !e.signedIn(second) {
			t.Errorf("the new session does not work")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		rec, c := e.login(nil, "support@example.com", "wrong password!")
		if rec.Code != http.StatusUnauthorized || c != nil {
			t.Fatalf("login = %d, cookie %v; want 401 and none", rec.Code, c)
		}
	})

	t.Run("next is local only", func(t *testing.T) {
		rec := e.do(nil, http.MethodPost, "/login", url.Values{"email": {"support@example.com"}, "password": {pw}, "next": {"//evil.example/x"}})
		if got := rec.Header().Get("Location"); got != "/" {
			t.Errorf("redirect = %q, want /", got)
		}
	})

	t.Run("logout ends the session", func(t *testing.T) {
		_, c := e.login(nil, email, pw)
		rec := e.do(c, http.MethodPost, "/logout", nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("logout = %d", rec.Code)
		}
		if e.signedIn(c) {
			t.Errorf("session works after logout")
		}
		if got := e.do(c, http.MethodGet, "/contacts", nil).Header().Get("Location"); !strings.HasPrefix(got, "/login?next=") {
			t.Errorf("after logout /contacts redirects to %q, want /login?next=…", got)
		}
	})

	t.Run("password change ends other sessions", func(t *testing.T) {
		_, here := e.login(nil, "marketing@example.com", pw)
		_, there := e.login(nil, "marketing@example.com", pw)
		rec := e.do(here, http.MethodPost, "/account/password", url.Values{"old_password": {pw},
			"new_password": {"a much better secret"}, "confirm_password": {"a much better secret"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("change = %d\n%s", rec.Code, rec.Body)
		}
		var fresh *client
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == sessionCookie {
				fresh = &client{token: ck.Value}
			}
		}
		if fresh == nil || !e.signedIn(fresh) {
			t.Errorf("no working fresh session after the change")
		}
		if e.signedIn(here) || e.signedIn(there) {
			t.Errorf("old sessions still work after a password change")
		}
		if rec, _ := e.login(nil, "marketing@example.com", "a much better secret"); rec.Code != http.StatusSeeOther {
			t.Errorf("login with the new password = %d", rec.Code)
		}
	})

	t.Run("password change errors are translated", func(t *testing.T) {
		c := e.session(crm.RoleSupport)
		c.lang = "fa"
		rec := e.do(c, http.MethodPost, "/account/password", url.Values{"old_password": {"nope nope nope"},
			"new_password": {"a much better secret"}, "confirm_password": {"a much better secret"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "گذرواژهٔ فعلی نادرست است") {
			t.Errorf("wrong old password = %d, want 422 with the Persian message\n%s", rec.Code, rec.Body)
		}
	})

	t.Run("security headers", func(t *testing.T) {
		rec := e.do(nil, http.MethodGet, "/login", nil)
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows unsafe sources", csp)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") == "" {
			t.Errorf("missing nosniff or Referrer-Policy: %v", rec.Header())
		}
	})
}

// TestMassAssignment posts fields the forms do not offer and checks none
// of them is stored.
func TestMassAssignment(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	if err := e.svc.Users.SetRoleOwnOnly(sys(), crm.RoleSales, true); err != nil {
		t.Fatal(err)
	}
	sales, admin := e.users[crm.RoleSales], e.users[crm.RoleAdmin]
	c := e.session(crm.RoleSales)
	extra := url.Values{"id": {"4242"}, "owner_id": {itoa(admin.ID)}, "created_at": {"2001-01-01T00:00:00Z"},
		"updated_at": {"2001-01-01"}, "role": {"admin"}, "company_name": {"Injected"}, "owner_name": {"Injected"}}
	form := url.Values{"first_name": {"Eve"}, "email": {"eve@example.com"}}
	for k, v := range extra {
		form[k] = v
	}
	rec := e.do(c, http.MethodPost, "/contacts", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body)
	}
	page, err := e.svc.Contacts.FindContacts(sys(), crm.ContactFilter{Email: "eve@example.com"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("created contact not found: %v", err)
	}
	got := page.Items[0]
	if got.ID == 4242 || got.OwnerID == nil || *got.OwnerID != sales.ID || got.CreatedAt.Year() < 2020 || got.CompanyName != "" {
		t.Errorf("stored %+v: id, owner, created_at or company came from the form", got)
	}

	form.Set("first_name", "Eva")
	rec = e.do(c, http.MethodPost, "/contacts/"+itoa(got.ID), form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("update = %d\n%s", rec.Code, rec.Body)
	}
	after, err := e.svc.Contacts.FindContactByID(sys(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.FirstName != "Eva" || *after.OwnerID != sales.ID || !after.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("after update %+v: owner or created_at changed, or the name did not", after)
	}

	// An admin editing a user can change name, role and language, never
	// the email or password through that form.
	ac := e.session(crm.RoleAdmin)
	rec = e.do(ac, http.MethodPost, "/admin/users/"+itoa(sales.ID), url.Values{"name": {"Sal"}, "role": {"sales"},
		"active": {"true"}, "language": {"en"}, "email": {"hijack@example.com"}, "password": {"0123456789abc"}, "id": {"1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("user update = %d\n%s", rec.Code, rec.Body)
	}
	u, err := e.svc.Users.FindUserByID(sys(), sales.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != sales.Email || u.Name != "Sal" {
		t.Errorf("user after update: email %q name %q", u.Email, u.Name)
	}
	if _, err := e.svc.Users.Authenticate(context.Background(), sales.Email, "correct horse battery"); err != nil {
		t.Errorf("password changed through the user form: %v", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	for i := 0; i < pairBurst; i++ {
		if rec, _ := e.login(nil, "admin@example.com", "guess"+itoa(int64(i))); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d, want 401", i+1, rec.Code)
		}
	}
	rec, c := e.login(nil, "admin@example.com", "correct horse battery", "Accept-Language", "ja")
	if rec.Code != http.StatusTooManyRequests || c != nil {
		t.Fatalf("attempt after the burst = %d, want 429 and no session", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), "ログインの試行が多すぎます") {
		t.Errorf("429 page is not in Japanese:\n%s", rec.Body)
	}
	// Another account from another address is not affected.
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"email": {"sales@example.com"}, "password": {"correct horse battery"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.7:5555"
	if rec := e.send(nil, req); rec.Code != http.StatusSeeOther {
		t.Errorf("other account = %d, want 303", rec.Code)
	}
}

func TestLoginLimiterPerIPAndEviction(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginLimiter()
	l.now = func() time.Time { return now }
	for i := 0; i < ipBurst; i++ {
		if !l.allow("198.51.100.1", "user"+itoa(int64(i))+"@example.com") {
			t.Fatalf("attempt %d refused within the IP burst", i+1)
		}
	}
	if l.allow("198.51.100.1", "fresh@example.com") {
		t.Errorf("IP over its burst was allowed")
	}
	if got := l.size(); got != ipBurst+2 {
		t.Errorf("buckets = %d, want %d", got, ipBurst+2)
	}
	now = now.Add(limiterIdle + 2*time.Minute)
	if !l.allow("203.0.113.9", "late@example.com") {
		t.Errorf("new client refused")
	}
	if got := l.size(); got != 2 {
		t.Errorf("buckets after idle eviction = %d, want 2", got)
	}
}
