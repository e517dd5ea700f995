package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// fixture is a small realistic data set: custom fields of every type, a
// company with people (two of them near-duplicates), a timeline, tasks,
// a saved view and an API key.
type fixture struct {
	company, contact, dup, japanese, task, field, view, key int64
}

func seed(t *testing.T, e *env) fixture {
	t.Helper()
	ctx := sys()
	var fx fixture
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fields := []crm.CustomFieldInput{
		{Entity: ptr("contact"), Key: ptr("nickname"), Label: ptr("Nickname"), Type: ptr("text")},
		{Entity: ptr("contact"), Key: ptr("score"), Label: ptr("Score"), Type: ptr("number")},
		{Entity: ptr("contact"), Key: ptr("renewal"), Label: ptr("Renewal"), Type: ptr("date")},
		{Entity: ptr("contact"), Key: ptr("tier"), Label: ptr("Tier"), Type: ptr("select"), Options: &[]string{"gold", "silver"}},
		{Entity: ptr("contact"), Key: ptr("channels"), Label: ptr("Channels"), Type: ptr("multi_select"), Options: &[]string{"email", "sms", "phone"}},
		{Entity: ptr("contact"), Key: ptr("vip"), Label: ptr("VIP"), Type: ptr("boolean")},
		{Entity: ptr("company"), Key: ptr("segment"), Label: ptr("Segment"), Type: ptr("text")},
	}
	for _, in := range fields {
		f, err := e.svc.CustomFields.CreateCustomField(ctx, in)
		must(err)
		fx.field = f.ID
	}
	admin := e.users[crm.RoleAdmin].ID
	co, err := e.svc.Companies.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme Trading"), Domain: ptr("acme.example"),
		Industry: ptr("Wholesale"), Size: ptr(1250), City: ptr("London"), Country: ptr("GB"), Tags: &[]string{"key-account"},
		Custom: map[string]any{"segment": "enterprise"}, OwnerID: &admin})
	must(err)
	fx.company = co.ID
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"),
		Email: ptr("ada@example.com"), Phone: ptr("+44 20 7946 0958"), Emails: &[]string{"ada@work.example"}, CompanyID: &co.ID,
		Title: ptr("Analyst"), Street: ptr("12 St James's Square"), City: ptr("London"), PostalCode: ptr("SW1Y 4JH"),
		Country: ptr("GB"), BirthDate: ptr("1985-12-10"), Language: ptr("en"), Stage: ptr("customer"), Source: ptr("referral"),
		Tags: &[]string{"vip", "newsletter"}, OwnerID: &admin,
		Custom: map[string]any{"nickname": "Countess", "score": 42.5, "renewal": "2027-03-01", "tier": "gold",
			"channels": []string{"email", "sms"}, "vip": true}})
	must(err)
	fx.contact = c.ID
	d, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"),
		Email: ptr("ada.l@example.com"), CompanyID: &co.ID, Stage: ptr("lead")})
	must(err)
	fx.dup = d.ID
	j, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("太郎"), LastName: ptr("山田"),
		Email: ptr("taro@example.jp"), Language: ptr("ja"), Country: ptr("JP"), Stage: ptr("opportunity")})
	must(err)
	fx.japanese = j.ID
	at := time.Date(2026, 3, 21, 10, 30, 0, 0, time.UTC)
	for _, in := range []crm.ActivityInput{
		{Kind: ptr("note"), ContactID: &c.ID, Body: ptr("Prefers email in the morning."), OccurredAt: &at},
		{Kind: ptr("call"), ContactID: &c.ID, Subject: ptr("Renewal"), Outcome: ptr("connected"), DurationSec: ptr(900), OccurredAt: &at},
		{Kind: ptr("meeting"), ContactID: &d.ID, Subject: ptr("Kick-off"), DurationSec: ptr(3600), OccurredAt: &at},
		{Kind: ptr("email"), CompanyID: &co.ID, Subject: ptr("Price list"), Body: ptr("Sent the 2026 prices.")},
	} {
		_, err := e.svc.Activities.CreateActivity(ctx, in)
		must(err)
	}
	past := e.svc.Now().Add(-48 * time.Hour)
	tk, err := e.svc.Tasks.CreateTask(ctx, crm.TaskInput{Title: ptr("Send contract"), ContactID: &c.ID, AssigneeID: &admin,
		DueAt: &past, RemindAt: &past})
	must(err)
	fx.task = tk.ID
	adminCtx := crm.WithActor(ctx, mustActor(t, e, admin))
	v, err := e.svc.Views.CreateView(adminCtx, crm.SavedView{Entity: "contact", Name: "UK customers", Query: "country=GB&stage=customer", Columns: []string{"name", "email"}})
	must(err)
	fx.view = v.ID
	k, _, err := e.svc.APIKeys.CreateAPIKey(adminCtx, "Website form", []string{"contacts:write"})
	must(err)
	fx.key = k.ID
	return fx
}

