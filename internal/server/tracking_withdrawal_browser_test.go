package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
	"github.com/ecrm/ecrm/internal/tracking"
)

// TestBrowserTrackingStopsAfterLedgerWithdrawal runs the snippet in real
// Chromium: a visitor accepts the banner and is linked to its person by a
// signed identify. The person then opens their preference link (from a
// message) in the same browser and leaves everything. Back on the shop,
// the snippet's next batch is answered 410; it forgets its visitor and
// session ids, remembers analytics as refused and sends only anonymous
// page-view paths from then on; nothing of the old visitor is stored after
// the withdrawal. Accepting the banner again makes a new visitor, which a
// signed identify links and whose events are stored: the fresh banner
// consent goes on the ledger.
func TestBrowserTrackingStopsAfterLedgerWithdrawal(t *testing.T) {
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
	sig := tracking.IdentifySignature(secret, "ada@example.com")

	bs := newBrowserSession(t, chrome, db, "failed-withdrawal-")
	bctx, shot, step := bs.ctx, bs.shot, bs.step
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	events := func(vid string) []*crm.Event {
		t.Helper()
		p, err := db.FindEvents(ctx, crm.EventFilter{VisitorID: vid, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return p.Items
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("waited for %s; requests %+v", what, log.all())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	linkedTo := func(vid string) bool {
		v, err := db.FindVisitor(ctx, vid)
		return err == nil && v.ContactID != nil && *v.ContactID == contact.ID
	}

	step("accept in the banner and identify",
		chromedp.Navigate(shopURL+"/kettles"),
		chromedp.WaitVisible(chromedp.CSS(`#ecrm-banner button`)),
		chromedp.Click(chromedp.CSS(`#ecrm-banner button`)),
		poll(`/^[0-9a-f]{32}$/.test(ecrm.visitorId())`),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`ecrm('track', 'hello'); ecrm('identify', {email: 'ada@example.com', sig: %q})`, sig)),
	)
	vid := eval(`ecrm.visitorId()`)
	waitFor("the visitor linked and its events stored", func() bool { return linkedTo(vid) && len(events(vid)) >= 2 })

	link, err := db.PreferencesURL(ctx, contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(link, "/p/")
	step("leave everything in the preference centre",
		chromedp.Navigate(ecrmTS.URL+"/p/"+token),
		chromedp.WaitVisible(chromedp.CSS(`input[name=leave] + button`)),
		chromedp.Click(chromedp.CSS(`input[name=leave] + button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		shot("tracking-withdrawn-preferences"),
	)
	states, err := db.ConsentStates(ctx, contact.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.Purpose == crm.PurposeAnalytics && (s.Granted || s.Latest == nil || s.Latest.Source != crm.SourcePreferences) {
			t.Fatalf("analytics after leaving everything: %+v", s)
		}
	}
	stored := len(events(vid))
	before := len(log.collects())

	step("back on the shop", chromedp.Navigate(shopURL+"/kettles/blue"), poll(`typeof ecrm == 'function' && ecrm.v == 1`))
	// The snippet sends its page view (and a nudge now and then) until the
	// endpoint's answer makes it forget the visitor.
	waitFor("the snippet to forget its visitor", func() bool {
		if eval(`String(ecrm.visitorId())`) == "null" {
			return true
		}
		eval(`ecrm('track', 'still_here'), ''`)
		return false
	})
	if got := eval(`localStorage.getItem('ecrm_vid') + '|' + localStorage.getItem('ecrm_sid') + '|' + JSON.parse(localStorage.getItem('ecrm_consent')).a + '|' + document.cookie`); got != "null|null|false|" {
		t.Errorf("after the 410: vid|sid|analytics|cookie = %q", got)
	}
	if got := eval(`JSON.stringify(ecrm.consent())`); got != `{"analytics":false,"marketing":true}` {
		t.Errorf("consent as the page sees it = %s", got)
	}
	step("browse on", chromedp.Evaluate[chromedp.Void](`ecrm('product', {sku: 'K-1'}); history.pushState({}, '', '/kettles/red')`))
	n := len(log.collects())
	waitFor("an anonymous page view after the withdrawal", func() bool { return len(log.collects()) > n })
	after := log.collects()[n:]
	for _, r := range after {
		if strings.Contains(r.Body, `"v"`) || strings.Contains(r.Body, vid) {
			t.Errorf("an identifier left the page after the 410: %s", r.Body)
		}
	}
	if len(log.collects()) == before {
		t.Errorf("no collect request after the withdrawal")
	}
	if got := len(events(vid)); got != stored {
		t.Errorf("the withdrawn visitor has %d events, %d when the person left: something was stored after the withdrawal", got, stored)
	}

	// A fresh consent in the banner: a new visitor, linked, stored again.
	step("accept the banner anew",
		chromedp.Evaluate[chromedp.Void](`ecrm('consent', {analytics: true, marketing: true})`),
		poll(`/^[0-9a-f]{32}$/.test(ecrm.visitorId())`),
	)
	vid2 := eval(`ecrm.visitorId()`)
	if vid2 == vid {
		t.Fatalf("the visitor id came back after the withdrawal")
	}
	step("identify again", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`ecrm('identify', {email: 'ada@example.com', sig: %q}); ecrm('track', 'back_again')`, sig)))
	waitFor("the new visitor linked and stored", func() bool {
		return linkedTo(vid2) && len(events(vid2)) >= 2
	})
	states, _ = db.ConsentStates(ctx, contact.ID)
	for _, s := range states {
		if s.Purpose == crm.PurposeAnalytics && (!s.Granted || s.Latest.Source != crm.SourceTracking) {
			t.Errorf("analytics after the fresh banner consent: %+v", s)
		}
	}
}
