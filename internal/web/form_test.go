package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/ratelimit"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, formTargets)
	pageParts = append(pageParts, formPageCases)
}

// xssName and xssNote are what a hostile visitor types into a form.
const (
	xssName = `<script>alert("name")</script>`
	xssNote = `<img src=x onerror=alert(1)>`
)

func mustForm(t *testing.T, e *env, slug string, doi bool) *crm.Form {
	t.Helper()
	owner := e.users[crm.RoleMarketing].ID
	f, err := e.svc.Forms.CreateForm(sys(), crm.FormInput{Name: ptr("Newsletter " + slug), Slug: ptr(slug), Title: ptr("Join the newsletter"),
		DoubleOptIn: &doi, OwnerID: &owner, SuccessMessage: ptr("See you soon."),
		Fields: &[]crm.FormField{
			{Name: "first_name", Label: "First name", Maps: "first_name"},
			{Name: "email", Label: "Email", Maps: "email", Required: true},
			{Name: "note", Label: "Anything else?", Type: crm.FieldTextarea},
			{Name: "language", Label: "Language", Maps: "language", Options: []string{"en", "fa", "ja"}},
			{Name: "topics", Label: "Topics", Type: crm.FieldMultiSelect, Options: []string{"Shoes", "Bags"}},
			{Name: "terms", Label: "I am over 16", Type: crm.FieldCheckbox},
		},
		Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "Email me the newsletter."}}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// formPageCases adds the forms console and the public pages to the
// every-locale render: a form with one submission carrying markup.
func formPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	f := mustForm(t, e, "pages", true)
	if _, err := e.svc.Forms.SubmitForm(sys(), crm.FormSubmitInput{Slug: f.Slug, Values: map[string][]string{"email": {"page@example.com"}, "note": {xssNote}},
		Ticked: []crm.ConsentTopic{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail}}, IP: "198.51.100.1"}, formMailer{}); err != nil {
		t.Fatal(err)
	}
	id := itoa(f.ID)
	return []pageCase{
		{"forms", "/forms", "table.forms tbody tr td a[href='/forms/" + id + "']", 200},
		{"form_show", "/forms/" + id, "table.submissions tbody tr dl.answers", 200},
		{"form_edit", "/forms/" + id + "/edit", "ol.builder-rows li.builder-row select[name=field_maps]", 200},
		{"form_edit", "/forms/new", "form.form-builder textarea[name='consent_wording.marketing.email']", 200},
		{"confirm", "/forms/" + id + "/delete", "form[action='/forms/" + id + "/delete']", 200},
		{"form_public", "/f/pages", "form.public-form input[name=stamp]", 200},
		{"form_public", "/f/nothing-here", "article.notfound", 404},
	}
}

// builderForm is a valid builder post.
func builderForm(name, slug string) url.Values {
	return url.Values{"name": {name}, "slug": {slug}, "status": {"active"}, "language": {"en"}, "double_opt_in": {"1"}, "owner_id": {"0"},
		"field_label": {"Email", "Name"}, "field_name": {"email", "name"}, "field_maps": {"email", "first_name"}, "field_type": {"email", "text"},
		"field_required": {"1", "0"}, "field_max": {"", ""}, "field_options": {"", ""}, "field_help": {"", ""},
		"consent_on.marketing.email": {"1"}, "consent_wording.marketing.email": {"Email me offers."}, "op": {"save"}}
}

// formTargets makes a fresh form (without submissions) for every forms
// route of the authorisation matrix.
func formTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/forms") {
		return nil, false
	}
	n := seq.Add(1)
	f, err := e.svc.Forms.CreateForm(sys(), crm.FormInput{Name: ptr("Matrix form"), Slug: ptr("matrix-" + strconv.FormatInt(n, 10))})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/forms/{id}"] = f.ID
	switch pattern {
	case "POST /forms":
		return builderForm("New form", "new-"+strconv.FormatInt(n, 10)), true
	case "POST /forms/{id}":
		return builderForm("Renamed", f.Slug), true
	}
	return nil, true
}

// public sends a request from a visitor without a session.
func (e *env) public(method, target string, form url.Values, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(nil, method, target, form, hdr...)
}

