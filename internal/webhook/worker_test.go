package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/webhook"
)

func ptr[T any](v T) *T { return &v }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// receiver is an httptest endpoint that verifies every webhook as a
// receiver would and counts each message id.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	status atomic.Int64
	mu     sync.Mutex
	got    map[string]int
	bodies []string
	bad    atomic.Int64
	now    func() time.Time // the receiver's clock, for the tolerance check
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: map[string]int{}, now: time.Now}
	r.status.Store(http.StatusOK)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id := req.Header.Get(webhook.HeaderID)
		if err := webhook.Verify(r.secret, id, req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, r.now()); err != nil {
			r.bad.Add(1)
		}
		r.mu.Lock()
		r.got[id]++
		r.bodies = append(r.bodies, string(body))
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		fmt.Fprint(w, "thanks")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() (messages, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.got {
		requests += n
	}
	return len(r.got), requests
}

// TestDeliverySignedAndVerified: a contact created in the CRM reaches a
// real HTTP server as a Standard Webhooks request that verifies.
func TestDeliverySignedAndVerified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		rcv := newReceiver(t)
		ep, secret, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(rcv.srv.URL + "/hooks"), Events: &[]string{crm.EventContactCreated}})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = secret
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Hanako"), LastName: ptr("山田"), Email: ptr("hanako@example.jp")})
		if err != nil {
			t.Fatal(err)
		}
		w := webhook.NewWorker(db, webhook.Options{Logger: quiet, AllowPrivate: true})
		if n := w.RunOnce(ctx); n != 1 {
			t.Fatalf("RunOnce claimed %d, want 1", n)
		}
		if msgs, reqs := rcv.count(); msgs != 1 || reqs != 1 || rcv.bad.Load() != 0 {
			t.Fatalf("receiver got %d messages in %d requests, %d not verifying", msgs, reqs, rcv.bad.Load())
		}
		var body struct {
			Type string
			Data crm.Contact
		}
		if err := json.Unmarshal([]byte(rcv.bodies[0]), &body); err != nil || body.Type != "contact.created" || body.Data.ID != c.ID || body.Data.LastName != "山田" {
			t.Errorf("body %s (%v)", rcv.bodies[0], err)
		}
		p, _ := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: ep.ID})
		d, _ := db.FindWebhookDelivery(ctx, p.Items[0].ID)
		if d.Status != crm.DeliverySucceeded || d.LastCode != 200 || len(d.AttemptLog) != 1 || d.AttemptLog[0].ResponseBody != "thanks" {
			t.Errorf("delivery %+v, log %+v", d, d.AttemptLog)
		}
		// Without the switch the same local endpoint is refused, and
		// the attempt says why.
		if _, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Taro")}); err != nil {
			t.Fatal(err)
		}
		webhook.NewWorker(db, webhook.Options{Logger: quiet}).RunOnce(ctx)
		if _, reqs := rcv.count(); reqs != 1 {
			t.Errorf("the guarded worker reached the local receiver")
		}
		p, _ = db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: ep.ID})
		if last := p.Items[0]; last.Status != crm.DeliveryPending || last.Attempts != 1 || last.LastError == "" {
			t.Errorf("guarded delivery %+v", last)
		}
	})
}

// TestBackoffThenFailed drives one failing delivery through the whole
// schedule on a fake clock: it is not due a second early, due on time,
// and failed after the last attempt.
func TestBackoffThenFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		db.Now = clock
		rcv := newReceiver(t)
		rcv.status.Store(http.StatusServiceUnavailable)
		rcv.now = clock
		ep, secret, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(rcv.srv.URL)})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = secret
		d, err := db.TestWebhook(ctx, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := webhook.NewWorker(db, webhook.Options{Logger: quiet, AllowPrivate: true, Now: clock})
		var waited time.Duration
		for i := 1; i <= crm.WebhookMaxAttempts; i++ {
			if n := w.RunOnce(ctx); n != 1 {
				t.Fatalf("attempt %d: claimed %d", i, n)
			}
			got, _ := db.FindWebhookDelivery(ctx, d.ID)
			if i == crm.WebhookMaxAttempts {
				if got.Status != crm.DeliveryFailed || got.NextAttemptAt != nil || len(got.AttemptLog) != i {
					t.Fatalf("after the last attempt: %+v", got)
				}
				break
			}
			wait := crm.WebhookBackoff[i-1]
			if got.Status != crm.DeliveryPending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(clock().Add(wait)) || got.LastCode != 503 {
				t.Fatalf("after attempt %d: %+v, want due in %s", i, got, wait)
			}
			advance(wait - time.Second)
			if n := w.RunOnce(ctx); n != 0 {
				t.Fatalf("attempt %d went out a second early", i+1)
			}
			advance(time.Second)
			waited += wait
		}
		if waited < 60*time.Hour || waited > 80*time.Hour {
			t.Errorf("the schedule spans %s, want about three days", waited)
		}
		if _, reqs := rcv.count(); reqs != crm.WebhookMaxAttempts || rcv.bad.Load() != 0 {
			t.Errorf("receiver saw %d requests (%d unverified), want %d", reqs, rcv.bad.Load(), crm.WebhookMaxAttempts)
		}
		// Every attempt is logged, newest first, with its answer.
		got, _ := db.FindWebhookDelivery(ctx, d.ID)
		for _, a := range got.AttemptLog {
			if a.ResponseCode != 503 || a.ResponseBody != "thanks" || a.Error != "HTTP 503" {
				t.Errorf("attempt log entry %+v", a)
			}
		}
		advance(48 * time.Hour)
		if n := w.RunOnce(ctx); n != 0 {
			t.Errorf("a failed delivery was claimed again")
		}
	})
}

