package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

func TestAllowed(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.255",
		"224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "198.18.0.1",
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:100.64.0.1",
		"::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:db8::1",
	}
	for _, s := range refused {
		if Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = true, want refused", s)
		}
	}
	allowed := []string{"93.184.215.14", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001:82a::200e", "::ffff:8.8.8.8"}
	for _, s := range allowed {
		if !Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = false, want allowed", s)
		}
	}
}

// listener is a real server on 127.0.0.1 that counts the TCP connections
// it accepts: a refusal must happen before any reaches it.
type listener struct {
	port  string
	conns atomic.Int64
	srv   *httptest.Server
}

func newListener(t *testing.T, h http.HandlerFunc) *listener {
	t.Helper()
	l := &listener{}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	}
	l.srv = httptest.NewUnstartedServer(h)
	l.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			l.conns.Add(1)
		}
	}
	l.srv.Start()
	t.Cleanup(l.srv.Close)
	_, l.port, _ = net.SplitHostPort(l.srv.Listener.Addr().String())
	return l
}

func job(url string) *crm.WebhookJob {
	return &crm.WebhookJob{DeliveryID: 1, Attempt: 1, URL: url, MessageID: "msg_test", Payload: []byte(`{"type":"ping"}`),
		Secrets: []string{vectorSecret}}
}

// TestGuardRefusesInternalAddresses sends to a listener on 127.0.0.1
// through every spelling of a loopback address and a name that resolves
// to it: each attempt fails with ErrForbiddenAddress and no connection
// arrives. The same listener is reached when the guard is off, so the
// URLs are right and the refusal is the guard's.
func TestGuardRefusesInternalAddresses(t *testing.T) {
	l := newListener(t, nil)
	hosts := []string{
		"127.0.0.1", "2130706433", "0x7f000001", "017700000001", "127.1", "0177.0.0.1", "0x7f.0.0.1",
		"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost", "[::1]", "0.0.0.0",
	}
	guarded := NewClient(false)
	ctx := context.Background()
	for _, h := range hosts {
		url := "http://" + h + ":" + l.port + "/hook"
		res := Send(ctx, guarded, job(url), time.Now())
		if res.OK() || res.ResponseCode != 0 {
			t.Errorf("%s: delivered (status %d), want refused", url, res.ResponseCode)
			continue
		}
		if !strings.Contains(res.Error, ErrForbiddenAddress.Error()) {
			t.Errorf("%s: error %q, want the guard's refusal", url, res.Error)
		}
	}
	if n := l.conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the listener through the guard, want 0", n)
	}
	open := NewClient(true)
	if res := Send(ctx, open, job("http://127.0.0.1:"+l.port+"/hook"), time.Now()); !res.OK() {
		t.Fatalf("with the guard off: %+v", res)
	}
	if l.conns.Load() == 0 {
		t.Fatal("the listener is unreachable even without the guard; the test proves nothing")
	}
}

// TestGuardControl checks the dial hook itself on addresses that need no
// listener (metadata, private ranges, IPv6 forms).
func TestGuardControl(t *testing.T) {
	for _, a := range []string{"169.254.169.254:80", "10.0.0.1:443", "[fe80::1]:80", "[::ffff:192.168.0.1]:80", "[fd00::1]:443", "100.64.1.1:80"} {
		if err := control("tcp", a, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("control(%s) = %v, want ErrForbiddenAddress", a, err)
		}
	}
	if err := control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("control(public) = %v", err)
	}
}

// TestRedirectNotFollowed: a 3xx is the attempt's answer, recorded as a
// failure, and the redirect target never hears from us.
func TestRedirectNotFollowed(t *testing.T) {
	target := newListener(t, nil)
	var hits atomic.Int64
	redirector := newListener(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://127.0.0.1:"+target.port+"/elsewhere", http.StatusTemporaryRedirect)
	})
	res := Send(context.Background(), NewClient(true), job("http://127.0.0.1:"+redirector.port+"/"), time.Now())
	if res.OK() || res.ResponseCode != http.StatusTemporaryRedirect || !strings.Contains(res.Error, "not followed") {
		t.Errorf("result = %+v, want a failed 307", res)
	}
	if hits.Load() != 1 || target.conns.Load() != 0 {
		t.Errorf("redirector hits %d, target connections %d; want 1 and 0", hits.Load(), target.conns.Load())
	}
}

// TestSendSignsAndRecords: the request carries the Standard Webhooks
// headers and verifies; the answer's body is cut at 2 KB.
func TestSendSignsAndRecords(t *testing.T) {
	var got http.Header
	var body []byte
	l := newListener(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body = make([]byte, r.ContentLength)
		r.Body.Read(body)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(strings.Repeat("x", 5000)))
	})
	now := time.Now()
	j := job("http://127.0.0.1:" + l.port + "/")
	res := Send(context.Background(), NewClient(true), j, now)
	if !res.OK() || res.ResponseCode != 202 || len(res.ResponseBody) != 2048 || res.Duration <= 0 {
		t.Fatalf("result code %d, body %d bytes, took %s, error %q", res.ResponseCode, len(res.ResponseBody), res.Duration, res.Error)
	}
	if got.Get(HeaderID) != "msg_test" || got.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", got)
	}
	if err := Verify(vectorSecret, got.Get(HeaderID), got.Get(HeaderTimestamp), got.Get(HeaderSignature), body, now); err != nil {
		t.Errorf("received webhook does not verify: %v", err)
	}
}

// TestSendTimeout: an endpoint that never answers fails the attempt.
func TestSendTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a timeout")
	}
	release := make(chan struct{})
	l := newListener(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release)
	c := NewClient(true)
	c.Timeout = 200 * time.Millisecond
	res := Send(context.Background(), c, job("http://127.0.0.1:"+l.port+"/"), time.Now())
	if res.OK() || !strings.Contains(res.Error, "timeout") {
		t.Errorf("result = %+v, want a timeout", res)
	}
}
