package store_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func mustWebhook(t *testing.T, db *store.DB, in crm.WebhookInput) (*crm.WebhookEndpoint, string) {
	t.Helper()
	e, secret, err := db.CreateWebhook(storetest.System(), in)
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return e, secret
}

func deliveries(t *testing.T, db *store.DB, endpoint int64) []*crm.WebhookDelivery {
	t.Helper()
	p, err := db.FindWebhookDeliveries(storetest.System(), crm.WebhookDeliveryFilter{EndpointID: endpoint, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func TestWebhookCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		e, secret := mustWebhook(t, db, crm.WebhookInput{URL: ptr(" https://shop.example/hooks "), Description: ptr("Shop")})
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) < 24 {
			t.Errorf("secret %q: want whsec_ and base64 of 24+ bytes (%d, %v)", secret, len(key), err)
		}
		if e.URL != "https://shop.example/hooks" || !slices.Equal(e.Events, []string{"*"}) || !e.Active || !e.HasSecret {
			t.Errorf("created %+v", e)
		}
		up, err := db.UpdateWebhook(ctx, e.ID, crm.WebhookInput{Events: &[]string{"order.created", "contact.created", "order.created"}, Active: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(up.Events, []string{"contact.created", "order.created"}) || up.Active || up.Description != "Shop" {
			t.Errorf("updated %+v", up)
		}
		_, rotated, err := db.RotateWebhookSecret(ctx, e.ID)
		if err != nil || rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
			t.Errorf("rotate = %q, %v", rotated, err)
		}
		// Neither secret shows in a list, a read or the audit log.
		list, err := db.FindWebhooks(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("FindWebhooks = %v, %v", list, err)
		}
		got, err := db.FindWebhookByID(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := db.FindAudit(ctx, crm.AuditFilter{Entity: "webhook", Limit: 50})
		if err != nil || len(audit.Items) != 3 {
			t.Fatalf("audit = %d entries, %v; want create, update, rotate_secret", len(audit.Items), err)
		}
		b, _ := json.Marshal([]any{list, got, audit.Items})
		for _, s := range []string{secret, rotated, strings.TrimPrefix(secret, "whsec_"), strings.TrimPrefix(rotated, "whsec_")} {
			if strings.Contains(string(b), s) {
				t.Errorf("a secret appears in list/read/audit JSON: %s", b)
			}
		}
		if err := db.DeleteWebhook(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindWebhookByID(ctx, e.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("after delete: %v", err)
		}
	})
}

func TestWebhookValidation(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	cases := []struct {
		in       crm.WebhookInput
		field    string
		key      string
		wantFine bool
	}{
		{crm.WebhookInput{}, "url", "required", false},
		{crm.WebhookInput{URL: ptr("ftp://shop.example/")}, "url", "webhook_scheme", false},
		{crm.WebhookInput{URL: ptr("shop.example/hook")}, "url", "invalid_url", false},
		{crm.WebhookInput{URL: ptr("https://user:pw@shop.example/")}, "url", "webhook_credentials", false},
		{crm.WebhookInput{URL: ptr("https:///path")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("http://2130706433/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("http://0x7f000001/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("http://017700000001/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("http://127.1/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("https://shop.example:70000/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("https://shop.example:0/")}, "url", "webhook_host", false},
		{crm.WebhookInput{URL: ptr("https://shop.example/#frag")}, "url", "invalid_url", false},
		{crm.WebhookInput{URL: ptr("https://shop.example/" + strings.Repeat("a", 2000))}, "url", "too_long", false},
		{crm.WebhookInput{URL: ptr("https://shop.example/"), Events: &[]string{"contact.created", "order.shipped"}}, "events", "unknown_event", false},
		{crm.WebhookInput{URL: ptr("https://shop.example/"), Description: ptr(strings.Repeat("d", 501))}, "description", "too_long", false},
		// Literal addresses pass validation; the dial-time guard judges them.
		{crm.WebhookInput{URL: ptr("http://[::ffff:127.0.0.1]:8080/x")}, "", "", true},
		{crm.WebhookInput{URL: ptr("http://shop.example:8080/hooks?token=abc"), Events: &[]string{"contact.created", "*"}}, "", "", true},
	}
	for _, c := range cases {
		_, _, err := db.CreateWebhook(ctx, c.in)
		if c.wantFine {
			if err != nil {
				t.Errorf("%v: %v", c.in.URL, err)
			}
			continue
		}
		fe := crm.FieldErrors(err)
		if crm.ErrorCode(err) != crm.EINVALID || len(fe) == 0 || fe[0].Field != c.field || fe[0].Key != c.key {
			t.Errorf("%v: err %v, want %s %s", deref(c.in.URL), err, c.field, c.key)
		}
	}
	if _, err := db.UpdateWebhook(ctx, 1, crm.WebhookInput{Events: &[]string{}}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("empty events on update = %v, want invalid", err)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestWebhookAuthorization: endpoints are admin-only, whoever asks.
func TestWebhookAuthorization(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://shop.example/")})
	for _, role := range []crm.Role{crm.RoleManager, crm.RoleSales, crm.RoleSupport, crm.RoleMarketing, crm.RoleReadOnly} {
		ctx, _ := storetest.User(t, db, role, string(role)+"@example.com")
		if _, err := db.FindWebhooks(ctx); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("%s lists webhooks: %v", role, err)
		}
		if _, _, err := db.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://evil.example/")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("%s creates a webhook: %v", role, err)
		}
		if _, _, err := db.RotateWebhookSecret(ctx, e.ID); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("%s rotates a secret: %v", role, err)
		}
		if _, err := db.ClaimWebhookJobs(ctx, time.Minute, 10); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("%s claims jobs (and their secrets): %v", role, err)
		}
	}
	ctx, _ := storetest.User(t, db, crm.RoleAdmin, "root@example.com")
	if _, err := db.FindWebhooks(ctx); err != nil {
		t.Errorf("admin: %v", err)
	}
}

// TestWebhookEmitContacts: contact changes queue one delivery per
// subscribed active endpoint, with a Standard Webhooks payload.
func TestWebhookEmitContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		fixed := time.Date(2026, 3, 21, 10, 30, 0, 0, time.UTC)
		db.Now = func() time.Time { return fixed }
		all, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
		created, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://b.example/"), Events: &[]string{crm.EventContactCreated}})
		off, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://c.example/")})
		if _, err := db.UpdateWebhook(ctx, off.ID, crm.WebhookInput{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		c := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Sara"), LastName: ptr("<b>Ahmadi</b>"), Email: ptr("sara@example.com")})
		if _, err := db.UpdateContact(ctx, c.ID, crm.ContactInput{City: ptr("Tehran")}); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		// A failed change emits nothing.
		if _, err := db.UpdateContact(ctx, 999999, crm.ContactInput{City: ptr("Nowhere")}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("update of a missing contact: %v", err)
		}
		events := func(ds []*crm.WebhookDelivery) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.Event)
			}
			return out
		}
		if got, want := events(deliveries(t, db, all.ID)), []string{"contact.deleted", "contact.updated", "contact.created"}; !slices.Equal(got, want) {
			t.Errorf("all-events endpoint got %v, want %v (newest first)", got, want)
		}
		if got := events(deliveries(t, db, created.ID)); !slices.Equal(got, []string{"contact.created"}) {
			t.Errorf("contact.created endpoint got %v", got)
		}
		if got := deliveries(t, db, off.ID); len(got) != 0 {
			t.Errorf("disabled endpoint got %d deliveries", len(got))
		}
		first := deliveries(t, db, all.ID)[2]
		other := deliveries(t, db, created.ID)[0]
		if first.MessageID != other.MessageID || !strings.HasPrefix(first.MessageID, "msg_") || strings.Contains(first.MessageID, ".") {
			t.Errorf("message ids %q and %q: want one shared msg_ id per event", first.MessageID, other.MessageID)
		}
		var body struct {
			Type      string      `json:"type"`
			Timestamp string      `json:"timestamp"`
			Data      crm.Contact `json:"data"`
		}
		if err := json.Unmarshal([]byte(first.Payload), &body); err != nil {
			t.Fatal(err)
		}
		if body.Type != "contact.created" || body.Timestamp != "2026-03-21T10:30:00Z" || body.Data.ID != c.ID || body.Data.Email != "sara@example.com" {
			t.Errorf("payload %s", first.Payload)
		}
		if !strings.Contains(first.Payload, "<b>Ahmadi</b>") {
			t.Errorf("payload escapes HTML for receivers: %s", first.Payload)
		}
		if first.Status != crm.DeliveryPending || first.NextAttemptAt == nil || !first.NextAttemptAt.Equal(fixed) || first.Attempts != 0 {
			t.Errorf("new delivery %+v", first)
		}
	})
}