// clock lets a test move the services' time forward.
type clock struct{ at time.Time }

func (c *clock) now() time.Time { return c.at }

func useClock(e *env) *clock {
	c := &clock{at: time.Now().UTC()}
	e.db.Now = c.now
	return c
}

// stampOf reads the render stamp off a form page.
func stampOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	s := doc(t, rec).Find("input[name=stamp]").AttrOr("value", "")
	if s == "" {
		t.Fatalf("no stamp on the page (%d)\n%s", rec.Code, rec.Body)
	}
	return s
}

// TestPublicFormDoubleOptIn walks the visitor's side: the page, the
// refusals (too fast, forged stamp, honeypot, invalid fields), the
// submission, and the confirmation link: GET shows a button and grants
// nothing, POST confirms with the time and IP, a second POST is
// harmless, forged and expired links get a clear page.
func TestPublicFormDoubleOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		clk := useClock(e)
		// This test sends more refusals than one IP's budget.
		e.srv.forms.ip = ratelimit.Every(20*time.Second, 100)
		f := mustForm(t, e, "news", true)

		rec := e.public(http.MethodGet, "/f/news", nil)
		if rec.Code != 200 {
			t.Fatalf("GET = %d\n%s", rec.Code, rec.Body)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || rec.Header().Get("X-Frame-Options") != "" {
			t.Errorf("public page cannot be framed: CSP %q, XFO %q", csp, rec.Header().Get("X-Frame-Options"))
		}
		d := doc(t, rec)
		if d.Find("input[name=website_url][tabindex='-1']").Length() != 1 || d.Find("input[name='consent.marketing.email'][checked]").Length() != 0 {
			t.Errorf("honeypot missing or a consent box ticked in advance")
		}
		stamp := stampOf(t, rec)
		good := url.Values{"stamp": {stamp}, "first_name": {xssName}, "email": {"Ada@Example.com"}, "note": {xssNote},
			"topics": {"Bags"}, "consent.marketing.email": {"yes"}}

		// Faster than a person: refused, input kept, nothing stored.
		rec = e.public(http.MethodPost, "/f/news", good)
		if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("p.notice").Length() != 1 ||
			doc(t, rec).Find("input[name=email]").AttrOr("value", "") != "Ada@Example.com" {
			t.Fatalf("too fast = %d\n%s", rec.Code, rec.Body)
		}
		clk.at = clk.at.Add(5 * time.Second)
		for name, vals := range map[string]url.Values{
			"forged stamp": withValue(good, "stamp", stamp[:len(stamp)-3]+"abc"),
			"no stamp":     withValue(good, "stamp", ""),
			"honeypot":     withValue(good, "website_url", "http://spam.example"),
		} {
			if rec := e.public(http.MethodPost, "/f/news", vals); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s = %d, want 422", name, rec.Code)
			}
		}
		// Invalid fields come back next to their inputs.
		rec = e.public(http.MethodPost, "/f/news", withValue(withValue(good, "email", "nope"), "topics", "Hats"))
		d = doc(t, rec)
		if rec.Code != http.StatusUnprocessableEntity || d.Find("input[name=email][aria-invalid=true]").Length() != 1 ||
			d.Find("div.field-email small.field-error").Length() != 1 || d.Find("div.field-multiselect small.field-error").Length() != 1 {
			t.Fatalf("invalid fields = %d\n%s", rec.Code, rec.Body)
		}
		if subs, _ := e.svc.Forms.FindFormSubmissions(sys(), crm.FormSubmissionFilter{FormID: f.ID}); len(subs.Items) != 0 {
			t.Fatalf("refused submissions were stored: %d", len(subs.Items))
		}

		rec = e.public(http.MethodPost, "/f/news", good)
		if rec.Code != 200 || doc(t, rec).Find("article.done").Length() != 1 {
			t.Fatalf("submit = %d\n%s", rec.Code, rec.Body)
		}
		subs, err := e.svc.Forms.FindFormSubmissions(sys(), crm.FormSubmissionFilter{FormID: f.ID})
		if err != nil || len(subs.Items) != 1 || subs.Items[0].Status != crm.SubmissionPending || subs.Items[0].IP != "192.0.2.1" {
			t.Fatalf("submissions = %+v, %v", subs.Items, err)
		}
		sub := subs.Items[0]
		contactID := *sub.ContactID
		topic := crm.ConsentTopic{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail}
		isGranted := func() bool {
			states, err := e.svc.Consents.ConsentStates(sys(), contactID)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.Purpose == topic.Purpose && s.Channel == topic.Channel {
					return s.Granted
				}
			}
			return false
		}
		if isGranted() {
			t.Fatal("granted before confirmation")
		}

		signer, _ := e.svc.Links.Signer(sys())
		token := signer.Token(crm.TokenOptIn, strconv.FormatInt(sub.ID, 10), clk.at.Add(crm.OptInExpiry))
		// A link scanner's GET confirms nothing.
		rec = e.public(http.MethodGet, "/f/confirm/"+token, nil)
		if rec.Code != 200 || doc(t, rec).Find("form.confirm-form[method=post]").Length() != 1 || isGranted() {
			t.Fatalf("GET confirm = %d, granted %v\n%s", rec.Code, isGranted(), rec.Body)
		}
		clk.at = clk.at.Add(time.Hour)
		rec = e.public(http.MethodPost, "/f/confirm/"+token, url.Values{})
		if rec.Code != 200 || doc(t, rec).Find("article.confirmed").Length() != 1 || !isGranted() {
			t.Fatalf("POST confirm = %d, granted %v\n%s", rec.Code, isGranted(), rec.Body)
		}
		hist, _ := e.svc.Consents.ConsentHistory(sys(), contactID, 10)
		if len(hist) != 1 || hist[0].Source != crm.SourceDoubleOptIn || hist[0].IP != "192.0.2.1" || !hist[0].At.Equal(clk.at.Truncate(time.Millisecond)) {
			t.Errorf("ledger = %+v (want confirmation at %v)", hist[0], clk.at)
		}
		rec = e.public(http.MethodPost, "/f/confirm/"+token, url.Values{})
		if rec.Code != 200 || doc(t, rec).Find("article.already").Length() != 1 {
			t.Errorf("reused link = %d\n%s", rec.Code, rec.Body)
		}
		if again, _ := e.svc.Consents.ConsentHistory(sys(), contactID, 10); len(again) != 1 {
			t.Errorf("a reused link added ledger entries: %d", len(again))
		}
		for _, c := range []struct {
			name, token, class string
			status             int
		}{
			{"forged", token[:len(token)-4] + "AAAA", "invalid", http.StatusBadRequest},
			{"other purpose", signer.Token(crm.TokenPreferences, strconv.FormatInt(sub.ID, 10), clk.at.Add(time.Hour)), "invalid", http.StatusBadRequest},
			{"expired", signer.Token(crm.TokenOptIn, strconv.FormatInt(sub.ID, 10), clk.at.Add(-time.Minute)), "expired", http.StatusGone},
		} {
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				rec := e.public(m, "/f/confirm/"+c.token, url.Values{})
				if rec.Code != c.status || doc(t, rec).Find("article."+c.class).Length() != 1 {
					t.Errorf("%s %s = %d, want %d with article.%s", m, c.name, rec.Code, c.status, c.class)
				}
			}
		}

		// Staff see what the visitor typed as text: submissions list and timeline.
		admin := e.session(crm.RoleAdmin)
		for _, path := range []string{"/forms/" + itoa(f.ID), "/contacts/" + itoa(contactID)} {
			body := e.do(admin, http.MethodGet, path, nil).Body.String()
			if strings.Contains(body, xssName) || strings.Contains(body, xssNote) || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("%s does not escape the visitor's input", path)
			}
		}
	})
}