func mustActor(t *testing.T, e *env, id int64) *crm.Actor {
	t.Helper()
	a, err := e.svc.Users.ActorForUser(sys(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (fx fixture) expand(path string) string {
	r := strings.NewReplacer("{contact}", itoa(fx.contact), "{dup}", itoa(fx.dup), "{company}", itoa(fx.company),
		"{task}", itoa(fx.task), "{field}", itoa(fx.field), "{view}", itoa(fx.view), "{key}", itoa(fx.key))
	return r.Replace(path)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var persianDigit = regexp.MustCompile(`[۰-۹]`)

// pageCase is one page the locale test renders: the template it uses, the
// URL ({contact}, {company}… from the fixture) and a selector that must match.
type pageCase struct {
	page, path, want string
	status           int
}

// pageParts add the pages of one feature area (orders, deals, reports…)
// from that area's own test file; a part seeds what its pages show and
// returns their cases with the ids filled in.
var pageParts []func(t *testing.T, e *env, fx fixture) []pageCase

// TestPagesRenderInEveryLocale renders every page template with the
// fixture in English, Persian and Japanese.
func TestPagesRenderInEveryLocale(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	fx := seed(t, e)
	allCols := "col=name&col=email&col=phone&col=company&col=title&col=city&col=country&col=stage&col=owner&col=tags&col=created_at&col=updated_at&col=cf.nickname&col=cf.score&col=cf.renewal&col=cf.tier&col=cf.channels&col=cf.vip"
	pages := []pageCase{
		{"home", "/", "ul.tasks li.task", 200},
		{"contacts", "/contacts?" + allCols, "table tbody tr td a[href='/contacts/{contact}']", 200},
		{"contacts", "/contacts?stage=customer&sort=-created_at&cf.tier=gold", "th[aria-sort=descending]", 200},
		{"contact", "/contacts/{contact}", "ul.timeline li.entry", 200},
		{"contact_form", "/contacts/{contact}/edit", "input[name='cf.vip'][checked]", 200},
		{"contact_form", "/contacts/new", "form.record-form", 200},
		{"confirm", "/contacts/{contact}/delete", "form[action='/contacts/{contact}/delete']", 200},
		{"confirm", "/contacts/{contact}/merge?other_id={dup}", "input[name=other_id][value='{dup}']", 200},
		{"timeline", "/contacts/{contact}/timeline", "ul.timeline", 200},
		{"companies", "/companies?col=name&col=size&col=contacts&col=cf.segment&col=tags", "table tbody tr", 200},
		{"company", "/companies/{company}", "ul.timeline li.entry", 200},
		{"company_form", "/companies/{company}/edit", "input[name=name][value='Acme Trading']", 200},
		{"company_form", "/companies/new", "form.record-form", 200},
		{"import", "/import", "input[type=file]", 200},
		{"admin_users", "/admin/users", "table tbody tr", 200},
		{"admin_roles", "/admin/roles", "table.matrix tbody tr", 200},
		{"admin_apikeys", "/admin/apikeys", "table tbody tr code", 200},
		{"admin_fields", "/admin/fields", "table tbody tr code", 200},
		{"admin_audit", "/admin/audit", "table.audit tbody tr details", 200},
		{"admin_export", "/admin/export", "form[action='/admin/export']", 200},
		{"password", "/account/password", "input[name=new_password]", 200},
		{"error", "/contacts/999999", "article.error-page", 404},
		{"login", "/login", "input[name=email]", 200},
	}
	for _, part := range pageParts {
		pages = append(pages, part(t, e, fx)...)
	}
	covered := map[string]bool{}
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		for _, p := range pages {
			path := fx.expand(p.path)
			t.Run(lang+path, func(t *testing.T) {
				cl := c
				if p.page == "login" {
					cl = &client{lang: lang}
				}
				rec := e.do(cl, http.MethodGet, path, nil)
				if rec.Code != p.status {
					t.Fatalf("status = %d, want %d; body:\n%s", rec.Code, p.status, rec.Body)
				}
				d := doc(t, rec)
				wantDir := map[string]string{"en": "ltr", "fa": "rtl", "ja": "ltr"}[lang]
				if got := d.Find("html").AttrOr("dir", ""); got != wantDir {
					t.Errorf("dir = %q, want %q", got, wantDir)
				}
				if got := d.Find("html").AttrOr("lang", ""); got != lang {
					t.Errorf("lang = %q, want %q", got, lang)
				}
				if d.Find(fx.expand(p.want)).Length() == 0 {
					t.Errorf("no %q on the page", p.want)
				}
				if strings.Contains(rec.Body.String(), "console.") {
					t.Errorf("an untranslated key shows on the page: %s", regexp.MustCompile(`console\.[a-z_.]+`).FindString(rec.Body.String()))
				}
				covered[p.page] = true
			})
		}
	}
	// Persian pages write numbers and dates with Persian digits.
	c := e.session(crm.RoleAdmin)
	c.lang = "fa"
	body := e.do(c, http.MethodGet, fx.expand("/contacts/{contact}"), nil).Body.String()
	if !persianDigit.MatchString(body) || !strings.Contains(body, "۱۴۰۵") {
		t.Errorf("Persian contact page has no Persian digits or Jalali year 1405 for 2026")
	}

	// The import wizard's later steps and the htmx fragments.
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		rec := e.upload(c, "/import/preview", url.Values{"entity": {"contact"}, "encoding": {""}}, "first_name,email\nGrace,grace@example.com\nBad,not-an-email\n")
		if rec.Code != 200 || doc(t, rec).Find("select[name=field]").Length() != 2 {
			t.Fatalf("%s: import preview = %d\n%s", lang, rec.Code, rec.Body)
		}
		token := doc(t, rec).Find("input[name=token]").AttrOr("value", "")
		rec = e.do(c, http.MethodPost, "/import/run", url.Values{"token": {token}, "entity": {"contact"}, "encoding": {"utf-8"},
			"dedupe": {"skip"}, "header": {"first_name", "email"}, "field": {"first_name", "email"}})
		d := doc(t, rec)
		if rec.Code != 200 || d.Find("table tbody tr").Length() != 1 {
			t.Fatalf("%s: import report = %d\n%s", lang, rec.Code, rec.Body)
		}
		if lang == "fa" && !persianDigit.MatchString(d.Find("table tbody td").First().Text()) {
			t.Errorf("fa: rejected line number %q is not in Persian digits", d.Find("table tbody td").First().Text())
		}
		for _, frag := range []string{"/contacts?q=ada", "/companies?q=acme"} {
			rec := e.do(c, http.MethodGet, frag, nil, "HX-Request", "true", "HX-Target", "results")
			if rec.Code != 200 || strings.Contains(rec.Body.String(), "<html") || doc(t, rec).Find("tbody tr").Length() == 0 {
				t.Errorf("%s %s: fragment = %d\n%s", lang, frag, rec.Code, rec.Body)
			}
		}
		rec = e.do(c, http.MethodGet, "/contacts/count?stage=customer", nil, "HX-Request", "true")
		if want := map[string]string{"en": "1 contacts", "fa": "۱ مخاطب", "ja": "1件の連絡先"}[lang]; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: count = %q, want %q", lang, rec.Body, want)
		}
	}
	covered["import"] = true
	var missing []string
	for name := range e.srv.pages.sets {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("pages never rendered by this test: %v", missing)
	}
}