// TestWebhookQueueLeases: a claimed delivery is nobody else's until its
// lease ends; a result from an overtaken claim changes nothing.
func TestWebhookQueueLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		e, secret := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
		d, err := db.TestWebhook(ctx, e.ID)
		if err != nil || d.Event != crm.WebhookPing || !strings.Contains(d.Payload, `"type":"ping"`) {
			t.Fatalf("TestWebhook = %+v, %v", d, err)
		}
		jobs, err := db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim = %d jobs, %v", len(jobs), err)
		}
		j := jobs[0]
		if j.Attempt != 1 || j.URL != "https://a.example/" || !slices.Equal(j.Secrets, []string{secret}) || j.MessageID != d.MessageID {
			t.Errorf("job %+v", j)
		}
		if again, _ := db.ClaimWebhookJobs(ctx, time.Minute, 10); len(again) != 0 {
			t.Errorf("a leased delivery was claimed again")
		}
		now = now.Add(61 * time.Second)
		overtaken, _ := db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if len(overtaken) != 1 || overtaken[0].Attempt != 2 {
			t.Fatalf("after the lease: %v", overtaken)
		}
		// The first claim's late answer is logged but moves nothing.
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: j.DeliveryID, Attempt: 1, At: now, ResponseCode: 200}))
		got, err := db.FindWebhookDelivery(ctx, j.DeliveryID)
		if err != nil || got.Status != crm.DeliveryPending || len(got.AttemptLog) != 1 {
			t.Fatalf("after a stale result: %+v, %v", got, err)
		}
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: j.DeliveryID, Attempt: 2, At: now, ResponseCode: 204, ResponseBody: "ok\x00\xff"}))
		got, _ = db.FindWebhookDelivery(ctx, j.DeliveryID)
		if got.Status != crm.DeliverySucceeded || got.DeliveredAt == nil || got.NextAttemptAt != nil || got.LastCode != 204 {
			t.Errorf("after success: %+v", got)
		}
		if got.AttemptLog[0].ResponseBody != "ok\uFFFD" {
			t.Errorf("stored body %q, want NUL dropped and invalid UTF-8 replaced", got.AttemptLog[0].ResponseBody)
		}
		// Rotation: the previous secret signs too, for a day.
		_, rotated, err := db.RotateWebhookSecret(ctx, e.ID)
		must(t, err)
		if _, err := db.TestWebhook(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		jobs, _ = db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if len(jobs) != 1 || !slices.Equal(jobs[0].Secrets, []string{rotated, secret}) {
			t.Errorf("after rotation secrets = %d jobs %v", len(jobs), jobs)
		}
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: jobs[0].DeliveryID, Attempt: 1, At: now, ResponseCode: 200}))
		now = now.Add(crm.WebhookSecretOverlap + time.Second)
		if _, err := db.TestWebhook(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		jobs, _ = db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if len(jobs) != 1 || !slices.Equal(jobs[0].Secrets, []string{rotated}) {
			t.Errorf("a day after rotation: %v", jobs)
		}
		// A disabled endpoint's deliveries wait, and a ping is refused.
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: jobs[0].DeliveryID, Attempt: 1, At: now, Error: "connection refused"}))
		if _, err := db.UpdateWebhook(ctx, e.ID, crm.WebhookInput{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if jobs, _ := db.ClaimWebhookJobs(ctx, time.Minute, 10); len(jobs) != 0 {
			t.Errorf("claimed %d jobs of a disabled endpoint", len(jobs))
		}
		if _, err := db.TestWebhook(ctx, e.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("ping to a disabled endpoint: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWebhookRetry: a failed delivery gets one more attempt on request.
func TestWebhookRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
		d, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		for i := 1; i <= crm.WebhookMaxAttempts; i++ {
			jobs, err := db.ClaimWebhookJobs(ctx, time.Minute, 10)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("attempt %d: %d jobs, %v", i, len(jobs), err)
			}
			must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: d.ID, Attempt: i, At: now, ResponseCode: 500}))
			if i < crm.WebhookMaxAttempts {
				now = now.Add(crm.WebhookBackoff[i-1])
			}
		}
		got, _ := db.FindWebhookDelivery(ctx, d.ID)
		if got.Status != crm.DeliveryFailed || got.Attempts != crm.WebhookMaxAttempts || got.LastError != "HTTP 500" {
			t.Fatalf("after every attempt: %+v", got)
		}
		r, err := db.RetryWebhookDelivery(ctx, d.ID)
		if err != nil || r.Status != crm.DeliveryPending {
			t.Fatalf("retry = %+v, %v", r, err)
		}
		jobs, _ := db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if len(jobs) != 1 || jobs[0].Attempt != crm.WebhookMaxAttempts+1 {
			t.Fatalf("retry claim: %v", jobs)
		}
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: d.ID, Attempt: jobs[0].Attempt, At: now, ResponseCode: 503}))
		if got, _ := db.FindWebhookDelivery(ctx, d.ID); got.Status != crm.DeliveryFailed {
			t.Errorf("a failed manual retry leaves status %s, want failed again", got.Status)
		}
		if _, err := db.RetryWebhookDelivery(ctx, 999999); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("retry of a missing delivery: %v", err)
		}
		// About three days of failures leave the endpoint on; one more
		// failure after five days without a success disables it.
		if ep, _ := db.FindWebhookByID(ctx, e.ID); !ep.Active || ep.FailingSince == nil {
			t.Errorf("endpoint after three days of failures: %+v", ep)
		}
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(crm.WebhookDisableAfter + time.Minute)
		p, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		jobs, _ = db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if len(jobs) != 1 {
			t.Fatalf("ping claim: %v", jobs)
		}
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: p.ID, Attempt: 1, At: now, Error: "timeout after 15s"}))
		ep, _ := db.FindWebhookByID(ctx, e.ID)
		if ep.Active || ep.DisabledReason != "failing" || ep.FailingSince == nil {
			t.Errorf("endpoint after days of failures: %+v", ep)
		}
		if ep, _ := db.UpdateWebhook(ctx, e.ID, crm.WebhookInput{Active: ptr(true)}); !ep.Active || ep.FailingSince != nil || ep.DisabledReason != "" {
			t.Errorf("re-enabled endpoint keeps its failure state: %+v", ep)
		}
	})
}