func withValue(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(k, val)
	return out
}

// TestPublicFormLimits: a visitor's IP runs out of submissions (429 on
// the form), other visitors do not; a cross-origin post is refused; the
// embed script and a redirect after submitting; Persian is right to left.
func TestPublicFormLimits(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	clk := useClock(e)
	e.srv.forms = newFormLimiter()
	e.srv.forms.ip = ratelimit.Every(20*time.Second, 2)
	e.srv.forms.now = clk.now
	doi := false
	f := mustForm(t, e, "limits", false)
	redirect := "https://shop.example/thanks"
	if _, err := e.svc.Forms.UpdateForm(sys(), f.ID, crm.FormInput{RedirectURL: &redirect, DoubleOptIn: &doi}); err != nil {
		t.Fatal(err)
	}
	stamp := stampOf(t, e.public(http.MethodGet, "/f/limits", nil))
	clk.at = clk.at.Add(3 * time.Second)
	post := func(email string, hdr ...string) *httptest.ResponseRecorder {
		return e.public(http.MethodPost, "/f/limits", url.Values{"stamp": {stamp}, "email": {email}}, hdr...)
	}
	if rec := post("one@example.com"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != redirect {
		t.Fatalf("hosted submit = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	// Inside the embed the redirect is the parent page's job.
	rec := e.public(http.MethodPost, "/f/limits", url.Values{"stamp": {stamp}, "email": {"two@example.com"}, "embed": {"1"}})
	if rec.Code != 200 || doc(t, rec).Find("article.done[data-redirect='"+redirect+"']").Length() != 1 {
		t.Fatalf("embedded submit = %d\n%s", rec.Code, rec.Body)
	}
	if rec := post("three@example.com"); rec.Code != http.StatusTooManyRequests || doc(t, rec).Find("form.public-form p.notice, article p.notice").Length() != 1 {
		t.Errorf("third from one IP = %d, want 429 with the form\n%s", rec.Code, rec.Body)
	}
	req := httptest.NewRequest(http.MethodPost, "/f/limits", strings.NewReader(url.Values{"stamp": {stamp}, "email": {"four@example.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.RemoteAddr = "203.0.113.50:4000"
	if rec := e.send(nil, req); rec.Code != http.StatusSeeOther {
		t.Errorf("another IP = %d", rec.Code)
	}
	if rec := post("five@example.com", "Sec-Fetch-Site", "cross-site"); rec.Code != http.StatusForbidden {
		t.Errorf("cross-origin post = %d, want 403", rec.Code)
	}
	clk.at = clk.at.Add(limiterIdle + 2*time.Minute)
	// Each bucket map is swept by its own next use: one view and one
	// submission later, only their three fresh buckets are left.
	e.srv.forms.allowView("198.51.100.200")
	e.srv.forms.allowSubmit("198.51.100.200", f.ID)
	if n := e.srv.forms.size(); n != 3 {
		t.Errorf("idle buckets kept: %d, want 3", n)
	}

	rec = e.public(http.MethodGet, "/f/limits/embed.js", nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(body, `"`+crm.DefaultPublicURL+`/f/limits?embed=1"`) ||
		!strings.Contains(body, "e.origin!==O") || !strings.Contains(body, "ecrm.visitorId") {
		t.Errorf("embed.js = %d %q\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	if rec := e.public(http.MethodGet, "/f/nothing-here/embed.js", nil); rec.Code != 404 {
		t.Errorf("embed of an unknown form = %d", rec.Code)
	}
	if rec := e.public(http.MethodGet, "/f/limits/other.js", nil); rec.Code != 404 {
		t.Errorf("other file = %d", rec.Code)
	}
	d := doc(t, e.public(http.MethodGet, "/f/limits?lang=fa", nil))
	if d.Find("html").AttrOr("dir", "") != "rtl" || d.Find("button[type=submit]").Text() != "ارسال" {
		t.Errorf("Persian page: dir %q, button %q", d.Find("html").AttrOr("dir", ""), d.Find("button[type=submit]").Text())
	}
	archived := crm.FormArchived
	if _, err := e.svc.Forms.UpdateForm(sys(), f.ID, crm.FormInput{Status: &archived}); err != nil {
		t.Fatal(err)
	}
	if rec := e.public(http.MethodGet, "/f/limits", nil); rec.Code != 404 {
		t.Errorf("archived form = %d", rec.Code)
	}
}

// TestFormBuilder: the builder adds, moves and removes fields without
// saving, saves a form, and shows field errors on the rows.
func TestFormBuilder(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	c := e.session(crm.RoleMarketing)
	vals := builderForm("Webinar", "webinar")
	vals.Set("op", "add")
	rec := e.do(c, http.MethodPost, "/forms", vals)
	if rec.Code != 200 || doc(t, rec).Find("li.builder-row").Length() != 3 {
		t.Fatalf("add = %d rows %d", rec.Code, doc(t, rec).Find("li.builder-row").Length())
	}
	vals.Set("op", "down:0")
	d := doc(t, e.do(c, http.MethodPost, "/forms", vals))
	if got := d.Find("input[name=field_label]").First().AttrOr("value", ""); got != "Name" {
		t.Errorf("after moving Email down, first row = %q", got)
	}
	vals.Set("op", "remove:1")
	if n := doc(t, e.do(c, http.MethodPost, "/forms", vals)).Find("li.builder-row").Length(); n != 1 {
		t.Errorf("after remove: %d rows", n)
	}
	if list, _ := e.svc.Forms.FindForms(sys(), ""); len(list) != 0 {
		t.Fatalf("builder ops saved a form")
	}
	bad := builderForm("Webinar", "webinar")
	bad["field_required"] = []string{"0", "0"}
	bad["field_label"] = []string{"Email", ""}
	rec = e.do(c, http.MethodPost, "/forms", bad)
	d = doc(t, rec)
	if rec.Code != http.StatusUnprocessableEntity || d.Find("li.builder-row small.field-error").Length() < 2 {
		t.Fatalf("invalid builder = %d\n%s", rec.Code, rec.Body)
	}
	rec = e.do(c, http.MethodPost, "/forms", builderForm("Webinar", "webinar"))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body)
	}
	show := e.do(c, http.MethodGet, rec.Header().Get("Location"), nil)
	d = doc(t, show)
	if !strings.Contains(d.Find("pre.embed-code").Text(), `<script src="`+crm.DefaultPublicURL+`/f/webinar/embed.js" async></script>`) {
		t.Errorf("embed code = %q", d.Find("pre.embed-code").Text())
	}
	list, _ := e.svc.Forms.FindForms(sys(), "")
	if len(list) != 1 || list[0].OwnerID != nil || len(list[0].Consents) != 1 || list[0].Consents[0].Wording != "Email me offers." || !list[0].DoubleOptIn {
		t.Errorf("saved form = %+v", list)
	}
}

// TestFormMailEscapes: the owner's notification and the confirmation
// carry what the visitor typed as text in their HTML.
func TestFormMailEscapes(t *testing.T) {
	f := &crm.Form{ID: 1, Name: "News", Fields: []crm.FormField{{Name: "first_name", Label: "First name"}, {Name: "note", Label: "Note"}}}
	s := &crm.FormSubmission{Values: map[string]any{"first_name": xssName, "note": xssNote},
		Consents: []crm.SubmissionConsent{{Purpose: "marketing", Channel: "email", Wording: "News <b>please</b>", Ticked: true}}}
	c := &crm.Contact{ID: 7, FirstName: xssName + "\r\nBcc: x@example.com", Email: "a@example.com"}
	n := formMailer{}.Notification(crm.FormNotice{Form: f, Submission: s, Contact: c, Created: true, Owner: &crm.User{Email: "o@example.com", Language: "ja"},
		ContactURL: "https://crm.example/contacts/7"})
	o := formMailer{}.OptIn(crm.FormOptInMail{Form: f, Submission: s, Contact: c, Lang: "fa", ConfirmURL: "https://crm.example/f/confirm/abc", Expires: time.Now()})
	for name, m := range map[string]crm.MailMessage{"notification": n, "opt-in": o} {
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<b>please") {
			t.Errorf("%s HTML carries markup from the form:\n%s", name, m.HTML)
		}
		if strings.ContainsAny(m.Subject+m.ToName, "\r\n") {
			t.Errorf("%s header with a line break: %q %q", name, m.Subject, m.ToName)
		}
	}
	if !strings.Contains(n.HTML, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(n.Text, "https://crm.example/contacts/7") || !strings.Contains(n.Subject, "News") {
		t.Errorf("notification = %+v", n)
	}
	if !strings.Contains(o.HTML, `href="https://crm.example/f/confirm/abc"`) || !strings.Contains(o.HTML, `dir="rtl"`) {
		t.Errorf("opt-in = %s", o.HTML)
	}
}
