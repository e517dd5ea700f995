package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestServeSendsMail: `ecrm serve` runs the mail worker, so a message
// queued in the database reaches the SMTP server, and its API answers a
// test send with the server's reply (the store got the sender).
func TestServeSendsMail(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	// The test SMTP server is on loopback, which only the allow-private
	// switch permits (TestServeGuardsSMTPHost).
	env := map[string]string{"ECRM_DB": dsn, "ECRM_WEBHOOK_ALLOW_PRIVATE": "1"}
	srv := mailtest.Start(t, mailtest.Options{})
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := storetest.System()
	if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: &srv.Host, Port: &srv.Port, TLS: ptrTo(crm.MailTLSNone), FromAddress: ptrTo("crm@shop.example")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: "queued@example.com", Subject: "Queued before the start", Text: "Hi"}); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, env, "", "apikey", "create", "--name", "ops", "--scope", "mail:write")
	if code != 0 {
		t.Fatalf("apikey create: %d %q", code, errs)
	}
	key := strings.SplitN(out, "\n", 2)[0]
	url := serve(t, env, "serve", "--addr", "127.0.0.1:0")
	if msgs := srv.Wait(1, 20*time.Second); len(msgs) != 1 || msgs[0].To[0] != "queued@example.com" {
		t.Fatalf("the worker did not send the queued message: %+v", msgs)
	}
	// The attempt shows in the metrics once recorded.
	var metrics string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, metrics = get(t, url+"/metrics", ""); strings.Contains(metrics, `ecrm_mail_attempts_total{outcome="sent"} 1`) {
			break
		}
	}
	if !strings.Contains(metrics, `ecrm_mail_attempts_total{outcome="sent"} 1`) || !strings.Contains(metrics, "ecrm_mail_configured 1") {
		t.Errorf("metrics lack the mail figures")
	}
	req, _ := http.NewRequest("POST", url+"/api/v1/mail/test", bytes.NewReader([]byte(`{"to":"ops@example.com"}`)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok":true`) || len(srv.Messages()) != 2 {
		t.Errorf("test send = %d %s; %d messages", resp.StatusCode, b, len(srv.Messages()))
	}
}

// TestServeGuardsSMTPHost: without the allow-private switch, `ecrm serve`
// refuses an SMTP host on loopback before connecting: the test send
// answers with the refusal and the server on that port hears nothing.
func TestServeGuardsSMTPHost(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	env := map[string]string{"ECRM_DB": dsn}
	srv := mailtest.Start(t, mailtest.Options{})
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.UpdateMailSettings(storetest.System(), crm.MailSettingsInput{Host: &srv.Host, Port: &srv.Port, TLS: ptrTo(crm.MailTLSNone), FromAddress: ptrTo("crm@shop.example")}); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, env, "", "apikey", "create", "--name", "ops", "--scope", "mail:write")
	if code != 0 {
		t.Fatalf("apikey create: %d %q", code, errs)
	}
	key := strings.SplitN(out, "\n", 2)[0]
	url := serve(t, env, "serve", "--addr", "127.0.0.1:0")
	req, _ := http.NewRequest("POST", url+"/api/v1/mail/test", bytes.NewReader([]byte(`{"to":"ops@example.com"}`)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok":false`) || !strings.Contains(string(b), "private") {
		t.Errorf("test send to loopback = %d %s", resp.StatusCode, b)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the loopback SMTP server received %d messages", n)
	}
}

func ptrTo[T any](v T) *T { return &v }
