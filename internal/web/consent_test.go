package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, consentTargets)
	pageParts = append(pageParts, consentPageCases)
}

func consentTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	if pattern != "POST /contacts/{id}/consents" {
		return nil, false
	}
	return url.Values{"topic": {"marketing/email"}, "status": {"granted"}, "legal_basis": {"consent"}, "wording": {"Told me on the phone"}}, true
}

// consentPageCases: the 360 page's consent section (htmx and page) with a
// ledger entry, and the preference centre with its invalid-link page.
func consentPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	if _, err := e.svc.Consents.RecordConsent(sys(), crm.ConsentInput{ContactID: fx.contact, Purpose: "marketing", Channel: "email", Status: "granted",
		Source: crm.SourceForm, SourceRef: "newsletter", Wording: "News by email", WordingVersion: "2", IP: "203.0.113.5"}); err != nil {
		t.Fatal(err)
	}
	// A second contact whose first link was revoked: the 410 page.
	other, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Revoked")})
	if err != nil {
		t.Fatal(err)
	}
	revoked := prefsPath(t, e, other.ID)
	if _, err := e.svc.Links.RevokePreferenceLink(sys(), other.ID); err != nil {
		t.Fatal(err)
	}
	return []pageCase{
		{"contact", "/contacts/{contact}", "div#consents[hx-get='/contacts/{contact}/consents']", 200},
		{"consents", "/contacts/{contact}/consents", "section.consents details table tbody tr", 200},
		{"preferences", prefsPath(t, e, fx.contact), "form input[type=checkbox][name='marketing/email'][checked]", 200},
		{"preferences_invalid", "/p/not-a-token", "article h1", 404},
		{"preferences_revoked", revoked, "article h1", 410},
	}
}

func prefsPath(t *testing.T, e *env, contactID int64) string {
	t.Helper()
	s, err := e.svc.Links.Signer(sys())
	if err != nil {
		t.Fatal(err)
	}
	return "/p/" + s.Token(crm.TokenPreferences, strconv.FormatInt(contactID, 10), time.Time{})
}

// TestPreferenceCentre: a person opens their link with no session, turns
// SMS on and email off; the ledger gets exactly those two entries with
// their IP, agent and the words they saw; "unsubscribe from everything"
// withdraws every grant in one click; forged tokens, tokens for another
// purpose and links of an erased contact all show the invalid-link page.
func TestPreferenceCentre(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	ctx := sys()
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Sara"), Email: ptr("sara@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"marketing/email", "personalisation/web"} {
		p, ch, _ := strings.Cut(topic, "/")
		if _, err := e.svc.Consents.RecordConsent(ctx, crm.ConsentInput{ContactID: c.ID, Purpose: p, Channel: ch, Status: "granted", Source: crm.SourceForm}); err != nil {
			t.Fatal(err)
		}
	}
	path := prefsPath(t, e, c.ID)
	rec := e.do(nil, http.MethodGet, path, nil)
	if rec.Code != 200 || rec.Header().Get("Referrer-Policy") != "no-referrer" || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("GET = %d, referrer %q, cookie %q", rec.Code, rec.Header().Get("Referrer-Policy"), rec.Header().Get("Set-Cookie"))
	}
	d := doc(t, rec)
	if d.Find("input[name='marketing/email'][checked]").Length() != 1 || d.Find("input[name='marketing/sms'][checked]").Length() != 0 {
		t.Fatalf("the page does not show the current state")
	}

	post := func(form url.Values) {
		t.Helper()
		req := e.do(nil, http.MethodPost, path, form, "User-Agent", "PrefsTest/1")
		if req.Code != http.StatusSeeOther {
			t.Fatalf("POST = %d\n%s", req.Code, req.Body)
		}
	}
	before := ledger(t, e, c.ID)
	post(url.Values{"marketing/sms": {"on"}, "personalisation/web": {"on"}})
	after := ledger(t, e, c.ID)
	if len(after)-len(before) != 2 {
		t.Fatalf("%d new entries, want 2 (email off, SMS on)", len(after)-len(before))
	}
	for _, x := range after[:2] {
		if x.Source != crm.SourcePreferences || x.UserAgent != "PrefsTest/1" || x.IP == "" || x.Wording == "" || !strings.HasPrefix(x.WordingVersion, "preferences-1/") {
			t.Errorf("entry lacks its evidence: %+v", x)
		}
	}
	want := map[string]bool{"marketing/sms": true, "personalisation/web": true}
	checkStates(t, e, c.ID, want)

	post(url.Values{"leave": {"1"}})
	checkStates(t, e, c.ID, map[string]bool{})
	if d := doc(t, e.do(nil, http.MethodGet, path+"?saved=all", nil)); d.Find("p.notice").Length() != 1 {
		t.Errorf("no confirmation after leaving everything")
	}

	s, _ := e.svc.Links.Signer(ctx)
	other := s.Token(crm.TokenSurvey, strconv.FormatInt(c.ID, 10), time.Time{})
	tampered := path[:len(path)-3] + "AAA"
	for _, bad := range []string{"/p/forged", "/p/" + other, tampered} {
		if rec := e.do(nil, http.MethodGet, bad, nil); rec.Code != 404 {
			t.Errorf("GET %s = %d, want 404", bad, rec.Code)
		}
		if rec := e.do(nil, http.MethodPost, bad, url.Values{"leave": {"1"}}); rec.Code != 404 {
			t.Errorf("POST %s = %d, want 404", bad, rec.Code)
		}
	}
	// A cross-site POST (a page elsewhere submitting the form) is refused.
	req := e.do(nil, http.MethodPost, path, url.Values{"leave": {"1"}}, "Sec-Fetch-Site", "cross-site")
	if req.Code != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", req.Code)
	}
	if err := e.svc.Contacts.DeleteContact(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if rec := e.do(nil, http.MethodGet, path, nil); rec.Code != 404 {
		t.Errorf("erased contact's link = %d, want 404", rec.Code)
	}
}

