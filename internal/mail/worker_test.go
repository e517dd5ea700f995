package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	ecrmmail "github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// clock is a settable clock safe for the worker's goroutines.
type clock struct{ ns atomic.Int64 }

func newClock(db *store.DB) *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	db.Now = c.Now
	return c
}
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func configure(t *testing.T, db *store.DB, srv *mailtest.Server, in crm.MailSettingsInput) {
	t.Helper()
	in.Host, in.Port = ptr(srv.Host), ptr(srv.Port)
	if in.TLS == nil {
		in.TLS = ptr(crm.MailTLSNone)
	}
	if in.FromAddress == nil {
		in.FromAddress = ptr("crm@shop.example")
	}
	if _, err := db.UpdateMailSettings(storetest.System(), in); err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, db *store.DB, m crm.MailMessage) int64 {
	t.Helper()
	id, err := db.EnqueueMail(storetest.System(), m)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func outbox(t *testing.T, db *store.DB, id int64) *crm.MailOutboxEntry {
	t.Helper()
	m, err := db.FindMailByID(storetest.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeliver sends a message with a Persian recipient name, a Japanese
// subject and an HTML part to a real SMTP server and reads it back as a
// mail reader would: headers decoded, multipart/alternative parts decoded.
func TestDeliver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newClock(db)
		srv := mailtest.Start(t, mailtest.Options{})
		configure(t, db, srv, crm.MailSettingsInput{FromName: ptr("فروشگاه سبز"), ReplyTo: ptr("help@shop.example")})
		subject := "ご登録の確認 — تأیید ثبت‌نام"
		text := "سلام مریم،\nلطفاً ثبت‌نام خود را تأیید کنید: https://crm.example/optin?t=abc\n日本語の本文。"
		html := `<p>سلام <b>مریم</b> — <a href="https://crm.example/optin?t=abc">تأیید</a></p>`
		id := enqueue(t, db, crm.MailMessage{To: "maryam@example.ir", ToName: "مریم رضایی", Subject: subject, Text: text, HTML: html, Kind: crm.MailOptIn})
		w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{})
		if n := w.RunOnce(storetest.System()); n != 1 {
			t.Fatalf("claimed %d, want 1", n)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("server got %d messages", len(msgs))
		}
		got := msgs[0]
		if got.From != "crm@shop.example" || len(got.To) != 1 || got.To[0] != "maryam@example.ir" {
			t.Errorf("envelope %q → %v", got.From, got.To)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
		if err != nil {
			t.Fatal(err)
		}
		dec := new(mime.WordDecoder)
		h := func(k string) string {
			s, err := dec.DecodeHeader(msg.Header.Get(k))
			if err != nil {
				t.Errorf("%s: %v", k, err)
			}
			return s
		}
		if s := h("Subject"); s != subject {
			t.Errorf("Subject = %q, want %q (raw %q)", s, subject, msg.Header.Get("Subject"))
		}
		for _, raw := range []string{msg.Header.Get("Subject"), msg.Header.Get("To"), msg.Header.Get("From")} {
			if !isASCII(raw) {
				t.Errorf("header not encoded for transport: %q", raw)
			}
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "مریم رضایی" || to[0].Address != "maryam@example.ir" {
			t.Errorf("To = %v (%v)", to, err)
		}
		from, err := msg.Header.AddressList("From")
		if err != nil || from[0].Name != "فروشگاه سبز" || from[0].Address != "crm@shop.example" {
			t.Errorf("From = %v (%v)", from, err)
		}
		if r := msg.Header.Get("Reply-To"); !strings.Contains(r, "help@shop.example") {
			t.Errorf("Reply-To = %q", r)
		}
		if _, err := msg.Header.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}
		if msg.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", msg.Header.Get("Auto-Submitted"))
		}
		m := outbox(t, db, id)
		if m.Status != crm.MailSent || m.SentAt == nil || m.Attempts != 1 || m.MessageID == "" {
			t.Fatalf("outbox after sending: %+v", m)
		}
		if msg.Header.Get("Message-Id") != m.MessageID || !strings.HasSuffix(m.MessageID, "@shop.example>") {
			t.Errorf("Message-ID header %q, outbox %q", msg.Header.Get("Message-Id"), m.MessageID)
		}
		mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/alternative" {
			t.Fatalf("Content-Type %q (%v)", msg.Header.Get("Content-Type"), err)
		}
		parts := map[string]string{}
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if !strings.EqualFold(cp["charset"], "utf-8") {
				t.Errorf("%s charset %q", ct, cp["charset"])
			}
			var body io.Reader = p
			if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				body = quotedprintable.NewReader(p)
			}
			b, _ := io.ReadAll(body)
			parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
		if parts["text/plain"] != text || parts["text/html"] != html {
			t.Errorf("parts = %q", parts)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestStartTLSAuth: AUTH PLAIN over STARTTLS to a server with a
// self-signed certificate the test trusts through the sender's TLS hook;
// the production sender (system roots) refuses that certificate and the
// message waits for a retry; implicit TLS works too.
func TestStartTLSAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock(db)
		ctx := storetest.System()
		srv := mailtest.Start(t, mailtest.Options{TLS: "starttls", Users: map[string]string{"crm": "s3cret pass"}})
		configure(t, db, srv, crm.MailSettingsInput{TLS: ptr(crm.MailTLSStartTLS), Username: ptr("crm"), Password: ptr("s3cret pass")})
		id := enqueue(t, db, crm.MailMessage{To: "a@example.com", Subject: "Hello", Text: "Hi"})

		untrusted := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{})
		untrusted.RunOnce(ctx)
		if m := outbox(t, db, id); m.Status != crm.MailPending || m.Attempts != 1 || !strings.Contains(m.LastError, "certificate") {
			t.Fatalf("untrusted certificate: %+v", m)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("a message went to a server whose certificate is not trusted")
		}
		clk.Add(crm.MailBackoff[0] + time.Second)
		trusted := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true, TLSConfig: &tls.Config{RootCAs: srv.Certs}}), ecrmmail.WorkerOptions{})
		if n := trusted.RunOnce(ctx); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || msgs[0].User != "crm" || !msgs[0].TLS {
			t.Fatalf("messages %+v", msgs)
		}
		if m := outbox(t, db, id); m.Status != crm.MailSent || m.Attempts != 2 || m.LastError != "" {
			t.Errorf("after the trusted attempt: %+v", m)
		}

		// A wrong password is a settings problem: retried, not failed.
		if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Password: ptr("wrong")}); err != nil {
			t.Fatal(err)
		}
		id = enqueue(t, db, crm.MailMessage{To: "b@example.com", Subject: "Hello", Text: "Hi"})
		trusted.RunOnce(ctx)
		if m := outbox(t, db, id); m.Status != crm.MailPending || m.LastError == "" {
			t.Errorf("wrong password: %+v", m)
		}

		// Implicit TLS (SMTPS).
		smtps := mailtest.Start(t, mailtest.Options{TLS: "tls", Users: map[string]string{"crm": "pw"}})
		configure(t, db, smtps, crm.MailSettingsInput{TLS: ptr(crm.MailTLSImplicit), Username: ptr("crm"), Password: ptr("pw")})
		id = enqueue(t, db, crm.MailMessage{To: "c@example.com", Subject: "Hello", Text: "Hi"})
		clk.Add(time.Hour)
		w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true, TLSConfig: &tls.Config{RootCAs: smtps.Certs}}), ecrmmail.WorkerOptions{})
		w.RunOnce(ctx)
		if m := outbox(t, db, id); m.Status != crm.MailSent || len(smtps.Messages()) != 2 || !smtps.Messages()[0].TLS {
			t.Errorf("implicit TLS: %+v, %d messages", m, len(smtps.Messages()))
		}
	})
}

