package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// loginFrom posts the login form from the client address ip.
func (e *env) loginFrom(ip, email, password string) int {
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":40000"
	return e.send(nil, req).Code
}

// TestLoginNoLockout: wrong passwords for an account sent from other
// addresses — many more than any per-account burst — never keep its user
// out; successful sign-ins cost nothing; a source that fails too often is
// slowed whatever account it tries, the right password included.
func TestLoginNoLockout(t *testing.T) {
	// The limits live in this process's memory; one engine is enough.
	{
		e := newEnv(t, storetest.Open(t, "sqlite"))
		// A stopped clock: the buckets must not refill while the test runs.
		now := time.Now()
		e.srv.limiter.now = func() time.Time { return now }
		const user, pw = "admin@example.com", "correct horse battery"
		// An attacker spreads 3×pairBurst wrong guesses over addresses.
		for i := range 3 * pairBurst {
			ip := "198.51.100." + itoa(int64(10+i/pairBurst))
			if got := e.loginFrom(ip, user, "wrong-guess-"+itoa(int64(i))); got != http.StatusUnauthorized {
				t.Fatalf("guess %d from %s = %d, want 401", i+1, ip, got)
			}
		}
		// The attacker's addresses are now refused for this account …
		if got := e.loginFrom("198.51.100.10", user, "another guess"); got != http.StatusTooManyRequests {
			t.Errorf("sixth guess from one address = %d, want 429", got)
		}
		// … and the user, from their own address, signs in at once.
		if got := e.loginFrom("203.0.113.50", user, pw); got != http.StatusSeeOther {
			t.Fatalf("the real user after others' failures = %d, want 303 (locked out)", got)
		}
		// Successful sign-ins are not counted: many in a row all pass.
		for i := range 3 * ipBurst {
			if got := e.loginFrom("203.0.113.51", user, pw); got != http.StatusSeeOther {
				t.Fatalf("successful sign-in %d = %d, want 303", i+1, got)
			}
		}
		// A source failing across many accounts exhausts its own bucket:
		// then even a right password from it waits.
		for i := range ipBurst {
			if got := e.loginFrom("192.0.2.99", "nobody"+itoa(int64(i))+"@example.com", "x"); got != http.StatusUnauthorized {
				t.Fatalf("spray %d = %d, want 401", i+1, got)
			}
		}
		if got := e.loginFrom("192.0.2.99", user, pw); got != http.StatusTooManyRequests {
			t.Errorf("right password from an abusive source = %d, want 429", got)
		}
	}
}

// TestLoginFailuresRefill: the buckets refill with time, and a refused
// attempt does not cost a token.
func TestLoginFailuresRefill(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginFailures()
	l.now = func() time.Time { return now }
	for range pairBurst {
		if ok, _ := l.begin("198.51.100.1", "a@example.com"); !ok {
			t.Fatal("refused within the burst")
		}
	}
	for range 10 {
		if ok, _ := l.begin("198.51.100.1", "A@example.com "); ok {
			t.Fatal("allowed past the burst (email not normalised?)")
		}
	}
	now = now.Add(pairEvery)
	ok, succeeded := l.begin("198.51.100.1", "a@example.com")
	if !ok {
		t.Fatal("refused after a refill period")
	}
	succeeded()
	if ok, _ := l.begin("198.51.100.1", "a@example.com"); !ok {
		t.Fatal("a success's token was not given back")
	}
}
