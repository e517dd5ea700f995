package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestMailSettings: defaults, validation with field errors, the public
// URL that links read, and the password: stored, never read back, and in
// the audit log only as "changed".
func TestMailSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		s, err := db.MailSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Configured || s.TLS != crm.MailTLSStartTLS || s.Port != 587 || s.HasPassword {
			t.Errorf("defaults: %+v", s)
		}
		for _, c := range []struct {
			name  string
			in    crm.MailSettingsInput
			field string
		}{
			{"host", crm.MailSettingsInput{Host: ptr("smtp example.com"), FromAddress: ptr("a@example.com")}, "host"},
			{"no from", crm.MailSettingsInput{Host: ptr("smtp.example.com")}, "from_address"},
			{"bad from", crm.MailSettingsInput{Host: ptr("smtp.example.com"), FromAddress: ptr("not an address")}, "from_address"},
			{"tls mode", crm.MailSettingsInput{TLS: ptr("ssl3")}, "tls"},
			{"port", crm.MailSettingsInput{Port: ptr(70000)}, "port"},
			{"plain auth away", crm.MailSettingsInput{Host: ptr("smtp.example.com"), FromAddress: ptr("a@example.com"), TLS: ptr(crm.MailTLSNone), Username: ptr("u")}, "tls"},
			{"public url scheme", crm.MailSettingsInput{PublicURL: ptr("ftp://crm.example.com")}, "public_url"},
			{"public url relative", crm.MailSettingsInput{PublicURL: ptr("/crm")}, "public_url"},
			{"public url credentials", crm.MailSettingsInput{PublicURL: ptr("https://u:p@crm.example.com")}, "public_url"},
			{"reply-to", crm.MailSettingsInput{ReplyTo: ptr("x")}, "reply_to"},
			{"password line", crm.MailSettingsInput{Password: ptr("a\nb")}, "password"},
		} {
			_, err := db.UpdateMailSettings(ctx, c.in)
			var ce *crm.Error
			if !errors.As(err, &ce) || ce.Code != crm.EINVALID || len(ce.Fields) == 0 || ce.Fields[0].Field != c.field {
				t.Errorf("%s: %v, want a %s field error", c.name, err, c.field)
			}
		}
		const pw = "correct-horse-battery-staple"
		s, err = db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: ptr("SMTP.Example.com"), TLS: ptr(crm.MailTLSImplicit),
			Username: ptr("crm@example.com"), Password: ptr(pw), FromAddress: ptr("CRM@Example.com"), FromName: ptr("山田商事"),
			PublicURL: ptr("https://crm.example.com/")})
		if err != nil {
			t.Fatal(err)
		}
		want := crm.MailSettings{Host: "smtp.example.com", Port: 465, TLS: crm.MailTLSImplicit, Username: "crm@example.com", HasPassword: true,
			FromAddress: "crm@example.com", FromName: "山田商事", PublicURL: "https://crm.example.com", Configured: true}
		if *s != want {
			t.Errorf("saved %+v, want %+v", *s, want)
		}
		if got, _ := db.MailSettings(ctx); *got != want {
			t.Errorf("read back %+v", *got)
		}
		if u := db.PublicURL(ctx); u != "https://crm.example.com" {
			t.Errorf("PublicURL = %q", u)
		}
		cfg, err := db.MailConfig(ctx)
		if err != nil || cfg.Password != pw {
			t.Errorf("MailConfig password %q, %v", cfg.Password, err)
		}
		// Unchanged fields stay; an empty password removes it.
		if s, err = db.UpdateMailSettings(ctx, crm.MailSettingsInput{Port: ptr(2465)}); err != nil || s.Port != 2465 || !s.HasPassword || s.Host != "smtp.example.com" {
			t.Errorf("partial update: %+v %v", s, err)
		}
		if s, err = db.UpdateMailSettings(ctx, crm.MailSettingsInput{Password: ptr("")}); err != nil || s.HasPassword {
			t.Errorf("password removal: %+v %v", s, err)
		}
		b, _ := json.Marshal(cfg)
		if strings.Contains(string(b), pw) {
			t.Errorf("the config serialises the password: %s", b)
		}
		page, err := db.FindAudit(ctx, crm.AuditFilter{Entity: "mail_settings", Limit: 50})
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("audit: %d entries, %v", len(page.Items), err)
		}
		all, _ := json.Marshal(page.Items)
		if strings.Contains(string(all), pw) || !strings.Contains(string(all), `changed`) || !strings.Contains(string(all), `removed`) {
			t.Errorf("audit entries: %s", all)
		}

		// Admins only.
		for _, role := range []crm.Role{crm.RoleManager, crm.RoleMarketing, crm.RoleReadOnly} {
			uctx, _ := storetest.User(t, db, role, string(role)+"@example.com")
			if _, err := db.MailSettings(uctx); crm.ErrorCode(err) != crm.EFORBIDDEN {
				t.Errorf("%s read settings: %v", role, err)
			}
			if _, err := db.FindMailOutbox(uctx, crm.MailOutboxFilter{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
				t.Errorf("%s read the outbox: %v", role, err)
			}
		}
	})
}

// TestMailOutboxList filters by state and kind and pages by cursor.
func TestMailOutboxList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		for i := range 5 {
			kind := crm.MailNotification
			if i%2 == 0 {
				kind = crm.MailOptIn
			}
			if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: "a@example.com", Subject: "S", Text: "T", Kind: kind}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := db.FindMailOutbox(ctx, crm.MailOutboxFilter{Kind: crm.MailOptIn, Limit: 2})
		if err != nil || len(p.Items) != 2 || p.Next == "" || p.Items[0].ID < p.Items[1].ID {
			t.Fatalf("first page: %+v %v", p, err)
		}
		p2, err := db.FindMailOutbox(ctx, crm.MailOutboxFilter{Kind: crm.MailOptIn, Limit: 2, After: p.Next})
		if err != nil || len(p2.Items) != 1 || p2.Next != "" || p2.Items[0].Kind != crm.MailOptIn {
			t.Fatalf("second page: %+v %v", p2, err)
		}
		if p, _ := db.FindMailOutbox(ctx, crm.MailOutboxFilter{Status: crm.MailSent}); len(p.Items) != 0 {
			t.Errorf("sent: %d", len(p.Items))
		}
		for _, f := range []crm.MailOutboxFilter{{Status: "lost"}, {Kind: "spam"}, {After: "!!"}} {
			if _, err := db.FindMailOutbox(ctx, f); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("%+v: %v", f, err)
			}
		}
		if _, err := db.SendTestMail(ctx, crm.MailTestInput{To: "a@example.com"}); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("test send without a sender: %v", err)
		}
	})
}
