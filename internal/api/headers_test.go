package api

import (
	"testing"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestAPIResponseHeaders: every API answer — data, problem, refusal
// before authentication, the OpenAPI document — says nosniff and
// no-store.
func TestAPIResponseHeaders(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	key := e.key("*")
	for _, tc := range []struct{ method, path, key string }{
		{"GET", "/api/v1/contacts", key},
		{"GET", "/api/v1/contacts/999999", key},
		{"GET", "/api/v1/contacts", ""},
		{"GET", "/api/v1/no-such-endpoint", key},
		{"GET", "/api/v1/openapi.json", ""},
	} {
		r := e.send(tc.method, tc.path, nil, tc.key, false)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q", tc.method, tc.path, r.status, got)
		}
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control %q", tc.method, tc.path, r.status, got)
		}
	}
}
