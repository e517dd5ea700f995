package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, webhookTargets)
	pageParts = append(pageParts, webhookPageCases)
}

// webhookPageCases adds the webhook pages to the every-locale render:
// an endpoint with a contact.created delivery in its log.
func webhookPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	ep, _, err := e.svc.Webhooks.CreateWebhook(sys(), crm.WebhookInput{URL: ptr("https://shop.example/hooks"), Description: ptr("Shop")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Contacts.UpdateContact(sys(), fx.contact, crm.ContactInput{Title: ptr("Countess")}); err != nil {
		t.Fatal(err)
	}
	show := "/admin/webhooks/" + itoa(ep.ID)
	return []pageCase{
		{"admin_webhooks", "/admin/webhooks", "table.webhooks tbody tr td a[href='" + show + "']", 200},
		{"admin_webhooks_show", show, "table.deliveries pre.payload", 200},
	}
}

// webhookTargets makes a fresh endpoint with a queued ping for every
// webhook route of the authorisation matrix.
func webhookTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/admin/webhooks") && !strings.HasPrefix(path, "/admin/webhook-deliveries/") {
		return nil, false
	}
	ep, _, err := e.svc.Webhooks.CreateWebhook(sys(), crm.WebhookInput{URL: ptr("https://shop.example/hooks")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Webhooks.TestWebhook(sys(), ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/admin/webhooks/{id}"] = ep.ID
	tg.ids["/admin/webhook-deliveries/{id}"] = d.ID
	switch pattern {
	case "POST /admin/webhooks":
		return url.Values{"url": {"https://new.example/hooks"}, "event": {"*"}}, true
	case "POST /admin/webhooks/{id}":
		return url.Values{"url": {"https://shop.example/v2"}, "description": {"Shop"}, "event": {crm.EventOrderCreated}}, true
	}
	return nil, true
}

// TestWebhookPages renders the webhook pages in every language: the list
// with its form, the secret shown once on creation and rotation, the
// delivery log with a payload and a response that carry markup (an XSS
// canary in a contact's name), escaped; and the actions.
func TestWebhookPages(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	ctx := sys()
	ep, secret, err := e.svc.Webhooks.CreateWebhook(ctx, crm.WebhookInput{URL: ptr("https://shop.example/hooks"), Description: ptr("Shop <em>sync</em>")})
	if err != nil {
		t.Fatal(err)
	}
	canary := `<script>alert("xss")</script>`
	if _, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr(canary), Email: ptr("canary@example.com")}); err != nil {
		t.Fatal(err)
	}
	// One attempt answered with markup too.
	jobs, err := e.db.ClaimWebhookJobs(ctx, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	if err := e.db.RecordWebhookResult(ctx, crm.WebhookResult{DeliveryID: jobs[0].DeliveryID, Attempt: 1, At: time.Now(), ResponseCode: 500, ResponseBody: `<img src=x onerror=alert(1)>`}); err != nil {
		t.Fatal(err)
	}
	show := "/admin/webhooks/" + itoa(ep.ID)
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		rec := e.do(c, http.MethodGet, "/admin/webhooks", nil)
		d := doc(t, rec)
		if rec.Code != 200 || d.Find("table.webhooks tbody tr td a[href='"+show+"']").Length() != 1 || d.Find("form.webhook-form input[name=event][value='contact.created']").Length() != 1 {
			t.Fatalf("%s list = %d\n%s", lang, rec.Code, rec.Body)
		}
		if d.Find(".subnav a[href='/admin/webhooks']").Length() != 1 {
			t.Errorf("%s: no webhooks link in the admin navigation", lang)
		}
		rec = e.do(c, http.MethodGet, show, nil)
		body := rec.Body.String()
		d = doc(t, rec)
		if rec.Code != 200 || d.Find("table.deliveries pre.payload").Length() != 1 || d.Find("table.attempts tbody tr").Length() != 1 {
			t.Fatalf("%s show = %d\n%s", lang, rec.Code, body)
		}
		if want := map[string]string{"en": "dir=\"ltr\"", "fa": "dir=\"rtl\"", "ja": "dir=\"ltr\""}[lang]; !strings.Contains(body, want) {
			t.Errorf("%s: page is not %s", lang, want)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<em>sync") {
			t.Errorf("%s: markup from data reached the page unescaped", lang)
		}
		if got := d.Find("pre.payload").Text(); !strings.Contains(got, `"first_name": "<script>alert(\"xss\")</script>"`) {
			t.Errorf("%s: payload view %q lacks the contact's name as text", lang, got)
		}
		if strings.Contains(body, secret) || strings.Contains(body, "whsec_") {
			t.Errorf("%s: the secret shows on the endpoint page", lang)
		}
		if strings.Contains(body, "webhooks.") || strings.Contains(body, "console.") {
			t.Errorf("%s: an untranslated key shows on the page", lang)
		}
		if lang == "fa" && !persianDigit.MatchString(d.Find("table.deliveries tbody td").Eq(3).Text()) {
			t.Errorf("fa: attempts %q not in Persian digits", d.Find("table.deliveries tbody td").Eq(3).Text())
		}
		// A bad URL is shown again with the reason in the reader's language.
		rec = e.do(c, http.MethodPost, "/admin/webhooks", url.Values{"url": {"ftp://shop.example/"}, "event": {"*"}})
		want := map[string]string{"en": "https (or http)", "fa": "https (یا http)", "ja": "https（または http）"}[lang]
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), want) || doc(t, rec).Find("input[name=url][value='ftp://shop.example/']").Length() != 1 {
			t.Errorf("%s: invalid create = %d, want 422 with %q", lang, rec.Code, want)
		}
	}

	c := e.session(crm.RoleAdmin)
	rec := e.do(c, http.MethodPost, "/admin/webhooks", url.Values{"url": {"https://erp.example/in"}, "description": {"ERP"}, "event": {crm.EventOrderCreated, crm.EventStockLow}})
	newSecret := doc(t, rec).Find("article.secret code").Text()
	if rec.Code != http.StatusCreated || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("create = %d, secret %q\n%s", rec.Code, newSecret, rec.Body)
	}
	if list := e.do(c, http.MethodGet, "/admin/webhooks", nil).Body.String(); strings.Contains(list, newSecret) || !strings.Contains(list, "https://erp.example/in") {
		t.Errorf("the list shows the secret, or lacks the new endpoint")
	}
	rec = e.do(c, http.MethodPost, show+"/rotate", nil)
	rotated := doc(t, rec).Find("article.secret code").Text()
	if rec.Code != 200 || !strings.HasPrefix(rotated, "whsec_") || rotated == secret {
		t.Fatalf("rotate = %d, secret %q", rec.Code, rotated)
	}
	if strings.Contains(e.do(c, http.MethodGet, show, nil).Body.String(), rotated) {
		t.Error("the rotated secret shows again")
	}
	for _, step := range []struct{ path, done string }{{"/test", "test"}, {"/disable", "disabled"}, {"/enable", "enabled"}} {
		rec := e.do(c, http.MethodPost, show+step.path, nil)
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != show+"?done="+step.done {
			t.Errorf("POST %s = %d to %q", step.path, rec.Code, loc)
		}
		if !strings.Contains(e.do(c, http.MethodGet, show+"?done="+step.done, nil).Body.String(), "notice") {
			t.Errorf("no notice after %s", step.path)
		}
	}
	rec = e.do(c, http.MethodPost, "/admin/webhook-deliveries/"+itoa(jobs[0].DeliveryID)+"/retry", nil)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != show+"?done=retry" {
		t.Errorf("retry = %d to %q", rec.Code, loc)
	}
	if rec := e.do(c, http.MethodGet, show+"?status=pending", nil); doc(t, rec).Find("table.deliveries tbody tr[id]").Length() != 2 {
		t.Errorf("pending filter shows %d deliveries, want the retried one and the ping", doc(t, rec).Find("table.deliveries tbody tr[id]").Length())
	}
	rec = e.do(c, http.MethodPost, show, url.Values{"url": {"https://user:pw@shop.example/"}, "event": {"*"}})
	if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("details[open] form.webhook-form").Length() != 1 {
		t.Errorf("invalid update = %d, want 422 with the form open", rec.Code)
	}
	if rec := e.do(c, http.MethodGet, show+"/delete", nil); rec.Code != 200 || doc(t, rec).Find("form[action='"+show+"/delete']").Length() != 1 {
		t.Errorf("delete confirm = %d", rec.Code)
	}
	if rec := e.do(c, http.MethodPost, show+"/delete", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("delete = %d", rec.Code)
	}
	if rec := e.do(c, http.MethodGet, show, nil); rec.Code != http.StatusNotFound {
		t.Errorf("deleted endpoint page = %d", rec.Code)
	}
	// Not for other roles, not even a manager.
	if rec := e.do(e.session(crm.RoleManager), http.MethodGet, "/admin/webhooks", nil); rec.Code != http.StatusForbidden {
		t.Errorf("manager = %d, want 403", rec.Code)
	}
}
