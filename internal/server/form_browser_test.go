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
)

const formShopPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kettle shop</title></head>
<body><h1>Newsletter</h1>
<script src="%[1]s/t.js" data-site="%[2]s" async></script>
<script src="%[1]s/f/news/embed.js" async></script>
</body></html>`

// TestBrowserFormEmbed runs the embed in real Chromium on a shop page of
// another origin, with the tracking snippet: the visitor accepts
// tracking and views a product, then fills in the embedded form (a
// cross-site iframe in its own process). The iframe sizes itself, gets
// the visitor id from the page by postMessage, and the submission
// creates the contact, grants the ticked consent and links the visit
// history to the contact.
func TestBrowserFormEmbed(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	srv, err := New(Config{Addr: "127.0.0.1:0", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ecrmTS := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ecrmTS.Close(); srv.Shutdown(context.Background()) })
	var site *crm.Site
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, formShopPage, ecrmTS.URL, site.PublicKey)
	}))
	t.Cleanup(shop.Close)
	shopURL := strings.Replace(shop.URL, "127.0.0.1", "localhost", 1)
	site, _, err = db.CreateSite(ctx, crm.SiteInput{Name: ptr("Kettle shop"), Origins: &[]string{shopURL}})
	if err != nil {
		t.Fatal(err)
	}
	// Links and the embed's origin come from the public address.
	if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{PublicURL: &ecrmTS.URL}); err != nil {
		t.Fatal(err)
	}
	doi := false
	if _, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Newsletter"), Slug: ptr("news"), Title: ptr("Get the kettle news"), DoubleOptIn: &doi,
		Fields:   &[]crm.FormField{{Name: "first_name", Label: "First name", Maps: "first_name"}, {Name: "email", Label: "Email", Maps: "email", Required: true}},
		Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "Email me kettle news."}}}); err != nil {
		t.Fatal(err)
	}

	bs := newBrowserSession(t, chrome, db, "failed-form-")
	bctx, step := bs.ctx, bs.step
	step("open the shop and accept tracking",
		chromedp.Navigate(shopURL+"/kettles"),
		chromedp.WaitVisible(chromedp.CSS(`#ecrm-banner button`)),
		chromedp.Click(chromedp.CSS(`#ecrm-banner button`)),
		poll(`!document.querySelector('#ecrm-banner') && /^[0-9a-f]{32}$/.test(ecrm.visitorId())`),
		chromedp.Evaluate[chromedp.Void](`ecrm('product', {sku: 'K-RED', name: 'Red kettle', price: 24.5, currency: 'EUR'})`),
		// The iframe reported its height: no longer the embed's default.
		poll(`(function(){var f=document.querySelector('iframe'); return !!f && f.style.height !== '32rem' && parseInt(f.style.height) > 200})()`),
	)
	vid, err := chromedp.Run(bctx, chromedp.Evaluate[string](`ecrm.visitorId()`))
	if err != nil {
		t.Fatal(err)
	}
	var frameCtx context.Context
	deadline := time.Now().Add(15 * time.Second)
	for frameCtx == nil {
		infos, err := chromedp.Targets(bctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, ecrmTS.URL+"/f/news?embed=1") {
				c, cancel := chromedp.NewContext(bctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				frameCtx = c
			}
		}
		if frameCtx == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no iframe target among %+v", infos)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	frameStep := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(frameCtx, steps...); err != nil {
			chromedp.Do(bctx, bs.shot("failed-form-"+name))
			t.Fatalf("%s: %v", name, err)
		}
	}
	frameStep("fill in the form in the iframe",
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=first_name]`), "Ada"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "Ada@Example.com"),
		chromedp.Click(chromedp.CSS(`input[name='consent.marketing.email']`)),
		// The page answered the iframe's request for the visitor id.
		poll(fmt.Sprintf(`(function(){var i=document.querySelector('input[name=vid]'); return !!i && i.value === %q})()`, vid)),
		// A person takes longer than the timing check's two seconds.
		chromedp.Sleep(2200*time.Millisecond),
		chromedp.Click(chromedp.CSS(`form.public-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.done`)),
	)
	chromedp.Do(bctx, bs.shot("form-embed-done"))

	page, err := db.FindContacts(ctx, crm.ContactFilter{Email: "ada@example.com", Limit: 2})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("contacts = %+v, %v", page.Items, err)
	}
	c := page.Items[0]
	if c.FirstName != "Ada" || c.Source != "form" {
		t.Errorf("contact = %+v", c)
	}
	v, err := db.FindVisitor(ctx, vid)
	if err != nil || v.ContactID == nil || *v.ContactID != c.ID || v.LinkSource != crm.LinkForm {
		t.Fatalf("visitor = %+v, %v", v, err)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		wa, err := db.WebActivity(ctx, c.ID)
		if err == nil && len(wa.ProductViews) == 1 && wa.ProductViews[0].Name == "Red kettle" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the visit history is not on the contact: %+v, %v", wa, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	states, err := db.ConsentStates(ctx, c.ID)
	if err != nil || !states[0].Granted || states[0].Latest.Source != crm.SourceForm || states[0].Latest.Wording != "Email me kettle news." {
		t.Errorf("consent = %+v, %v", states[0], err)
	}
}
