package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestMetricsToken: with ECRM_METRICS_TOKEN set, /metrics answers only
// to that bearer token.
func TestMetricsToken(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{DB: db, Logger: quiet(), MetricsToken: "s3cret-metrics"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"s3cret-metrics", 401}, {"Bearer s3cret-metrics", 200}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, rec.Code, tc.want)
		}
		if tc.want == 200 && !strings.Contains(rec.Body.String(), "go_goroutines") {
			t.Errorf("metrics body missing: %.200s", rec.Body.String())
		}
	}
}

// TestMetricsAddr: with --metrics-addr, /metrics is served there and no
// longer beside the console.
func TestMetricsAddr(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: quiet(), MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(srv.URL() + "/metrics"); got != http.StatusNotFound {
		t.Errorf("main listener /metrics = %d, want 404", got)
	}
	if srv.MetricsURL() == "" || srv.MetricsURL() == srv.URL() {
		t.Fatalf("metrics URL %q", srv.MetricsURL())
	}
	if got := get(srv.MetricsURL() + "/metrics"); got != http.StatusOK {
		t.Errorf("metrics listener /metrics = %d, want 200", got)
	}
}

// TestSlowBodyIsCut: a client that sends headers and then trickles (or
// withholds) its body is disconnected once the read timeout passes, so a
// flood of such connections cannot be held open. The timeout is set short
// here; what is tested is that the server gives up, not how fast.
func TestSlowBodyIsCut(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: quiet(), ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: ecrm.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nemail=")
	// The client waits far longer than the server's timeout; a server
	// with no body timeout leaves it hanging until this deadline.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept a connection whose body never arrived")
	}
}

// TestDefaultReadTimeout: the server has a body read timeout by default.
func TestDefaultReadTimeout(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv, err := New(Config{DB: db, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if srv.http.ReadTimeout != DefaultReadTimeout || srv.http.ReadHeaderTimeout == 0 {
		t.Errorf("read timeouts %v/%v", srv.http.ReadTimeout, srv.http.ReadHeaderTimeout)
	}
}
