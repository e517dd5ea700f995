package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"golang.org/x/net/html"
)

// Canaries that would run script if any template printed them raw.
const (
	xssScript = `<script>alert(1)</script>`
	xssAttr   = `"><img src=x onerror=alert(1)>`
	xssURL    = `javascript:alert(1)`
)

// TestStoredXSSIsEscaped stores the canaries in every free-text field the
// console shows (contact, company, activity, task, custom field label,
// options and values, tag, user name, API key and saved view names) and
// checks every page that shows them.
func TestStoredXSSIsEscaped(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	ctx := sys()
	all := xssScript + xssAttr + xssURL
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	admin := e.users[crm.RoleAdmin]
	_, err := e.svc.Users.UpdateUser(ctx, admin.ID, crm.UserInput{Name: ptr(xssAttr + xssScript)})
	must(err)
	for _, in := range []crm.CustomFieldInput{
		{Entity: ptr("contact"), Key: ptr("note"), Label: ptr(all), Type: ptr("text")},
		{Entity: ptr("contact"), Key: ptr("pick"), Label: ptr(xssAttr), Type: ptr("select"), Options: &[]string{xssScript, xssAttr, xssURL}},
		{Entity: ptr("contact"), Key: ptr("many"), Label: ptr(xssScript), Type: ptr("multi_select"), Options: &[]string{xssScript, xssAttr}},
		{Entity: ptr("company"), Key: ptr("seg"), Label: ptr(xssScript), Type: ptr("text")},
	} {
		_, err := e.svc.CustomFields.CreateCustomField(ctx, in)
		must(err)
	}
	co, err := e.svc.Companies.CreateCompany(ctx, crm.CompanyInput{Name: ptr(all), Industry: ptr(all), Street: ptr(all),
		City: ptr(all), Region: ptr(all), Tags: &[]string{xssScript, xssAttr}, Custom: map[string]any{"seg": all}, OwnerID: &admin.ID})
	must(err)
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr(xssScript), LastName: ptr(xssAttr),
		Email: ptr("canary@example.com"), Title: ptr(all), Street: ptr(all), City: ptr(all), Region: ptr(all),
		PostalCode: ptr("<b>x</b>"), Source: ptr(xssURL), CompanyID: &co.ID, Tags: &[]string{xssScript, xssAttr, xssURL},
		OwnerID: &admin.ID, Custom: map[string]any{"note": all, "pick": xssAttr, "many": []string{xssScript, xssAttr}}})
	must(err)
	d, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr(xssScript), LastName: ptr(xssAttr), Email: ptr("canary2@example.com")})
	must(err)
	for _, in := range []crm.ActivityInput{
		{Kind: ptr("call"), ContactID: &c.ID, Subject: ptr(all), Body: ptr(all), Outcome: ptr("busy")},
		{Kind: ptr("note"), CompanyID: &co.ID, Subject: ptr(all), Body: ptr(all)},
	} {
		_, err := e.svc.Activities.CreateActivity(ctx, in)
		must(err)
	}
	_, err = e.svc.Tasks.CreateTask(ctx, crm.TaskInput{Title: ptr(all), Body: ptr(all), ContactID: &c.ID, AssigneeID: &admin.ID,
		DueAt: ptr(e.svc.Now().Add(-1e12)), RemindAt: ptr(e.svc.Now().Add(-1e12))})
	must(err)
	adminCtx := crm.WithActor(ctx, mustActor(t, e, admin.ID))
	_, err = e.svc.Views.CreateView(adminCtx, crm.SavedView{Entity: "contact", Name: all, Query: xssURL + "&q=" + xssAttr})
	must(err)
	_, _, err = e.svc.APIKeys.CreateAPIKey(adminCtx, all, []string{"*"})
	must(err)

	id, cid := itoa(c.ID), itoa(co.ID)
	cols := "&col=name&col=title&col=city&col=tags&col=owner&col=company&col=cf.note&col=cf.pick&col=cf.many"
	pages := []string{"/", "/contacts?q=" + cols, "/contacts/" + id, "/contacts/" + id + "/edit", "/contacts/" + id + "/delete",
		"/contacts/" + id + "/merge?other_id=" + itoa(d.ID), "/contacts/" + id + "/timeline",
		"/companies?col=name&col=industry&col=city&col=tags&col=owner&col=cf.seg", "/companies/" + cid, "/companies/" + cid + "/edit",
		"/admin/users", "/admin/fields", "/admin/audit", "/admin/apikeys", "/contacts/new"}
	for _, lang := range []string{"en", "fa"} {
		cl := e.session(crm.RoleAdmin)
		cl.lang = lang
		for _, p := range pages {
			for _, htmx := range []bool{false, true} {
				var hdr []string
				if htmx {
					hdr = []string{"HX-Request", "true", "HX-Target", "results"}
				}
				rec := e.do(cl, http.MethodGet, p, nil, hdr...)
				if rec.Code != http.StatusOK {
					t.Fatalf("%s %s = %d\n%s", lang, p, rec.Code, rec.Body)
				}
				checkEscaped(t, lang+" "+p, rec.Body.String())
			}
		}
	}
	// The canaries must have reached the pages, escaped, or this test
	// proves nothing.
	body := e.do(e.session(crm.RoleAdmin), http.MethodGet, "/contacts/"+id, nil).Body.String()
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("escaped canary not on the contact page")
	}
}

// checkEscaped fails if the page has a script other than the console's
// own files, any on* attribute, an element the canaries could create, or
// a javascript: link.
func checkEscaped(t *testing.T, where, body string) {
	t.Helper()
	if strings.Contains(body, xssScript) || strings.Contains(body, "<img src=x") {
		t.Errorf("%s: raw canary in the page", where)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, ok := s.Attr("src"); !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("%s: unexpected script element %v", where, s.Nodes[0].Attr)
		}
	})
	if d.Find("img, b").Length() > 0 {
		t.Errorf("%s: markup from stored data was rendered as elements", where)
	}
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("%s: event handler attribute %s=%q on <%s>", where, a.Key, a.Val, s.Nodes[0].Data)
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "hx-get" || a.Key == "hx-post") &&
				strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("%s: javascript: URL in %s on <%s>", where, a.Key, s.Nodes[0].Data)
			}
			if a.Key == "style" {
				t.Errorf("%s: style attribute on <%s> breaks the CSP", where, s.Nodes[0].Data)
			}
		}
		if s.Nodes[0].Type == html.ElementNode && s.Nodes[0].Data == "style" {
			t.Errorf("%s: inline <style> breaks the CSP", where)
		}
	})
}
