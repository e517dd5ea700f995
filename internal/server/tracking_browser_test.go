package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/tracking"
)

// collectLog keeps every request the browser makes to ecrm's tracking
// routes: what left the page, exactly.
type collectLog struct {
	mu   sync.Mutex
	reqs []seenRequest
}

type seenRequest struct {
	Method, URL, Body, Cookie string
}

func (l *collectLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/t/") {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			l.mu.Lock()
			l.reqs = append(l.reqs, seenRequest{r.Method, r.URL.String(), string(b), r.Header.Get("Cookie")})
			l.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (l *collectLog) collects() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []seenRequest
	for _, r := range l.reqs {
		if r.Method == "POST" {
			out = append(out, r)
		}
	}
	return out
}

func (l *collectLog) all() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

const shopPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kettle shop</title></head>
<body><h1>Kettles</h1>
<script>window.ecrm=window.ecrm||function(){(ecrm.q=ecrm.q||[]).push(arguments)};ecrm('track','queued_before_load',{n:1});</script>
<script src="%s/t.js" data-site="%s" async></script></body></html>`

// TestBrowserTracking runs the snippet in real Chromium on a shop page
// served from another origin than ecrm. Before consent: no cookie (in the
// page and in the browser's cookie store), no localStorage or
// sessionStorage entry, and what reaches ecrm is only the path of each
// page view (no visitor or session id, no query string, no title).
// Accepting in the banner makes a visitor id; page views (also after SPA
// navigation) and a product view arrive in the database; a signed
// identify links the history to the contact; withdrawing deletes the
// identifiers, and what follows is anonymous again.
func TestBrowserTracking(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	log := &collectLog{}
	srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ecrmTS := httptest.NewServer(log.wrap(srv.Handler()))
	t.Cleanup(func() { ecrmTS.Close(); srv.Shutdown(context.Background()) })
	// The shop: another origin (localhost, not 127.0.0.1).
	var site *crm.Site
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, shopPage, ecrmTS.URL, site.PublicKey)
	}))
	t.Cleanup(shop.Close)
	shopURL := strings.Replace(shop.URL, "127.0.0.1", "localhost", 1)
	site, secret, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Kettle shop"), Origins: &[]string{shopURL}})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}

	bs := newBrowserSession(t, chrome, db, "failed-tracking-")
	bctx, shot, step := bs.ctx, bs.shot, bs.step
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	noIdentifiers := func(when string) {
		t.Helper()
		if got := eval(`document.cookie + '|' + localStorage.length + '|' + sessionStorage.length + '|' + String(ecrm.visitorId())`); got != "|0|0|null" {
			t.Errorf("%s: cookie|localStorage|sessionStorage|visitorId = %q", when, got)
		}
		cookies, err := chromedp.Call(bctx, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cookies.Cookies) > 0 {
			t.Errorf("%s: the browser holds cookies: %+v", when, cookies.Cookies[0])
		}
	}
	// checkAnonymous: every collect request so far after skip carried no
	// identifier: only page-view paths.
	checkAnonymous := func(when string, reqs []seenRequest) {
		t.Helper()
		for _, r := range reqs {
			if r.Cookie != "" {
				t.Errorf("%s: a cookie reached ecrm: %q", when, r.Cookie)
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
				t.Errorf("%s: body %q", when, r.Body)
				continue
			}
			if _, ok := p["v"]; ok || p["s"] != nil || p["id"] != nil {
				t.Errorf("%s: an identifier left the page: %s", when, r.Body)
			}
			for _, e := range p["e"].([]any) {
				ev := e.(map[string]any)
				u, _ := ev["u"].(string)
				if len(ev) != 2 || ev["n"] != "pageview" || !strings.HasPrefix(u, "/") || strings.ContainsAny(u, "?#") {
					t.Errorf("%s: more than a page-view path left the page: %s", when, r.Body)
				}
			}
		}
	}
	waitCollects := func(n int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for len(log.collects()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("waited for %d collect requests, have %d: %+v", n, len(log.collects()), log.all())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	step("open the shop before consent",
		chromedp.Navigate(shopURL+"/kettles?utm_source=news&email=ada@example.com#top"),
		chromedp.WaitVisible(chromedp.CSS(`#ecrm-banner button`)),
		shot("tracking-banner"),
	)
	if got := eval(`document.activeElement.textContent + '|' + document.querySelector('#ecrm-banner').getAttribute('role')`); got != "Accept all|dialog" {
		t.Errorf("banner focus and role = %q", got)
	}
	noIdentifiers("before consent")
	step("navigate in the page before consent", chromedp.Evaluate[chromedp.Void](`history.pushState({}, '', '/kettles/blue?ref=x')`))
	waitCollects(1)
	time.Sleep(1500 * time.Millisecond) // the debounced second page view
	before := log.collects()
	checkAnonymous("before consent", before)
	for _, r := range log.all() {
		if strings.Contains(r.URL, "email") || strings.Contains(r.URL, "utm") {
			t.Errorf("a page's query reached ecrm: %s", r.URL)
		}
	}
	noIdentifiers("after SPA navigation before consent")

	step("accept in the banner",
		chromedp.Click(chromedp.CSS(`#ecrm-banner button`)),
		poll(`!document.querySelector('#ecrm-banner') && /^[0-9a-f]{32}$/.test(ecrm.visitorId())`),
	)
	vid := eval(`ecrm.visitorId()`)
	if got := eval(`document.cookie + '|' + JSON.parse(localStorage.getItem('ecrm_consent')).a + '|' + localStorage.getItem('ecrm_vid')`); got != `|true|"`+vid+`"` {
		t.Errorf("after consent: %q", got)
	}
	step("browse with consent",
		chromedp.Evaluate[chromedp.Void](`history.pushState({}, '', '/kettles/red?utm_campaign=spring'); document.title = 'Red kettle'`),
		chromedp.Evaluate[chromedp.Void](`ecrm('product', {sku: 'K-RED', name: 'Red kettle', price: 24.5, currency: 'EUR'}); ecrm('cart', {sku: 'K-RED', price: 24.5, currency: 'EUR', quantity: 2}); ecrm('search', 'kettle')`),
		chromedp.Evaluate[chromedp.Void](`history.pushState({}, '', '/checkout'); ecrm('checkout', {value: 49, currency: 'EUR'})`),
	)
	waitEvents := func(want int) []*crm.Event {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			p, err := db.FindEvents(ctx, crm.EventFilter{VisitorID: vid, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) >= want {
				return p.Items
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited for %d events of %s, have %d; requests %+v", want, vid, len(p.Items), log.collects())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	evs := waitEvents(6)
	names := map[string]*crm.Event{}
	for _, e := range evs {
		if names[e.Name] == nil {
			names[e.Name] = e
		}
	}
	for _, n := range []string{"pageview", "product_view", "add_to_cart", "search", "checkout"} {
		if names[n] == nil {
			t.Errorf("no %s event; have %v", n, evs)
		}
	}
	if p := names["product_view"]; p != nil && (p.ProductSKU != "K-RED" || p.Value == nil || *p.Value != 2450 || p.Path != "/kettles/red" || p.UTMCampaign != "spring") {
		t.Errorf("product view = %+v", p)
	}
	if evs[0].SessionID == "" || !slices.ContainsFunc(evs, func(e *crm.Event) bool {
		return e.Name == "pageview" && e.Title == "Red kettle" || e.Path == "/kettles/red"
	}) {
		t.Errorf("page views after SPA navigation: %+v", evs)
	}
	// An unsigned identify is not even sent; a signed one links the visitor.
	step("identify", chromedp.Evaluate[chromedp.Void](`ecrm('identify', {email: 'ada@example.com'})`),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`ecrm('identify', {email: 'ada@example.com', sig: %q})`, tracking.IdentifySignature(secret, "ada@example.com"))))
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := db.FindVisitor(ctx, vid)
		if err == nil && v.ContactID != nil && *v.ContactID == contact.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("visitor not linked: %+v %v", v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wa, err := db.WebActivity(ctx, contact.ID)
	if err != nil || len(wa.ProductViews) != 1 || wa.ProductViews[0].Name != "Red kettle" || len(wa.Sessions) == 0 {
		t.Errorf("contact's web activity = %+v, %v", wa, err)
	}

	n := len(log.collects())
	step("withdraw", chromedp.Evaluate[chromedp.Void](`ecrm('consent', {analytics: false, marketing: false})`))
	if got := eval(`document.cookie + '|' + localStorage.getItem('ecrm_vid') + '|' + localStorage.getItem('ecrm_sid') + '|' + String(ecrm.visitorId())`); got != "|null|null|null" {
		t.Errorf("after withdrawing: %q", got)
	}
	step("browse after withdrawing", chromedp.Evaluate[chromedp.Void](`history.pushState({}, '', '/after?x=1'); ecrm('product', {sku: 'K-1'})`))
	waitCollects(n + 1)
	time.Sleep(1200 * time.Millisecond)
	after := log.collects()
	// The last request before withdrawing may flush consented events; what
	// comes after the withdrawal is anonymous.
	checkAnonymous("after withdrawing", after[len(after)-1:])
	step("reload: the choice is remembered, no banner",
		chromedp.Navigate(shopURL+"/kettles"),
		chromedp.Sleep(500*time.Millisecond),
	)
	if got := eval(`String(!!document.querySelector('#ecrm-banner')) + '|' + String(ecrm.visitorId()) + '|' + localStorage.length`); got != "false|null|1" {
		t.Errorf("after reload: banner|visitor|storage = %q", got)
	}
	cookies, _ := chromedp.Call(bctx, storage.GetCookies, storage.GetCookiesParams{})
	if len(cookies.Cookies) > 0 {
		t.Errorf("cookies at the end: %+v", cookies.Cookies)
	}
	// Global Privacy Control: the banner says analytics stays off, and
	// accepting everything still makes no identifier.
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})`}); err != nil {
		t.Fatal(err)
	}
	step("open the shop with GPC",
		chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
		chromedp.Navigate(shopURL+"/gpc"),
		chromedp.WaitVisible(chromedp.CSS(`#ecrm-banner button`)),
		shot("tracking-banner-gpc"),
	)
	if got := eval(`document.querySelector('#ecrm-banner').innerText.includes('Global Privacy Control') + '|' + document.querySelector('#ecrm-banner input[name=analytics]').disabled`); got != "true|true" {
		t.Errorf("GPC banner: notice|analytics disabled = %q", got)
	}
	step("accept all under GPC", chromedp.Click(chromedp.CSS(`#ecrm-banner button`)), poll(`!document.querySelector('#ecrm-banner')`))
	if got := eval(`String(ecrm.visitorId()) + '|' + localStorage.getItem('ecrm_vid') + '|' + document.cookie`); got != "null|null|" {
		t.Errorf("under GPC after accepting: %q", got)
	}
	var stats *crm.SiteStats
	if stats, err = db.SiteStats(ctx, site.ID, time.Now().Add(-time.Hour)); err != nil || stats.PageViews < 2 {
		t.Errorf("cookieless counts = %+v, %v", stats, err)
	}
}
