package web

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, mailTargets)
	pageParts = append(pageParts, mailPageCases)
}

// mailPageCases adds the mail page to the every-locale render: a queued
// message in the outbox, mail not yet configured.
func mailPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	if _, err := e.svc.Mail.EnqueueMail(sys(), crm.MailMessage{To: "ada@example.com", Subject: "Welcome", Text: "Hello"}); err != nil {
		t.Fatal(err)
	}
	return []pageCase{{"admin_mail", "/admin/mail", "table.outbox tbody tr[id]", 200}}
}

// mailTargets: a pending message for the retry route, a form for the
// settings and a recipient for the test send (which answers with the
// outcome even when mail is not configured).
func mailTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/admin/mail") {
		return nil, false
	}
	id, err := e.svc.Mail.EnqueueMail(sys(), crm.MailMessage{To: "ada@example.com", Subject: "Welcome", Text: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/admin/mail/outbox/{id}"] = id
	switch pattern {
	case "POST /admin/mail":
		return url.Values{"host": {"smtp.example.com"}, "port": {"587"}, "tls": {"starttls"}, "from_address": {"crm@example.com"}}, true
	case "POST /admin/mail/test":
		return url.Values{"to": {"admin@example.com"}}, true
	}
	return nil, true
}

// TestMailPages: the settings page in every language with the "not
// configured" notice; saving settings with a password that no page ever
// shows again; a field error redisplayed in the reader's language; a
// test send through htmx to an in-process SMTP server, its refusal shown
// with the server's answer; the outbox escaped, filtered and retried.
func TestMailPages(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	srv := mailtest.Start(t, mailtest.Options{Reject: map[string]int{"nobody@example.com": 550}})
	e.db.SetMailer(mail.NewSender(mail.Options{AllowPrivate: true}))
	canary := `<script>alert("xss")</script>`
	if _, err := e.svc.Mail.EnqueueMail(sys(), crm.MailMessage{To: "ada@example.com", ToName: canary, Subject: "Hi " + canary, Text: "x", Kind: crm.MailOptIn}); err != nil {
		t.Fatal(err)
	}
	const pw = "the-smtp-password-1234"
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		rec := e.do(c, http.MethodGet, "/admin/mail", nil)
		body := rec.Body.String()
		d := doc(t, rec)
		if rec.Code != 200 || d.Find("form.mail-settings select[name=tls] option").Length() != 3 || d.Find(".mail-unconfigured").Length() != 1 || d.Find("table.outbox tbody tr[id]").Length() != 1 {
			t.Fatalf("%s page = %d\n%s", lang, rec.Code, body)
		}
		if d.Find(".subnav a[href='/admin/mail']").Length() != 1 {
			t.Errorf("%s: no mail link in the admin navigation", lang)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: markup from a message reached the page unescaped", lang)
		}
		if strings.Contains(body, "mail.") || strings.Contains(body, "console.") {
			t.Errorf("%s: an untranslated key shows on the page", lang)
		}
		rec = e.do(c, http.MethodPost, "/admin/mail", url.Values{"host": {"smtp.example.com"}, "tls": {"starttls"}, "from_address": {"crm@example.com"}, "public_url": {"ftp://crm.example.com"}, "password": {pw}})
		want := map[string]string{"en": "full http or https address", "fa": "نشانی کامل http یا https", "ja": "完全なアドレス"}[lang]
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), want) || strings.Contains(rec.Body.String(), pw) {
			t.Errorf("%s: invalid public URL = %d, want 422 with %q and without the password", lang, rec.Code, want)
		}
		if doc(t, rec).Find("input[name=host][value='smtp.example.com']").Length() != 1 {
			t.Errorf("%s: the form was not shown again with its values", lang)
		}
	}
	c := e.session(crm.RoleAdmin)
	rec := e.do(c, http.MethodPost, "/admin/mail", url.Values{"host": {srv.Host}, "port": {itoa(int64(srv.Port))}, "tls": {"none"},
		"from_address": {"crm@shop.example"}, "from_name": {"فروشگاه"}, "password": {pw}, "public_url": {"https://crm.shop.example"}})
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != "/admin/mail?done=saved" {
		t.Fatalf("save = %d to %q\n%s", rec.Code, loc, rec.Body)
	}
	rec = e.do(c, http.MethodGet, "/admin/mail?done=saved", nil)
	d := doc(t, rec)
	if strings.Contains(rec.Body.String(), pw) || d.Find("input[name=password]").AttrOr("value", "x") != "" || d.Find("input[name=remove_password]").Length() != 1 || d.Find(".mail-unconfigured").Length() != 0 {
		t.Errorf("after saving: the password shows, or the page does not say one is stored\n%s", rec.Body)
	}
	// Saving again without a password keeps it.
	e.do(c, http.MethodPost, "/admin/mail", url.Values{"host": {srv.Host}, "port": {itoa(int64(srv.Port))}, "tls": {"none"}, "from_address": {"crm@shop.example"}, "from_name": {"فروشگاه"}, "public_url": {"https://crm.shop.example"}})
	if st, _ := e.svc.Mail.MailSettings(sys()); !st.HasPassword || st.FromName != "فروشگاه" {
		t.Errorf("settings after a save without a password: %+v", st)
	}

	// Test send with htmx: the fragment says the server took it; the
	// message went out with the Persian subject of the catalogue.
	fa := e.session(crm.RoleAdmin)
	fa.lang = "fa"
	rec = e.do(fa, http.MethodPost, "/admin/mail/test", url.Values{"to": {"admin@example.com"}}, "HX-Request", "true")
	if rec.Code != 200 || doc(t, rec).Find("article.mail-test-result.ok").Length() != 1 || strings.Contains(rec.Body.String(), "<html") ||
		doc(t, rec).Find("#mail-outbox[hx-swap-oob] table.outbox tbody tr[id]").Length() != 2 {
		t.Fatalf("test send = %d\n%s", rec.Code, rec.Body)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "=?UTF-8?q?=D9=BE=DB=8C=D8=A7=D9=85") || !strings.Contains(qpBody(t, msgs[0].Data), "(https://crm.shop.example)") {
		t.Fatalf("server got %d messages\n%s", len(msgs), msgs[0].Data)
	}
	// Refused: the server's answer is shown, and the message is failed.
	rec = e.do(c, http.MethodPost, "/admin/mail/test", url.Values{"to": {"nobody@example.com"}}, "HX-Request", "true")
	if got := doc(t, rec).Find("article.mail-test-result.error pre").Text(); rec.Code != 200 || !strings.Contains(got, "550") {
		t.Errorf("refused test = %d, answer %q", rec.Code, got)
	}
	// Without htmx the whole page comes back with the result.
	rec = e.do(c, http.MethodPost, "/admin/mail/test", url.Values{"to": {"not an address"}})
	if rec.Code != 200 || doc(t, rec).Find("#mail-test-result article.error").Length() != 1 || doc(t, rec).Find("form.mail-settings").Length() != 1 {
		t.Errorf("bad address = %d\n%s", rec.Code, rec.Body)
	}

	rec = e.do(c, http.MethodGet, "/admin/mail?status=failed", nil)
	rows := doc(t, rec).Find("table.outbox tbody tr[id]")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "nobody@example.com") || rows.Find("button").Length() != 1 {
		t.Fatalf("failed filter: %d rows\n%s", rows.Length(), rec.Body)
	}
	if n := doc(t, e.do(c, http.MethodGet, "/admin/mail?kind=test", nil)).Find("table.outbox tbody tr[id]").Length(); n != 2 {
		t.Errorf("test kind filter: %d rows, want 2", n)
	}
	if doc(t, rec).Find("form[action='/admin/mail/outbox/retry-failed'] button").Length() != 1 {
		t.Error("no retry-all button on the failed filter")
	}
	id, _ := rows.Attr("id")
	rec = e.do(c, http.MethodPost, "/admin/mail/outbox/"+strings.TrimPrefix(id, "mail-")+"/retry", nil)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/mail?done=retry") {
		t.Errorf("retry = %d to %q", rec.Code, loc)
	}
	if n := doc(t, e.do(c, http.MethodGet, "/admin/mail?status=failed", nil)).Find("table.outbox tbody tr[id]").Length(); n != 0 {
		t.Errorf("still %d failed after the retry", n)
	}
	rec = e.do(c, http.MethodPost, "/admin/mail/outbox/retry-failed", nil)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/mail?done=retry_failed") {
		t.Errorf("retry all failed = %d to %q", rec.Code, loc)
	}
	if rec := e.do(c, http.MethodGet, "/admin/audit", nil); strings.Contains(rec.Body.String(), pw) {
		t.Error("the audit page shows the password")
	}
	for _, role := range []crm.Role{crm.RoleManager, crm.RoleMarketing} {
		if rec := e.do(e.session(role), http.MethodGet, "/admin/mail", nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s = %d, want 403", role, rec.Code)
		}
	}
}

// qpBody is the decoded body of a single-part quoted-printable message.
func qpBody(t *testing.T, raw []byte) string {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
