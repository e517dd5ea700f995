package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestBrowserDealBoard drags a card to another column of the deal board
// in real Chromium (HTML5 drag and drop, kanban.js) and checks that the
// move reached the database and survives a reload; then moves another
// card with its "Move to" form alone, as a keyboard or phone user would,
// and checks the columns scroll sideways on a phone-sized screen.
func TestBrowserDealBoard(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	sys := storetest.System()
	email, pw, role := "sales@example.com", "correct horse battery", crm.RoleSales
	if _, err := db.CreateUser(sys, crm.UserInput{Email: &email, Name: ptr("Sam Sales"), Role: &role, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	ps, err := db.FindPipelines(sys)
	if err != nil {
		t.Fatal(err)
	}
	stage := map[string]int64{}
	for _, s := range ps[0].Stages {
		stage[s.Name] = s.ID
	}
	var deals []*crm.Deal
	for i, title := range []string{"Office chairs", "Standing desks", "Lamps"} {
		d, err := db.CreateDeal(sys, crm.DealInput{Title: ptr(title), Currency: ptr("EUR"), Amount: ptr(int64(10000 * (i + 1))), StageID: ptr(stage["Qualified"])})
		if err != nil {
			t.Fatal(err)
		}
		deals = append(deals, d)
	}
	sku := "CHAIR-01"
	if _, err := db.CreateProduct(sys, crm.ProductInput{SKU: &sku, Name: ptr("Ergonomic chair"), Price: ptr(int64(24900)), Currency: ptr("EUR"),
		Stock: ptr(int64(20)), TaxRateBP: ptr(1900)}); err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(sys, crm.ContactInput{FirstName: ptr("Shirin"), LastName: ptr("Golestani"), Email: ptr("shirin@example.com"), City: ptr("Tehran")})
	if err != nil {
		t.Fatal(err)
	}
	quoted, err := db.CreateDeal(sys, crm.DealInput{Title: ptr("Chairs for the Tehran office"), Currency: ptr("EUR"), ContactID: &c.ID,
		ExpectedClose: ptr(time.Now().AddDate(0, 1, 0).Format(time.DateOnly)), StageID: ptr(stage["Negotiation"]),
		Lines: &[]crm.DealLineInput{{SKU: sku, Quantity: 12, Discount: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	bs := newBrowserSession(t, chrome, db, "failed-deal-")
	base, ctx, shot, step := bs.base, bs.ctx, bs.shot, bs.step
	stageOf := func(id int64) string {
		t.Helper()
		d, err := db.FindDealByID(sys, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.StageName
	}
	card := func(id int64) string { return fmt.Sprintf("#deal-%d", id) }
	inColumn := func(id int64, st string) string {
		return fmt.Sprintf(`!!document.querySelector('section.board-col[data-stage="%d"] #deal-%d')`, stage[st], id)
	}

	step("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	step("open the board",
		chromedp.Navigate(base+"/deals/board"),
		chromedp.WaitVisible(chromedp.CSS(card(deals[0].ID))),
		shot("deal-board"),
	)
	target := fmt.Sprintf(`section.board-col[data-stage="%d"] ul.cards`, stage["Proposal"])
	step("drag a card to Proposal",
		chromedp.DragAndDrop(chromedp.CSS(card(deals[0].ID)), chromedp.CSS(target)),
		// The server's redrawn board replaces the page's guess and says so.
		poll(inColumn(deals[0].ID, "Proposal")+` && document.getElementById('board-status').innerText.includes('Office chairs')`),
		shot("deal-board-dragged"),
	)
	if got := stageOf(deals[0].ID); got != "Proposal" {
		t.Fatalf("after the drop the deal is in %q, want Proposal", got)
	}
	step("the move survives a reload",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(card(deals[0].ID))),
		poll(inColumn(deals[0].ID, "Proposal")),
	)
	// Without the mouse: choose a stage in the card's form and press Move.
	sel := card(deals[1].ID) + ` select[name=stage_id]`
	step("move a card with its form",
		chromedp.SetValue(chromedp.CSS(sel), fmt.Sprint(stage["Negotiation"])),
		chromedp.Focus(chromedp.CSS(card(deals[1].ID)+` form.card-move button`)),
		chromedp.KeyEvent("\r"),
	)
	// The form posts and the browser follows the redirect to the board;
	// evaluating while the page is being replaced fails, so ask again.
	moved := false
	for i := 0; i < 40 && !moved; i++ {
		time.Sleep(250 * time.Millisecond)
		moved, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](inColumn(deals[1].ID, "Negotiation")))
	}
	if !moved {
		chromedp.Do(ctx, shot("failed-deal-form-move"))
		t.Fatalf("after the form the board does not show the deal in Negotiation")
	}
	if got := stageOf(deals[1].ID); got != "Negotiation" {
		t.Fatalf("after the form the deal is in %q, want Negotiation", got)
	}
	step("deal, quote and forecast pages",
		chromedp.Navigate(fmt.Sprintf("%s/deals/%d", base, quoted.ID)),
		chromedp.WaitVisible(chromedp.CSS(`ol.history`)),
		shot("deal-page"),
		chromedp.Navigate(fmt.Sprintf("%s/deals/%d/quote", base, quoted.ID)),
		chromedp.WaitVisible(chromedp.CSS(`article.quote`)),
		shot("deal-quote"),
	)
	// Printed, the quote is one A4 page without the console around it.
	hidesNav, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.styleSheets].some(s => [...s.cssRules].some(r =>
		r.media && r.media.mediaText.includes('print') && [...r.cssRules].some(x => (x.selectorText || '').includes('header.site') && x.style.display === 'none')))`))
	if err != nil || !hidesNav {
		t.Errorf("the quote page has no print rule hiding the console's header (%v)", err)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bs.out, "deal-quote.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1); len(pages) != 1 {
		t.Errorf("the printed quote has %d pages, want 1", len(pages))
	}
	step("forecast page",
		chromedp.Navigate(base+"/deals/forecast?lang=fa"),
		chromedp.WaitVisible(chromedp.CSS(`figure.chart svg`)),
		shot("deal-forecast-fa"),
	)
	step("phone-sized board",
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(base+"/deals/board?lang=fa"),
		chromedp.WaitVisible(chromedp.CSS(card(deals[2].ID))),
		shot("deal-board-fa-phone"),
	)
	scrolls, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const cols = document.querySelector('.board-cols');
		return cols.scrollWidth > cols.clientWidth && document.documentElement.scrollWidth <= window.innerWidth + 1;
	})()`))
	if err != nil || !scrolls {
		dims, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const c = document.querySelector('.board-cols');
			const wide = [...document.querySelectorAll('body *')].filter(e => { const r = e.getBoundingClientRect(); return (r.right > window.innerWidth + 1 || r.left < -1) && !e.closest('.board-cols'); }).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right));
			return [c.scrollWidth, c.clientWidth, document.documentElement.scrollWidth, window.innerWidth].join(' ') + ' ' + wide.join('; '); })()`))
		t.Errorf("on a phone the columns should scroll sideways inside the board, not the page (%v): board %s", err, dims)
	}
	t.Logf("screenshots in %s", bs.out)
}