// TestWebhookSecretNotExported: the full export holds endpoints and the
// delivery log but no signing secret.
func TestWebhookSecretNotExported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		e, secret := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
		_, rotated, err := db.RotateWebhookSecret(ctx, e.ID)
		must(t, err)
		mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Exported")})
		var all strings.Builder
		tables := map[string]int{}
		err = db.DumpTables(ctx, func(tab store.DumpTable, rows func(yield func([]any) error) error) error {
			return rows(func(vals []any) error {
				tables[tab.Name]++
				fmt.Fprintln(&all, vals...)
				return nil
			})
		})
		must(t, err)
		if tables["webhook_endpoints"] != 1 || tables["webhook_deliveries"] != 1 {
			t.Errorf("exported %v, want the endpoint and its delivery", tables)
		}
		for _, s := range []string{secret, rotated, strings.TrimPrefix(secret, "whsec_"), strings.TrimPrefix(rotated, "whsec_")} {
			if strings.Contains(all.String(), s) {
				t.Fatalf("the export contains a signing secret")
			}
		}
	})
}

// TestWebhookOrderEvents: a placed order emits order.created (and
// contact.created for a new customer) in its transaction; an order that
// cannot be served rolls back and emits nothing, not even the customer
// it would have created.
func TestWebhookOrderEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		ep, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
		if _, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr("TEA-1"), Name: ptr("Green tea"), Price: ptr(int64(1200)), Currency: ptr("EUR"), Stock: ptr(int64(2))}); err != nil {
			t.Fatal(err)
		}
		order := func(email string, qty int64) error {
			_, err := db.CreateOrder(ctx, crm.OrderInput{Email: ptr(email), Currency: ptr("EUR"), Lines: []crm.OrderLineInput{{SKU: "TEA-1", Quantity: qty}}})
			return err
		}
		if err := order("too.many@example.com", 5); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("order beyond stock: %v", err)
		}
		if got := deliveries(t, db, ep.ID); len(got) != 0 {
			t.Fatalf("a rolled-back order left %d deliveries (%s)", len(got), got[0].Event)
		}
		if err := order("new.customer@example.com", 1); err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, d := range deliveries(t, db, ep.ID) {
			events = append(events, d.Event)
		}
		if !slices.Contains(events, crm.EventOrderCreated) || !slices.Contains(events, crm.EventContactCreated) {
			t.Errorf("events after an order by a new customer: %v", events)
		}
	})
}