// TestRetries: a 4xx answer retries after each back-off step and fails
// after the last; a 5xx answer fails at once; a failed message retried
// by hand gets one more attempt; while mail is not configured messages
// wait without using attempts.
func TestRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock(db)
		ctx := storetest.System()
		srv := mailtest.Start(t, mailtest.Options{Reject: map[string]int{"busy@example.com": 451, "nobody@example.com": 550}})
		w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{})

		waiting := enqueue(t, db, crm.MailMessage{To: "early@example.com", Subject: "Before the settings", Text: "Hi"})
		if n := w.RunOnce(ctx); n != 0 {
			t.Fatalf("claimed %d before mail was configured", n)
		}
		if m := outbox(t, db, waiting); m.Status != crm.MailPending || m.Attempts != 0 {
			t.Fatalf("waiting message: %+v", m)
		}
		configure(t, db, srv, crm.MailSettingsInput{})

		busy := enqueue(t, db, crm.MailMessage{To: "busy@example.com", Subject: "Busy", Text: "Hi"})
		gone := enqueue(t, db, crm.MailMessage{To: "nobody@example.com", Subject: "Gone", Text: "Hi"})
		if n := w.RunOnce(ctx); n != 3 {
			t.Fatalf("claimed %d, want 3", n)
		}
		if m := outbox(t, db, waiting); m.Status != crm.MailSent || m.Attempts != 1 {
			t.Errorf("waiting message after configuring: %+v", m)
		}
		if m := outbox(t, db, gone); m.Status != crm.MailFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") || m.NextAttemptAt != nil {
			t.Errorf("5xx: %+v", m)
		}
		m := outbox(t, db, busy)
		if m.Status != crm.MailPending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") || m.NextAttemptAt == nil || !m.NextAttemptAt.Equal(clk.Now().Add(crm.MailBackoff[0]).Truncate(time.Millisecond)) {
			t.Fatalf("4xx: %+v (now %v)", m, clk.Now())
		}
		// Not due before its back-off.
		if n := w.RunOnce(ctx); n != 0 {
			t.Errorf("claimed %d before the back-off", n)
		}
		for i, wait := range crm.MailBackoff {
			clk.Add(wait)
			if n := w.RunOnce(ctx); n != 1 {
				t.Fatalf("step %d: claimed %d", i, n)
			}
		}
		m = outbox(t, db, busy)
		if m.Status != crm.MailFailed || m.Attempts != crm.MailMaxAttempts || m.NextAttemptAt != nil {
			t.Fatalf("after the last step: %+v", m)
		}
		// After fixing the settings, an admin retries every failed message
		// at once: the 4xx one and the 5xx one.
		if n, err := db.RetryFailedMail(ctx); err != nil || n != 2 {
			t.Fatalf("retry all failed: %d %v", n, err)
		}
		if m := outbox(t, db, gone); m.Status != crm.MailPending {
			t.Errorf("retried 5xx: %+v", m)
		}
		if _, err := db.RetryMail(ctx, busy); err != nil {
			t.Fatal(err)
		}
		if n := w.RunOnce(ctx); n != 2 {
			t.Fatalf("retry claimed %d", n)
		}
		if m := outbox(t, db, busy); m.Status != crm.MailFailed || m.Attempts != crm.MailMaxAttempts+1 {
			t.Errorf("after one more attempt: %+v", m)
		}
		if _, err := db.RetryMail(ctx, waiting); err == nil {
			t.Error("a sent message was queued again")
		}
		if len(srv.Messages()) != 1 {
			t.Errorf("server got %d messages, want 1", len(srv.Messages()))
		}
	})
}

