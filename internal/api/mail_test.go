package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, mailMatrix) }

// mailMatrix adds every mail operation to the authorisation matrix: mail
// goes to an in-process SMTP server, so the test send succeeds for the
// keys allowed to make it. Its snapshot is the settings and the outbox.
func mailMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	srv := mailtest.Start(t, mailtest.Options{})
	db.SetMailer(mail.NewSender(mail.Options{AllowPrivate: true}))
	_, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: ptr(srv.Host), Port: ptr(srv.Port), TLS: ptr(crm.MailTLSNone), FromAddress: ptr("crm@shop.example")})
	must(t, err)
	id, err := db.EnqueueMail(ctx, crm.MailMessage{To: "ada@example.com", Subject: "Welcome", Text: "Hello"})
	must(t, err)
	mid := fmt.Sprint(id)
	routes := []matrixRoute{
		{"GET", "/mail/settings", nil, ps(mailR)},
		{"PATCH", "/mail/settings", map[string]any{"from_name": "Shop"}, ps(mailW)},
		{"GET", "/mail/outbox", nil, ps(mailR)},
		{"GET", "/mail/outbox/" + mid, nil, ps(mailR)},
		{"POST", "/mail/outbox/" + mid + "/retry", nil, ps(mailW)},
		{"POST", "/mail/outbox/retry-failed", nil, ps(mailW)},
		{"POST", "/mail/test", map[string]any{"to": "admin@example.com"}, ps(mailW)},
	}
	snap := func() any {
		st, err := db.MailSettings(ctx)
		must(t, err)
		p, err := db.FindMailOutbox(ctx, crm.MailOutboxFilter{Limit: 500})
		must(t, err)
		return []any{st, p.Items}
	}
	return routes, snap
}

// TestMailAPI: settings round trip with field errors, the password never
// in an answer or the audit log, the outbox list with filters, a test
// send that reports the SMTP server's answer, and retry.
func TestMailAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		srv := mailtest.Start(t, mailtest.Options{Reject: map[string]int{"nobody@example.com": 550}})
		key, reader := e.key("mail:write"), e.key("mail:read")
		const pw = "pa55word-not-for-your-eyes"
		e.run(t, []scenario{
			{name: "unconfigured", method: "GET", url: "/api/v1/mail/settings", key: reader, wantStatus: 200, wantContains: []string{`"configured":false`, `"tls":"starttls"`, `"port":587`}},
			{name: "test before configuring", method: "POST", url: "/api/v1/mail/test", key: key, body: map[string]any{"to": "a@example.com"}, wantStatus: 409},
			{name: "bad host", method: "PATCH", url: "/api/v1/mail/settings", key: key, body: map[string]any{"host": "smtp example", "from_address": "crm@shop.example"}, wantStatus: 422, wantContains: []string{"body.host"}},
			{name: "bad public url", method: "PATCH", url: "/api/v1/mail/settings", key: key, body: map[string]any{"public_url": "javascript:alert(1)"}, wantStatus: 422, wantContains: []string{"body.public_url"}},
			{name: "bad tls", method: "PATCH", url: "/api/v1/mail/settings", key: key, body: map[string]any{"tls": "ssl"}, wantStatus: 422},
			{name: "unknown field", method: "PATCH", url: "/api/v1/mail/settings", key: key, body: map[string]any{"has_password": true}, wantStatus: 422},
			{name: "reader cannot change", method: "PATCH", url: "/api/v1/mail/settings", key: reader, body: map[string]any{"host": "smtp.example.com"}, wantStatus: 403},
			{name: "configure", method: "PATCH", url: "/api/v1/mail/settings", key: key,
				body:       map[string]any{"host": srv.Host, "port": srv.Port, "tls": "none", "username": "", "password": pw, "from_address": "crm@shop.example", "from_name": "山田商事", "public_url": "https://crm.shop.example"},
				wantStatus: 200, wantContains: []string{`"configured":true`, `"has_password":true`, `"from_name":"山田商事"`}, wantAbsent: []string{pw}},
			{name: "read hides the password", method: "GET", url: "/api/v1/mail/settings", key: reader, wantStatus: 200, wantContains: []string{`"has_password":true`}, wantAbsent: []string{pw}},
			{name: "audit says changed", method: "GET", url: "/api/v1/audit?entity=mail_settings", key: e.key("audit:read"), wantStatus: 200, wantContains: []string{`changed`}, wantAbsent: []string{pw}},
			{name: "test without a sender", method: "POST", url: "/api/v1/mail/test", key: key, body: map[string]any{"to": "a@example.com"}, wantStatus: 409},
		})
		db.SetMailer(mail.NewSender(mail.Options{AllowPrivate: true}))
		e.run(t, []scenario{
			{name: "test send", method: "POST", url: "/api/v1/mail/test", key: key, body: map[string]any{"to": "Admin@Example.com"}, wantStatus: 200, wantContains: []string{`"ok":true`, `"kind":"test"`, `"status":"sent"`, `"to":"admin@example.com"`}},
			{name: "test refused", method: "POST", url: "/api/v1/mail/test", key: key, body: map[string]any{"to": "nobody@example.com"}, wantStatus: 200, wantContains: []string{`"ok":false`, `550`, `"status":"failed"`}},
			{name: "test bad address", method: "POST", url: "/api/v1/mail/test", key: key, body: map[string]any{"to": "not an address"}, wantStatus: 422, wantContains: []string{"body.to"}},
			{name: "outbox", method: "GET", url: "/api/v1/mail/outbox?kind=test", key: reader, wantStatus: 200, wantContains: []string{`"nobody@example.com"`, `"admin@example.com"`}},
			{name: "outbox failed", method: "GET", url: "/api/v1/mail/outbox?status=failed&limit=1", key: reader, wantStatus: 200, wantContains: []string{`"nobody@example.com"`}, wantAbsent: []string{`"admin@example.com"`}},
			{name: "outbox bad status", method: "GET", url: "/api/v1/mail/outbox?status=lost", key: reader, wantStatus: 422},
			{name: "outbox unknown parameter", method: "GET", url: "/api/v1/mail/outbox?state=sent", key: reader, wantStatus: 422},
			{name: "missing message", method: "GET", url: "/api/v1/mail/outbox/999999", key: reader, wantStatus: 404},
			{name: "retry missing", method: "POST", url: "/api/v1/mail/outbox/999999/retry", key: key, wantStatus: 404},
		})
		if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "admin@example.com" {
			t.Fatalf("server got %+v", got)
		}
		p, err := db.FindMailOutbox(storetest.System(), crm.MailOutboxFilter{Status: crm.MailFailed})
		must(t, err)
		fid := fmt.Sprint(p.Items[0].ID)
		e.run(t, []scenario{
			{name: "retry failed", method: "POST", url: "/api/v1/mail/outbox/" + fid + "/retry", key: key, wantStatus: 200, wantContains: []string{`"status":"pending"`}},
			{name: "retry all failed (none left)", method: "POST", url: "/api/v1/mail/outbox/retry-failed", key: key, wantStatus: 200, wantContains: []string{`"retried":0`}},
			{name: "retry sent", method: "POST", url: "/api/v1/mail/outbox/" + fmt.Sprint(p.Items[0].ID-1) + "/retry", key: key, wantStatus: 409},
		})
		all := string(e.do("GET", "/api/v1/mail/outbox", nil, reader).body) + string(e.do("GET", "/api/v1/audit", nil, e.key("audit:read")).body)
		if strings.Contains(all, pw) {
			t.Error("the password shows in the outbox or the audit log")
		}
	})
}