// TestWebhookPrune: finished deliveries older than the cutoff go with
// their attempts; pending ones stay however old.
func TestWebhookPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
		done, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		jobs, err := db.ClaimWebhookJobs(ctx, time.Minute, 10)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim: %v %v", jobs, err)
		}
		must(t, db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: done.ID, Attempt: 1, At: now, ResponseCode: 200}))
		waiting, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		now = now.Add(crm.WebhookRetention + time.Hour)
		fresh, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		n, err := db.PruneWebhookDeliveries(ctx, now.Add(-crm.WebhookRetention))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		var left []int64
		for _, d := range deliveries(t, db, e.ID) {
			left = append(left, d.ID)
		}
		if !slices.Equal(left, []int64{fresh.ID, waiting.ID}) {
			t.Errorf("left %v, want %d and %d", left, fresh.ID, waiting.ID)
		}
		if _, err := db.FindWebhookDelivery(ctx, done.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("pruned delivery still readable: %v", err)
		}
	})
}

// TestWebhookRestoreWaitsForRotation: an export holds no secrets, so a
// restored endpoint has none; its deliveries wait, and nothing new is
// queued for it, until an admin rotates the secret.
func TestWebhookRestoreWaitsForRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, src *store.DB) {
		ctx := storetest.System()
		e, _ := mustWebhook(t, src, crm.WebhookInput{URL: ptr("https://a.example/")})
		ping, err := src.TestWebhook(ctx, e.ID)
		must(t, err)
		rows := map[string][][]any{}
		var tables []store.DumpTable
		err = src.DumpTables(ctx, func(tab store.DumpTable, each func(yield func([]any) error) error) error {
			return each(func(vals []any) error {
				if strings.HasPrefix(tab.Name, "webhook_") {
					if len(rows[tab.Name]) == 0 {
						tables = append(tables, tab)
					}
					rows[tab.Name] = append(rows[tab.Name], slices.Clone(vals))
				}
				return nil
			})
		})
		must(t, err)
		dst := storetest.Open(t, src.Engine())
		for _, tab := range tables {
			var names []string
			for _, c := range tab.Columns {
				names = append(names, c.Name)
			}
			left := rows[tab.Name]
			must(t, dst.RestoreTable(ctx, tab.Name, names, func() ([]any, error) {
				if len(left) == 0 {
					return nil, io.EOF
				}
				r := left[0]
				left = left[1:]
				return r, nil
			}))
		}
		got, err := dst.FindWebhookByID(ctx, e.ID)
		if err != nil || got.HasSecret || !got.Active {
			t.Fatalf("restored endpoint %+v, %v", got, err)
		}
		if jobs, _ := dst.ClaimWebhookJobs(ctx, time.Minute, 10); len(jobs) != 0 {
			t.Errorf("a delivery went out without a secret")
		}
		if _, err := dst.TestWebhook(ctx, e.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("ping without a secret: %v", err)
		}
		mustContact(t, ctx, dst, crm.ContactInput{FirstName: ptr("After")})
		if n := len(deliveries(t, dst, e.ID)); n != 1 {
			t.Errorf("%d deliveries after a contact change, want only the restored ping", n)
		}
		_, secret, err := dst.RotateWebhookSecret(ctx, e.ID)
		must(t, err)
		jobs, err := dst.ClaimWebhookJobs(ctx, time.Minute, 10)
		if err != nil || len(jobs) != 1 || jobs[0].DeliveryID != ping.ID || !slices.Equal(jobs[0].Secrets, []string{secret}) {
			t.Errorf("after rotation: %+v, %v", jobs, err)
		}
	})
}