// TestLeaseTakeover: a server that claimed a message and died leaves it
// leased; once the lease runs out another worker sends it, and the dead
// server's late result changes nothing.
func TestLeaseTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock(db)
		ctx := storetest.System()
		srv := mailtest.Start(t, mailtest.Options{})
		configure(t, db, srv, crm.MailSettingsInput{})
		id := enqueue(t, db, crm.MailMessage{To: "a@example.com", Subject: "Hello", Text: "Hi"})
		dead, err := db.ClaimMail(ctx, time.Minute, 10)
		if err != nil || len(dead) != 1 {
			t.Fatalf("claim: %v %v", dead, err)
		}
		w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{Lease: time.Minute})
		if n := w.RunOnce(ctx); n != 0 {
			t.Fatalf("took over a live lease (%d)", n)
		}
		clk.Add(time.Minute + time.Millisecond)
		if n := w.RunOnce(ctx); n != 1 {
			t.Fatalf("did not take over an expired lease (%d)", n)
		}
		if err := db.RecordMailResult(ctx, crm.MailResult{ID: id, Attempt: dead[0].Attempt, Error: "451 too late"}); err != nil {
			t.Fatal(err)
		}
		if m := outbox(t, db, id); m.Status != crm.MailSent || m.Attempts != 2 || m.LastError != "" {
			t.Errorf("after the late result: %+v", m)
		}
		if len(srv.Messages()) != 1 {
			t.Errorf("%d messages", len(srv.Messages()))
		}
	})
}

// TestTwoWorkersSendOnce runs two servers' workers (two store handles on
// one database) against one outbox at once: every message arrives once.
func TestTwoWorkersSendOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			ctx := storetest.System()
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			srv := mailtest.Start(t, mailtest.Options{})
			configure(t, dbs[0], srv, crm.MailSettingsInput{})
			const n = 40
			for i := range n {
				enqueue(t, dbs[i%2], crm.MailMessage{To: fmt.Sprintf("r%d@example.com", i), Subject: fmt.Sprint("Message ", i), Text: "Hi"})
			}
			var wg sync.WaitGroup
			var claimed atomic.Int64
			for _, db := range dbs {
				w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{Batch: 3})
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						c := w.RunOnce(ctx)
						claimed.Add(int64(c))
						if c == 0 {
							if p, _ := db.PendingMail(ctx); p == 0 {
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			msgs := srv.Messages()
			seen := map[string]int{}
			for _, m := range msgs {
				seen[m.To[0]]++
			}
			if len(msgs) != n || len(seen) != n || claimed.Load() != n {
				t.Errorf("%d messages to %d recipients, %d claims; want %d of each", len(msgs), len(seen), claimed.Load(), n)
			}
			for to, c := range seen {
				if c != 1 {
					t.Errorf("%s got %d copies", to, c)
				}
			}
		})
	}
}

