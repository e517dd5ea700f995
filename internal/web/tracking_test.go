package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, trackingTargets)
	pageParts = append(pageParts, trackingPageCases)
}

const webVisitor = "0123456789abcdef0123456789abcdef"

// seedWeb writes a session of events for a visitor linked to contact:
// page views and product views whose every browser-sent field is text.
func seedWeb(t *testing.T, e *env, site, contact int64, text string) {
	t.Helper()
	now := time.Now()
	v := int64(1999)
	var evs []*crm.Event
	for i := range 3 {
		evs = append(evs, &crm.Event{SiteID: site, VisitorID: webVisitor, SessionID: "0123456789abcdef", Name: crm.EventProduct,
			URL: "https://shop.example/p/k?utm_source=" + url.QueryEscape(text), Path: "/p/k", Title: text, Referrer: "https://ref.example/?" + text,
			UTMSource: text, ProductSKU: "K-1", ProductName: "Kettle " + text, Value: &v, Currency: "EUR", Props: map[string]any{"note": text},
			OccurredAt: now.Add(time.Duration(i-5) * time.Minute), ReceivedAt: now})
	}
	evs = append(evs, &crm.Event{SiteID: site, VisitorID: webVisitor, SessionID: "0123456789abcdef", Name: "custom." + "x", Path: "/" + text, Title: text, OccurredAt: now, ReceivedAt: now})
	if err := e.db.WriteEvents(sys(), crm.EventBatch{Events: evs, Counts: []crm.PageCountDelta{{SiteID: site, Day: now.UnixMilli() / 86400000, Path: "/" + text, N: 4}}}); err != nil {
		t.Fatal(err)
	}
	if contact != 0 {
		if err := e.svc.Tracking.LinkVisitor(sys(), webVisitor, contact, crm.LinkForm); err != nil {
			t.Fatal(err)
		}
	}
}

func trackingPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	s, _, err := e.svc.Tracking.CreateSite(sys(), crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{"https://shop.example"}})
	if err != nil {
		t.Fatal(err)
	}
	seedWeb(t, e, s.ID, fx.contact, "Kettle page")
	show := "/tracking/sites/" + itoa(s.ID)
	return []pageCase{
		{"tracking_sites", "/tracking/sites", "table.sites tbody tr td a[href='" + show + "']", 200},
		{"tracking_site", show, "table.events tbody tr td", 200},
		{"web_activity", "/contacts/{contact}/web-activity", "section.web-activity li.product-views", 200},
	}
}

// trackingTargets makes a fresh site for every tracking route of the
// console's authorisation matrix.
func trackingTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/tracking/") {
		return nil, false
	}
	s, _, err := e.svc.Tracking.CreateSite(sys(), crm.SiteInput{Name: ptr("Shop")})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/tracking/sites/{id}"] = s.ID
	switch pattern {
	case "POST /tracking/sites", "POST /tracking/sites/{id}":
		return url.Values{"name": {"Shop"}, "origins": {"https://shop.example"}, "banner_position": {"bottom"}, "banner_language": {"en"}, "active": {"1"}}, true
	}
	return nil, true
}