// TestPreferenceLinkRevoke: the contact's consent section shows when the
// link was last used; a sales user revokes it there (htmx and plain
// form); the old link then answers 410 with the "no longer valid" page in
// the reader's language, and refuses a save; the link the section shows
// now works; read-only staff see the dates but neither the link nor the
// button, and their POST is refused. On both engines.
func TestPreferenceLinkRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Sara"), Email: ptr("sara@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		sales := e.session(crm.RoleSales)
		base := "/contacts/" + itoa(c.ID)
		section := func(cl *client) *goquery.Document {
			t.Helper()
			rec := e.do(cl, http.MethodGet, base+"/consents", nil, "HX-Request", "true")
			if rec.Code != 200 {
				t.Fatalf("section = %d", rec.Code)
			}
			return doc(t, rec)
		}
		shown := func(d *goquery.Document) string {
			v, _ := d.Find("#pref-link input[readonly]").Attr("value")
			_, p, _ := strings.Cut(v, "/p/")
			return "/p/" + p
		}
		d := section(sales)
		old := shown(d)
		if old != prefsPath(t, e, c.ID) || !strings.Contains(d.Find(".pref-link-used").Text(), "not been used") {
			t.Fatalf("section before use: link %q, %q", old, d.Find(".pref-link-used").Text())
		}
		if rec := e.do(nil, http.MethodGet, old, nil); rec.Code != 200 {
			t.Fatalf("the person opens the link: %d", rec.Code)
		}
		if txt := section(sales).Find(".pref-link-used").Text(); !strings.Contains(txt, "Link last used") {
			t.Errorf("last use not shown: %q", txt)
		}
		rec := e.do(sales, http.MethodPost, base+"/preference-link/revoke", nil, "HX-Request", "true")
		if rec.Code != 200 || doc(t, rec).Find("#pref-link p.notice").Length() != 1 {
			t.Fatalf("revoke = %d\n%s", rec.Code, rec.Body)
		}
		fresh := shown(doc(t, rec))
		if fresh == old || fresh == "/p/" {
			t.Fatalf("the section shows no new link: %q", fresh)
		}
		for lang, want := range map[string]string{"en": "no longer valid", "fa": "دیگر معتبر نیست", "ja": "もう有効ではありません"} {
			rec := e.do(nil, http.MethodGet, old, nil, "Accept-Language", lang)
			if rec.Code != http.StatusGone || !strings.Contains(doc(t, rec).Find("article h1").Text(), want) || rec.Header().Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("old link in %s = %d %q", lang, rec.Code, doc(t, rec).Find("article h1").Text())
			}
		}
		before := len(ledger(t, e, c.ID))
		if rec := e.do(nil, http.MethodPost, old, url.Values{"leave": {"1"}}); rec.Code != http.StatusGone || len(ledger(t, e, c.ID)) != before {
			t.Errorf("saving through the old link = %d, ledger %d → %d", rec.Code, before, len(ledger(t, e, c.ID)))
		}
		if rec := e.do(nil, http.MethodGet, fresh, nil); rec.Code != 200 {
			t.Errorf("new link = %d", rec.Code)
		}
		// Without htmx: a redirect back to the section, which confirms.
		rec = e.do(sales, http.MethodPost, base+"/preference-link/revoke", url.Values{})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != base+"/consents?revoked=1" {
			t.Errorf("plain revoke = %d %q", rec.Code, rec.Header().Get("Location"))
		}
		if rec := e.do(nil, http.MethodGet, fresh, nil); rec.Code != http.StatusGone {
			t.Errorf("second link after the second revocation = %d", rec.Code)
		}
		ro := e.session(crm.RoleReadOnly)
		d = section(ro)
		if d.Find("#pref-link form").Length() != 0 || d.Find("#pref-link input").Length() != 0 || !strings.Contains(d.Find(".pref-link-used").Text(), "revoked") {
			t.Errorf("read-only section: %s", d.Find("#pref-link").Text())
		}
		if rec := e.do(ro, http.MethodPost, base+"/preference-link/revoke", nil); rec.Code != http.StatusForbidden {
			t.Errorf("read-only revoke = %d, want 403", rec.Code)
		}
	})
}

