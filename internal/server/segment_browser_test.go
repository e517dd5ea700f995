package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// seedLapsedBuyers makes five customers of whom only Lena is a one-time
// buyer of more than 60 days ago who viewed a product since and agreed to
// marketing email; each of the others misses one of those by one step.
func seedLapsedBuyers(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	ctx := storetest.System()
	now := time.Now().UTC()
	day := func(daysAgo int) string { return now.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	csv := strings.Join([]string{
		"order_id,email,date,sku,name,quantity,unit_price,currency,status",
		"L1,lena@example.com," + day(90) + ",TEA-1,Green tea,1,12.00,EUR,paid", // match
		"N1,nora@example.com," + day(90) + ",TEA-1,Green tea,1,12.00,EUR,paid", // no view since
		"T1,tom@example.com," + day(120) + ",TEA-1,Green tea,1,12.00,EUR,paid", // two orders
		"T2,tom@example.com," + day(80) + ",TEA-1,Green tea,1,12.00,EUR,paid",
		"R1,rea@example.com," + day(10) + ",TEA-1,Green tea,1,12.00,EUR,paid", // bought recently
		"E1,eli@example.com," + day(90) + ",TEA-1,Green tea,1,12.00,EUR,paid", // no consent
	}, "\n")
	if _, err := db.ImportOrders(ctx, strings.NewReader(csv), crm.OrderFileOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, name := range []string{"lena", "nora", "tom", "rea", "eli"} {
		page, err := db.FindContacts(ctx, crm.ContactFilter{Email: name + "@example.com", Limit: 1})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("contact %s: %v", name, err)
		}
		ids[name] = page.Items[0].ID
	}
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{"https://shop.example"}})
	if err != nil {
		t.Fatal(err)
	}
	// Visitor ids are hex, as the snippet makes them.
	visitor := func(name string) string { return fmt.Sprintf("%032x", name) }
	var evs []*crm.Event
	for _, name := range []string{"lena", "tom", "rea", "eli"} {
		evs = append(evs, &crm.Event{SiteID: site.ID, VisitorID: visitor(name), SessionID: "s-" + name, Name: "product_view",
			URL: "https://shop.example/tea", Path: "/tea", ProductSKU: "TEA-1", OccurredAt: now.AddDate(0, 0, -5), ReceivedAt: now.AddDate(0, 0, -5)})
	}
	evs = append(evs, &crm.Event{SiteID: site.ID, VisitorID: visitor("nora"), SessionID: "s-nora", Name: "product_view", URL: "https://shop.example/tea",
		Path: "/tea", ProductSKU: "TEA-1", OccurredAt: now.AddDate(0, 0, -100), ReceivedAt: now.AddDate(0, 0, -100)})
	if err := db.WriteEvents(ctx, crm.EventBatch{Events: evs}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lena", "nora", "tom", "rea", "eli"} {
		if err := db.LinkVisitor(ctx, visitor(name), ids[name], crm.LinkForm); err != nil {
			t.Fatal(err)
		}
		if name == "eli" {
			continue
		}
		if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: ids[name], Purpose: "marketing", Channel: "email", Status: "granted"}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestBrowserSegmentBuilder builds "bought once, more than 60 days ago,