// TestTwoWorkersDeliverOnce runs two workers, each on its own connection
// pool to one database (two `ecrm serve` processes), against a stream of
// messages: each message arrives exactly once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			open := func() *store.DB {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			a, b := open(), open()
			ctx := storetest.System()
			rcv := newReceiver(t)
			ep, secret, err := a.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(rcv.srv.URL)})
			if err != nil {
				t.Fatal(err)
			}
			rcv.secret = secret
			const n = 60
			workers := []*webhook.Worker{
				webhook.NewWorker(a, webhook.Options{Logger: quiet, AllowPrivate: true, Interval: 5 * time.Millisecond, Batch: 4}),
				webhook.NewWorker(b, webhook.Options{Logger: quiet, AllowPrivate: true, Interval: 5 * time.Millisecond, Batch: 4}),
			}
			for _, w := range workers {
				w.Start()
			}
			for i := range n {
				db := a
				if i%2 == 1 {
					db = b
				}
				if _, err := db.TestWebhook(ctx, ep.ID); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if msgs, _ := rcv.count(); msgs == n || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, w := range workers {
				if err := w.Stop(sctx); err != nil {
					t.Fatal(err)
				}
			}
			msgs, reqs := rcv.count()
			if msgs != n || reqs != n || rcv.bad.Load() != 0 {
				t.Fatalf("%d messages in %d requests (%d unverified), want %d in %d", msgs, reqs, rcv.bad.Load(), n, n)
			}
			p, err := a.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: ep.ID, Status: crm.DeliverySucceeded, Limit: 500})
			if err != nil || len(p.Items) != n {
				t.Fatalf("%d succeeded deliveries, %v", len(p.Items), err)
			}
			for _, d := range p.Items {
				if d.Attempts != 1 {
					t.Errorf("delivery %d took %d attempts", d.ID, d.Attempts)
				}
			}
		})
	}
}

// TestWorkerStopsCleanly: Stop waits for the request in flight, which is
// recorded, and returns.
func TestWorkerStopsCleanly(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		time.Sleep(200 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ep, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.TestWebhook(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	w := webhook.NewWorker(db, webhook.Options{Logger: quiet, AllowPrivate: true, Interval: 10 * time.Millisecond})
	w.Start()
	<-started
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	p, _ := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: ep.ID})
	if p.Items[0].Status != crm.DeliverySucceeded {
		t.Errorf("in-flight delivery after Stop: %+v", p.Items[0])
	}
	if err := w.Stop(sctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestSlowEndpointDoesNotHoldOthers: while one endpoint keeps a request
// hanging, the worker's other slots keep delivering to the rest.
func TestSlowEndpointDoesNotHoldOthers(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	defer close(release)
	fast := newReceiver(t)
	s, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(slow.URL)})
	if err != nil {
		t.Fatal(err)
	}
	f, secret, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr(fast.srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	fast.secret = secret
	if _, err := db.TestWebhook(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := db.TestWebhook(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	w := webhook.NewWorker(db, webhook.Options{Logger: quiet, AllowPrivate: true, Interval: 10 * time.Millisecond, Batch: 2})
	w.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if msgs, _ := fast.count(); msgs == 6 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if msgs, _ := fast.count(); msgs != 6 {
		t.Errorf("the fast endpoint got %d of 6 while the slow one hung", msgs)
	}
	release <- struct{}{}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Stop(sctx); err != nil {
		t.Fatal(err)
	}
}