func ledger(t *testing.T, e *env, id int64) []*crm.Consent {
	t.Helper()
	h, err := e.svc.Consents.ConsentHistory(sys(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkStates(t *testing.T, e *env, id int64, want map[string]bool) {
	t.Helper()
	st, err := e.svc.Consents.ConsentStates(sys(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Granted != want[s.Purpose+"/"+s.Channel] {
			t.Errorf("%s/%s granted = %v", s.Purpose, s.Channel, s.Granted)
		}
	}
}

// TestConsentSection: staff record a consent from the 360 page; the entry
// says it was given to them; field errors come back in the section; the
// wording and source of entries are escaped (an XSS canary).
func TestConsentSection(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Kenji")})
	if err != nil {
		t.Fatal(err)
	}
	canary := `<script>alert("xss")</script>`
	if _, err := e.svc.Consents.RecordConsent(sys(), crm.ConsentInput{ContactID: c.ID, Purpose: "partners", Channel: "any", Status: "granted",
		Source: crm.SourceForm, SourceRef: canary, Wording: canary, UserAgent: canary}); err != nil {
		t.Fatal(err)
	}
	sales := e.session(crm.RoleSales)
	base := "/contacts/" + itoa(c.ID) + "/consents"
	rec := e.do(sales, http.MethodPost, base, url.Values{"topic": {"marketing/phone"}, "status": {"granted"}, "legal_basis": {"consent"}, "wording": {"Agreed on the phone"}}, "HX-Request", "true")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Agreed on the phone") {
		t.Fatalf("record = %d\n%s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), canary) || !strings.Contains(rec.Body.String(), "&lt;script&gt;") {
		t.Errorf("the canary is not escaped")
	}
	h := ledger(t, e, c.ID)
	if h[0].Source != crm.SourceStaff || h[0].SourceRef != e.users[crm.RoleSales].Name || h[0].IP != "" {
		t.Errorf("staff entry = %+v", h[0])
	}
	rec = e.do(sales, http.MethodPost, base, url.Values{"topic": {"marketing/web"}, "status": {"granted"}, "expires": {"soon"}}, "HX-Request", "true")
	if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("section.consents ul.errors li").Length() == 0 {
		t.Errorf("bad input = %d, want 422 with errors in the section\n%s", rec.Code, rec.Body)
	}
	rec = e.do(sales, http.MethodPost, base, url.Values{"topic": {"marketing/web"}, "status": {"granted"}}, "HX-Request", "true")
	if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("section.consents ul.errors li").Length() == 0 {
		t.Errorf("bad topic = %d, want 422 with errors in the section", rec.Code)
	}
	// The read-only role sees the ledger but neither the form nor the link.
	ro := e.do(e.session(crm.RoleReadOnly), http.MethodGet, base, nil, "HX-Request", "true")
	if d := doc(t, ro); ro.Code != 200 || d.Find("form").Length() != 0 || strings.Contains(ro.Body.String(), "/p/") {
		t.Errorf("read-only sees the form or the preference link")
	}
}
