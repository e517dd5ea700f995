package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestRouteLabel(t *testing.T) {
	cases := []struct {
		method, path, pattern, inner string
		want                         string
	}{
		{"GET", "/contacts/123", "/", "GET /contacts/{id}", "GET /contacts/{id}"},
		{"PATCH", "/api/v1/contacts/77", "/api/v1/", "PATCH /api/v1/contacts/{id}", "PATCH /api/v1/contacts/{id}"},
		{"GET", "/api/v1/no-such-thing", "/api/v1/", "", unmatched},
		{"GET", "/no/such/page", "/", "", unmatched},
		{"GET", "/healthz", "GET /healthz", "", "GET /healthz"},
		{"POST", "/t/collect", "POST /t/collect", "", "POST /t/collect"},
		{"CONNECT", "/x", "/", "/x/", unmatched},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Pattern = tc.pattern
		if got := routeLabel(r, tc.inner); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// metricSeries returns the label sets of ecrm_http_requests_total that
// /metrics reports, and the size of the document.
func metricSeries(t *testing.T, h http.Handler, token string) (map[string]bool, int) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	series := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(rec.Body.String()))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "ecrm_http_requests_total{") {
			series[line[:strings.LastIndexByte(line, '}')+1]] = true
		}
	}
	return series, rec.Body.Len()
}

// randomPath is what a scanner sends: known prefixes with random tails,
// numeric ids, percent-encoded bytes that are not UTF-8, and deep paths.
func randomPath(rng *rand.Rand) string {
	prefixes := []string{"/api/v1/", "/api/v1/contacts/", "/f/confirm/", "/p/", "/s/", "/contacts/", "/", "/static/", "/t/", "/admin/webhooks/"}
	var b strings.Builder
	b.WriteString(prefixes[rng.IntN(len(prefixes))])
	for n := 1 + rng.IntN(4); n > 0; n-- {
		switch rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "%d", rng.Int64())
		case 1:
			fmt.Fprintf(&b, "%%%02x%%%02x", 0x80+rng.IntN(0x80), rng.IntN(0x100)) // mostly invalid UTF-8
		case 2:
			fmt.Fprintf(&b, "x%x", rng.Uint32())
		default:
			b.WriteString("a/b")
		}
		if rng.IntN(2) == 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// TestMetricsRandomPathsAddNoSeries sends 10,000 requests to random paths
// (invalid UTF-8 included) with random methods and no credentials: none
// may panic (a 500), and none may add a series to /metrics once the
// possible (route, status) pairs have been seen — the labels are route
// patterns from the route tables, never the path.
func TestMetricsRandomPathsAddNoSeries(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	rng := rand.New(rand.NewPCG(9, 13))
	methods := []string{"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"}
	send := func(n int) {
		for range n {
			method, path := methods[rng.IntN(len(methods))], randomPath(rng)
			req := httptest.NewRequest(method, "http://ecrm.test"+path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s = %d: %s", method, path, rec.Code, rec.Body.String())
			}
		}
	}
	routes := func(series map[string]bool) map[string]bool {
		r := map[string]bool{}
		for s := range series {
			r[s[:strings.Index(s, ",status=")]] = true
		}
		return r
	}
	send(2000)
	metricSeries(t, h, "") // the scrape itself is a route
	before, sizeBefore := metricSeries(t, h, "")
	send(10000)
	after, sizeAfter := metricSeries(t, h, "")
	// Statuses may still move (the public pages' rate limits start to
	// answer 429 after a while), routes may not.
	old := routes(before)
	for r := range routes(after) {
		if !old[r] {
			t.Errorf("new route label after random paths: %s", r)
		}
	}
	if len(after) > 60 {
		t.Errorf("%d series of ecrm_http_requests_total, want a bounded handful", len(after))
	}
	for s := range after {
		if strings.Contains(s, "%") || strings.Contains(s, "\\x") {
			t.Errorf("raw path in a label: %s", s)
		}
	}
	t.Logf("%d series; /metrics %d → %d bytes", len(after), sizeBefore, sizeAfter)
}

// TestMetricsLabelRoutesOfBothSurfaces checks that requests that are
// served are labelled by their console or API route pattern (huma's
// operations go through the API's ServeMux, so the pattern is there), and
// that a request refused before routing (no API key) still carries the
// pattern of the operation it asked for.
func TestMetricsLabelRoutesOfBothSurfaces(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	_, key, err := db.CreateAPIKey(storetest.System(), "shop", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(storetest.System(), crm.ContactInput{FirstName: ptrTo("Sara")})
	if err != nil {
		t.Fatal(err)
	}
	do := func(path, auth string) {
		req := httptest.NewRequest("GET", path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	do(fmt.Sprintf("/api/v1/contacts/%d", c.ID), key)
	do("/api/v1/contacts/5", "")
	do("/login", "")
	do("/contacts/7", "")
	series, _ := metricSeries(t, h, "")
	for _, want := range []string{
		`ecrm_http_requests_total{route="GET /api/v1/contacts/{id}",status="200"}`,
		`ecrm_http_requests_total{route="GET /api/v1/contacts/{id}",status="401"}`,
		`ecrm_http_requests_total{route="GET /login",status="200"}`,
		`ecrm_http_requests_total{route="GET /contacts/{id}",status="303"}`,
	} {
		if !series[want] {
			t.Errorf("missing %s; have %v", want, series)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

var _ = store.TestPasswordParams
