package server

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestBrowserMailSettings: an admin sets the SMTP server in real
// Chromium, sends a test message with the htmx button and sees the
// server's acceptance without a page load; the message reached the
// in-process SMTP server. Then the Persian page, right to left.
func TestBrowserMailSettings(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	db.SetMailer(mail.NewSender(mail.Options{AllowPrivate: true}))
	srv := mailtest.Start(t, mailtest.Options{})
	email, pw, role := "admin@example.com", "correct horse battery", crm.RoleAdmin
	if _, err := db.CreateUser(storetest.System(), crm.UserInput{Email: &email, Name: ptr("Ada Admin"), Role: &role, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueMail(storetest.System(), crm.MailMessage{To: "waiting@example.com", Subject: "ご登録の確認", Text: "x", Kind: crm.MailOptIn}); err != nil {
		t.Fatal(err)
	}
	bs := newBrowserSession(t, chrome, db, "failed-mail-")
	base, ctx, shot, step := bs.base, bs.ctx, bs.shot, bs.step
	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	step("open the mail page",
		chromedp.Navigate(base+"/admin/mail"),
		chromedp.WaitVisible(chromedp.CSS(`.mail-unconfigured`)),
		shot("mail-unconfigured"),
	)
	step("save the settings",
		chromedp.SendKeys(chromedp.CSS(`input[name=host]`), srv.Host),
		chromedp.SetValue(chromedp.CSS(`input[name=port]`), strconv.Itoa(srv.Port)),
		chromedp.SetValue(chromedp.CSS(`select[name=tls]`), crm.MailTLSNone),
		chromedp.SendKeys(chromedp.CSS(`input[name=from_address]`), "crm@shop.example"),
		chromedp.SendKeys(chromedp.CSS(`input[name=from_name]`), "فروشگاه سبز"),
		chromedp.SendKeys(chromedp.CSS(`input[name=public_url]`), "https://crm.shop.example"),
		chromedp.Click(chromedp.CSS(`form.mail-settings button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)),
	)
	step("send a test message",
		chromedp.SetValue(chromedp.CSS(`form.mail-test input[name=to]`), "me@example.com"),
		chromedp.Click(chromedp.CSS(`form.mail-test button[type=submit]`)),
		poll(`!!document.querySelector('#mail-test-result article.ok')`),
		// The outbox below shows the test message without a reload.
		poll(`document.querySelectorAll('#mail-outbox table.outbox tbody tr[id]').length === 2`),
		shot("mail-test-sent"),
	)
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To[0] != "me@example.com" {
		t.Fatalf("SMTP server got %+v", msgs)
	}
	step("Persian",
		chromedp.Navigate(base+"/admin/mail?lang=fa"),
		chromedp.WaitVisible(chromedp.CSS(`table.outbox`)),
		shot("mail-fa"),
	)
	dir, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).direction`))
	if err != nil || dir != "rtl" {
		t.Errorf("Persian mail page direction = %q (%v)", dir, err)
	}
}