// TestTrackingPages: a site is created from the console with its secret
// shown once and its snippet tag; bad input redisplays with field errors;
// the contact's web activity summarises the week ("viewed Kettle three
// times") and lists the session; XSS canaries in every field a browser
// sends (URL, title, referrer, UTM, product, properties, paths of the
// cookieless count) are escaped on the site page and the contact's web
// activity, as a fragment and as a page.
func TestTrackingPages(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.session(crm.RoleMarketing)
	rec := e.do(admin, http.MethodPost, "/tracking/sites", url.Values{"name": {"Shop"}, "origins": {"https://shop.example\nnot an origin"}, "banner_position": {"bottom"}, "banner_language": {"en"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `aria-invalid="true"`) {
		t.Fatalf("bad origin: %d", rec.Code)
	}
	rec = e.do(admin, http.MethodPost, "/tracking/sites", url.Values{"name": {"Shop"}, "origins": {"https://shop.example"}, "banner_position": {"top"}, "banner_language": {"fa"}, "banner": {"1"}, "active": {"1"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d\n%s", rec.Code, rec.Body)
	}
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	secret := strings.TrimSpace(doc.Find("article.secret code").Text())
	tag := doc.Find("code.site-tag").Text()
	if !strings.HasPrefix(secret, "ids_") || !strings.Contains(tag, `/t.js" data-site="pk_`) {
		t.Fatalf("secret %q tag %q", secret, tag)
	}
	sites, _ := e.svc.Tracking.FindSites(sys())
	site := sites[0]
	if site.Position != "top" || site.Language != "fa" || !site.Banner {
		t.Errorf("site = %+v", site)
	}
	show := "/tracking/sites/" + itoa(site.ID)
	if body := e.do(admin, http.MethodGet, show, nil).Body.String(); strings.Contains(body, secret) {
		t.Errorf("the secret is shown again")
	}
	if rec := e.do(e.session(crm.RoleSales), http.MethodGet, "/tracking/sites", nil); rec.Code != http.StatusForbidden {
		t.Errorf("sales on sites: %d", rec.Code)
	}

	all := xssScript + xssAttr + xssURL
	c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	seedWeb(t, e, site.ID, c.ID, all)
	if _, _, err := e.svc.Tracking.CreateSite(sys(), crm.SiteInput{Name: ptr(all), PrivacyURL: ptr("https://shop.example/privacy?" + url.QueryEscape(all))}); err != nil {
		t.Fatal(err)
	}
	wa := "/contacts/" + itoa(c.ID) + "/web-activity"
	for _, lang := range []string{"en", "fa", "ja"} {
		cl := e.session(crm.RoleAdmin)
		cl.lang = lang
		for _, p := range []string{"/tracking/sites", show, wa, "/contacts/" + itoa(c.ID)} {
			for _, htmx := range []bool{false, true} {
				var hdr []string
				if htmx {
					hdr = []string{"HX-Request", "true"}
				}
				rec := e.do(cl, http.MethodGet, p, nil, hdr...)
				if rec.Code != http.StatusOK {
					t.Fatalf("%s %s = %d\n%s", lang, p, rec.Code, rec.Body)
				}
				checkEscaped(t, lang+" "+p, rec.Body.String())
			}
		}
	}
	body := e.do(e.session(crm.RoleAdmin), http.MethodGet, wa, nil, "HX-Request", "true").Body.String()
	if !strings.Contains(body, "Viewed Kettle &lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, " 3 times this week") {
		t.Errorf("summary missing or unescaped:\n%s", body)
	}
	if !strings.Contains(e.do(e.session(crm.RoleAdmin), http.MethodGet, show, nil).Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("escaped canary not on the site page")
	}
	// Support reads events: it sees the section; a contact without web
	// activity says so.
	other, _ := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Bo")})
	if b := e.do(e.session(crm.RoleSupport), http.MethodGet, "/contacts/"+itoa(other.ID)+"/web-activity", nil, "HX-Request", "true").Body.String(); !strings.Contains(b, "No web activity") {
		t.Errorf("empty web activity: %s", b)
	}
	// Rotate shows a new secret once; delete asks first.
	rec = e.do(admin, http.MethodPost, show+"/rotate", nil)
	doc, _ = goquery.NewDocumentFromReader(rec.Body)
	if s2 := strings.TrimSpace(doc.Find("article.secret code").Text()); rec.Code != 200 || s2 == secret || !strings.HasPrefix(s2, "ids_") {
		t.Errorf("rotate: %d %q", rec.Code, s2)
	}
	rec = e.do(admin, http.MethodPost, show, url.Values{"name": {"Shop 2"}, "origins": {"https://shop.example"}, "banner_position": {"bottom"}, "banner_language": {"ja"}, "banner_color": {"#336699"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", rec.Code, rec.Body)
	}
	if x, _ := e.svc.Tracking.FindSiteByID(sys(), site.ID); x.Name != "Shop 2" || x.Active || x.Banner || x.Color != "#336699" {
		t.Errorf("updated = %+v", x)
	}
	if rec := e.do(admin, http.MethodPost, show+"/delete", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("delete: %d", rec.Code)
	}
}