// TestHeaderInjection: a line break in a header value never becomes a
// header, whether it reaches the outbox or only the settings.
func TestHeaderInjection(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	for _, m := range []crm.MailMessage{
		{To: "a@example.com", Subject: "Hi\r\nBcc: victim@example.com", Text: "x"},
		{To: "a@example.com", ToName: "Eve\nBcc: victim@example.com", Subject: "Hi", Text: "x"},
		{To: "a@example.com\r\nBcc: victim@example.com", Subject: "Hi", Text: "x"},
	} {
		if _, err := db.EnqueueMail(ctx, m); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("%q: %v, want invalid", m.Subject+m.ToName+m.To, err)
		}
	}
	if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: ptr("127.0.0.1"), FromAddress: ptr("crm@shop.example"), FromName: ptr("Shop\r\nBcc: x@example.com")}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("from name with a line break: %v", err)
	}
	// The sender refuses too, for values that come another way.
	s := ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true})
	cfg := &crm.MailConfig{MailSettings: crm.MailSettings{Host: "127.0.0.1", Port: 1, TLS: crm.MailTLSNone, FromAddress: "crm@shop.example", FromName: "A\nB: c"}}
	res := s.Send(ctx, cfg, &crm.MailJob{ID: 1, Attempt: 1, Message: crm.MailMessage{To: "a@example.com", Subject: "Hi", Text: "x"}})
	if !res.Permanent || !strings.Contains(res.Error, "header injection") {
		t.Errorf("sender: %+v", res)
	}
}

// TestBodiesCleared: after the retention the bodies of sent and failed
// messages are emptied (their signed links go) and the record stays;
// waiting messages keep theirs; a failed message without a body is not
// retried.
func TestBodiesCleared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock(db)
		ctx := storetest.System()
		srv := mailtest.Start(t, mailtest.Options{Reject: map[string]int{"nobody@example.com": 550}})
		configure(t, db, srv, crm.MailSettingsInput{})
		sent := enqueue(t, db, crm.MailMessage{To: "a@example.com", Subject: "Confirm", Text: "https://crm.example/optin?t=x", HTML: "<a href=x>x</a>"})
		failed := enqueue(t, db, crm.MailMessage{To: "nobody@example.com", Subject: "Confirm", Text: "https://crm.example/optin?t=y"})
		w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{Now: clk.Now})
		if n := w.RunOnce(ctx); n != 2 {
			t.Fatalf("claimed %d", n)
		}
		clk.Add(crm.MailRetention + time.Hour)
		waiting := enqueue(t, db, crm.MailMessage{To: "b@example.com", Subject: "Later", Text: "keep me"})
		if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: ptr("")}); err != nil {
			t.Fatal(err)
		}
		w.RunOnce(ctx) // not configured: clears, sends nothing
		jobs, err := db.ClaimMail(ctx, time.Minute, 10)
		if err != nil || len(jobs) != 1 || jobs[0].ID != waiting || jobs[0].Message.Text != "keep me" {
			t.Fatalf("the waiting message lost its body or is missing: %+v %v", jobs, err)
		}
		if m := outbox(t, db, sent); m.Status != crm.MailSent || m.Subject != "Confirm" {
			t.Errorf("the record of the sent message changed: %+v", m)
		}
		if _, err := db.RetryMail(ctx, failed); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("retry of a message without a body: %v", err)
		}
		if n, err := db.ClearMailBodies(ctx, clk.Now()); err != nil || n != 0 {
			t.Errorf("second clear: %d %v", n, err)
		}
	})
}

// TestListUnsubscribe: a message with an unsubscribe link carries the
// one-click headers of RFC 8058 (and no Auto-Submitted: it is not
// transactional); a link that is not plain https is refused.
func TestListUnsubscribe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newClock(db)
		ctx := storetest.System()
		srv := mailtest.Start(t, mailtest.Options{})
		configure(t, db, srv, crm.MailSettingsInput{})
		link := "https://crm.example.com/u/tok3n?c=12"
		enqueue(t, db, crm.MailMessage{To: "a@example.com", Subject: "News", Text: "Hi", ListUnsubscribe: link})
		ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{}).RunOnce(ctx)
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		msg, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get("List-Unsubscribe"); got != "<"+link+">" {
			t.Errorf("List-Unsubscribe = %q", got)
		}
		if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post = %q", got)
		}
		if msg.Header.Get("Auto-Submitted") != "" {
			t.Error("a message with an unsubscribe link is marked auto-generated")
		}
		for _, bad := range []string{"http://crm.example.com/u/x", "https://crm.example.com/u/x>\r\nBcc: v@example.com", "javascript:alert(1)"} {
			if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: "a@example.com", Subject: "News", Text: "Hi", ListUnsubscribe: bad}); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("%q: %v", bad, err)
			}
		}
	})
}