// viewed a product since, agreed to marketing email" in the builder on a
// phone-sized screen in real Chromium: the live count follows every
// condition without a page load (4, 3, 2, 1), a wrong value is flagged on
// its condition, the page never scrolls sideways, and saving opens the
// segment with Lena as its one member; the builder then mirrors in Persian.
func TestBrowserSegmentBuilder(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	email, pw, role := "marketing@example.com", "correct horse battery", crm.RoleMarketing
	if _, err := db.CreateUser(storetest.System(), crm.UserInput{Email: &email, Name: ptr("Mo Marketing"), Role: &role, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	ids := seedLapsedBuyers(t, db)
	bs := newBrowserSession(t, chrome, db, "failed-segment-")
	bs.step("log in",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(bs.base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		// On a phone the menu (and its log-out button) is folded away.
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
	)
	// Everyone with the empty definition: the count is there before any change.
	bs.step("open the builder",
		chromedp.Navigate(bs.base+"/segments/new"),
		chromedp.WaitVisible(chromedp.CSS(`#segment-tree .seg-group:not(.seg-root)`)),
		poll(`document.querySelector('.seg-count') !== null`),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Lapsed one-time buyers"),
	)
	group := `#segment-tree .seg-group:not(.seg-root)`
	last := group + ` > .seg-preds > li.seg-pred:last-child`
	// pick chooses an option the way a user's tap does: it sets the
	// select and fires change, which the builder listens to.
	pick := func(sel, value string) chromedp.Action[chromedp.Void] {
		return poll(fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
			s.value = %q; if (s.value !== %q) return false; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value, value))
	}
	addCondition := chromedp.Click(chromedp.CSS(group + ` > .seg-actions > button.seg-add`))
	count := func(n int) chromedp.Action[chromedp.Void] {
		return poll(fmt.Sprintf(`(() => { const c = document.querySelector('#segment-preview .seg-count');
			return c !== null && c.dataset.count === '%d' && !document.querySelector('#segment-preview').hasAttribute('aria-busy'); })()`, n))
	}
	bs.step("bought once",
		addCondition,
		pick(last+` select.seg-field`, "purchase.orders"),
		pick(last+` select.seg-op`, "eq"),
		// A value that is no number is flagged on its condition…
		chromedp.SendKeys(chromedp.CSS(last+` .seg-cell-value input`), "x"),
		poll(`document.querySelector('li.seg-pred.invalid .seg-cell-value .seg-error') !== null`),
		// …and the flag goes once it is fixed.
		poll(fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, last+` .seg-cell-value input`)),
		chromedp.SendKeys(chromedp.CSS(last+` .seg-cell-value input`), "1"),
		count(4),
		poll(`document.querySelector('li.seg-pred.invalid') === null`),
	)
	bs.step("more than 60 days ago",
		addCondition,
		pick(last+` select.seg-field`, "purchase.last_order"),
		pick(last+` select.seg-op`, "more_than_days_ago"),
		chromedp.SendKeys(chromedp.CSS(last+` .seg-cell-value input`), "60"),
		count(3),
	)
	bs.step("viewed a product since",
		addCondition,
		pick(last+` select.seg-field`, "web.viewed_product"),
		pick(last+` select.seg-op`, "at_least"),
		chromedp.SendKeys(chromedp.CSS(last+` .seg-cell-value input`), "1"),
		chromedp.Click(chromedp.CSS(last+` details.seg-more > summary`)),
		chromedp.Click(chromedp.CSS(last+` .seg-cell-bool input[type=checkbox]`)),
		count(2),
	)
	bs.step("agreed to marketing email",
		addCondition,
		pick(last+` select.seg-field`, "consent"),
		pick(last+` select.seg-op`, "granted"),
		pick(last+` [data-path$=".purpose"] select`, "marketing"),
		pick(last+` [data-path$=".channel"] select`, "email"),
		count(1),
		bs.shot("segment-builder-phone"),
	)
	wide, err := chromedp.Run(bs.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the builder scrolls sideways on a phone (%v)", err)
	}
	// On a phone the conditions stack: the field select spans the row.
	stacked, err := chromedp.Run(bs.ctx, chromedp.Evaluate[bool](`(() => {
		const li = document.querySelector('li.seg-pred'), f = li.querySelector('select.seg-field');
		return f.getBoundingClientRect().width > li.getBoundingClientRect().width * 0.8; })()`))
	if err != nil || !stacked {
		t.Errorf("conditions do not stack on a phone (%v)", err)
	}
	bs.step("save",
		chromedp.Click(chromedp.CSS(`form.segment-builder .actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.seg-members`)),
		bs.shot("segment-members-phone"),
	)
	got, err := chromedp.Run(bs.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('table.seg-members tbody a[href^="/contacts/"]')).map(a => a.getAttribute('href')).join(' ')`))
	if want := fmt.Sprintf("/contacts/%d", ids["lena"]); err != nil || got != want {
		t.Errorf("members = %q (%v), want %q", got, err, want)
	}
	// The same builder in Persian mirrors: right to left, conditions
	// drawn from the saved definition, the count in Persian digits.
	edit, err := chromedp.Run(bs.ctx, chromedp.Evaluate[string](`document.querySelector('a[href$="/edit"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	bs.step("edit in Persian",
		chromedp.Navigate(edit+"?lang=fa"),
		poll(`document.documentElement.dir === 'rtl' && document.querySelectorAll('#segment-tree li.seg-pred').length === 4`),
		poll(`(() => { const c = document.querySelector('#segment-preview .seg-count'); return c !== null && c.textContent.trim() === '۱'; })()`),
		bs.shot("segment-builder-fa-phone"),
	)
	wide, err = chromedp.Run(bs.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the Persian builder scrolls sideways on a phone (%v)", err)
	}
}
