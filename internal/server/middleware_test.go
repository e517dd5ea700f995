package server

import (
	"net/http/httptest"
	"testing"
)

func TestRouteLabel(t *testing.T) {
	cases := []struct {
		method, path, pattern string
		status                int
		want                  string
	}{
		{"GET", "/contacts/123", "/", 200, "GET /contacts/{id}"},
		{"PATCH", "/api/v1/contacts/77", "/api/v1/", 200, "PATCH /api/v1/contacts/{id}"},
		{"GET", "/api/v1/no-such-thing", "/api/v1/", 404, "unmatched"},
		{"GET", "/static/app.0123abcd.css", "/", 200, "GET /static/*"},
		{"GET", "/healthz", "GET /healthz", 200, "GET /healthz"},
		{"GET", "/a/b/c/d/e/f/g", "/", 403, "unmatched"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Pattern = tc.pattern
		if got := routeLabel(r, tc.status); got != tc.want {
			t.Errorf("%s %s (%d) = %q, want %q", tc.method, tc.path, tc.status, got, tc.want)
		}
	}
}