// TestWebhookDeliveryPages: the log pages newest first with a cursor and
// filters by status; a bad status or cursor is a field error.
func TestWebhookDeliveryPages(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	e, _ := mustWebhook(t, db, crm.WebhookInput{URL: ptr("https://a.example/")})
	var ids []int64
	for range 5 {
		d, err := db.TestWebhook(ctx, e.ID)
		must(t, err)
		ids = append([]int64{d.ID}, ids...)
	}
	var got []int64
	after := ""
	for pages := 0; ; pages++ {
		p, err := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: e.ID, Limit: 2, After: after})
		must(t, err)
		for _, d := range p.Items {
			got = append(got, d.ID)
		}
		if p.Next == "" || pages > 5 {
			break
		}
		after = p.Next
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pages gave %v, want %v", got, ids)
	}
	if p, _ := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: e.ID, Status: crm.DeliverySucceeded}); len(p.Items) != 0 {
		t.Errorf("succeeded filter: %d", len(p.Items))
	}
	for _, f := range []crm.WebhookDeliveryFilter{{EndpointID: e.ID, Status: "lost"}, {EndpointID: e.ID, After: "!!"}} {
		if _, err := db.FindWebhookDeliveries(ctx, f); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("%+v: %v, want invalid", f, err)
		}
	}
	if _, err := db.FindWebhookDeliveries(ctx, crm.WebhookDeliveryFilter{EndpointID: 999}); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("missing endpoint: %v", err)
	}
}
