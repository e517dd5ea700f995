package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDealTitleXSSIsEscaped puts the canaries in a deal title, a stage
// and a pipeline name and a product name, and checks every page that
// shows them, the board's htmx answer included.
func TestDealTitleXSSIsEscaped(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	all := xssScript + xssAttr + xssURL
	fx := seedDeals(t, e, all)
	ctx := sys()
	ps, err := e.svc.Pipelines.FindPipelines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Pipelines.UpdateStage(ctx, ps[0].ID, fx.stages["Qualified"], crm.StageInput{Name: &all}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Pipelines.UpdatePipeline(ctx, ps[0].ID, crm.PipelineInput{Name: ptr(xssAttr)}); err != nil {
		t.Fatal(err)
	}
	id := itoa(fx.deal)
	pages := []string{"/deals", "/deals?q=script", "/deals/board", "/deals/" + id, "/deals/" + id + "/edit", "/deals/" + id + "/quote",
		"/deals/" + id + "/delete", "/deals/forecast", "/pipelines", "/contacts/" + itoa(fx.contact)}
	for _, lang := range []string{"en", "fa"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		for _, p := range pages {
			rec := e.do(c, http.MethodGet, p, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %s = %d\n%s", lang, p, rec.Code, rec.Body)
			}
			checkEscaped(t, lang+" "+p, rec.Body.String())
			if b := rec.Body.String(); !strings.Contains(b, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(b, "&lt;img src=x") {
				t.Errorf("%s %s: the escaped canary is not on the page, so the test proves nothing", lang, p)
			}
		}
		rec := e.do(c, http.MethodPost, "/deals/"+id+"/stage", url.Values{"stage_id": {itoa(fx.stages["Negotiation"])}, "title": {all}}, "HX-Request", "true")
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "<html") {
			t.Fatalf("%s: board fragment = %d\n%s", lang, rec.Code, rec.Body)
		}
		checkEscaped(t, lang+" board fragment", rec.Body.String())
	}
}

// TestDealFormsAndMoves: a bad form comes back with field errors and
// changes nothing; the card form moves a deal and the move persists; a
// drop (htmx) gets the redrawn board.
func TestDealFormsAndMoves(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	fx := seedDeals(t, e, "Office chairs")
	c := e.session(crm.RoleSales)
	before, _ := e.svc.Deals.FindDeals(sys(), crm.DealFilter{WithTotal: true})
	for name, tc := range map[string]struct {
		form  url.Values
		field string
	}{
		"negative amount": {url.Values{"title": {"x"}, "currency": {"EUR"}, "amount": {"-3"}}, "amount"},
		"bad currency":    {url.Values{"title": {"x"}, "currency": {"EURO"}}, "currency"},
		"bad date":        {url.Values{"title": {"x"}, "currency": {"EUR"}, "expected_close": {"2026-02-31"}}, "expected_close"},
		"no title":        {url.Values{"title": {""}, "currency": {"EUR"}}, "title"},
		"unknown sku":     {url.Values{"title": {"x"}, "currency": {"EUR"}, "lines": {"NOPE 2"}}, "lines"},
		"bad line":        {url.Values{"title": {"x"}, "currency": {"EUR"}, "lines": {"CHAIR two"}}, "lines"},
	} {
		rec := e.do(c, http.MethodPost, "/deals", tc.form)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, rec.Code)
			continue
		}
		d := doc(t, rec)
		if d.Find("[name="+tc.field+"] ~ small.field-error, [name="+tc.field+"] + small.field-error").Length() == 0 &&
			d.Find("label:has([name="+tc.field+"]) small.field-error").Length() == 0 {
			t.Errorf("%s: no field error beside %s\n%s", name, tc.field, d.Find("form").Text())
		}
	}
	after, _ := e.svc.Deals.FindDeals(sys(), crm.DealFilter{WithTotal: true})
	if after.Total != before.Total {
		t.Errorf("bad forms created deals: %d → %d", before.Total, after.Total)
	}
	// A valid form: amount in major units, lines priced from products.
	rec := e.do(c, http.MethodPost, "/deals", url.Values{"title": {"Desk lamps"}, "currency": {"EUR"}, "stage_id": {itoa(fx.stages["Proposal"])},
		"contact_id": {itoa(fx.contact)}, "lines": {"CHAIR 2 1.50\n"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body)
	}
	id, _ := parseInt(strings.TrimPrefix(rec.Header().Get("Location"), "/deals/"))
	d, err := e.svc.Deals.FindDealByID(sys(), id)
	if err != nil || d.Amount != 2*12500-150 || d.StageName != "Proposal" {
		t.Fatalf("created = %+v, %v", d, err)
	}
	// Moving by the card's form, without JavaScript.
	rec = e.do(c, http.MethodPost, "/deals/"+itoa(id)+"/stage", url.Values{"stage_id": {itoa(fx.stages["Won"])}})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/deals/board?pipeline=") {
		t.Fatalf("move = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if d, _ = e.svc.Deals.FindDealByID(sys(), id); d.Status != crm.DealWon {
		t.Errorf("after move: %s, want won", d.Status)
	}
	// A drop asks for the board back, with the deal in its new column.
	rec = e.do(c, http.MethodPost, "/deals/"+itoa(id)+"/stage", url.Values{"stage_id": {itoa(fx.stages["Negotiation"])}, "title": {"Desk lamps"}}, "HX-Request", "true")
	if rec.Code != http.StatusOK {
		t.Fatalf("htmx move = %d\n%s", rec.Code, rec.Body)
	}
	if doc(t, rec).Find("section.board-col[data-stage='"+itoa(fx.stages["Negotiation"])+"'] li#deal-"+itoa(id)).Length() != 1 {
		t.Errorf("the redrawn board does not show the deal in Negotiation")
	}
	if !strings.Contains(doc(t, rec).Find("#board-status").Text(), "Desk lamps") {
		t.Errorf("no status message for screen readers after the move")
	}
	// Another pipeline's stage is refused with a clear message.
	p2, err := e.svc.Pipelines.CreatePipeline(sys(), crm.PipelineInput{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	rec = e.do(c, http.MethodPost, "/deals/"+itoa(id), url.Values{"title": {"x"}, "currency": {"EUR"}, "stage_id": {itoa(p2.Stages[0].ID)}, "lines": {"CHAIR 1"}})
	if rec.Code != http.StatusSeeOther {
		t.Errorf("move to another pipeline via the form = %d (the stage names its pipeline)", rec.Code)
	}
	// Deleting a stage with deals is refused on the pipelines page.
	admin := e.session(crm.RoleAdmin)
	rec = e.do(admin, http.MethodPost, "/stages/"+itoa(fx.stages["Proposal"])+"/delete", url.Values{})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "Proposal") {
		t.Errorf("delete stage with deals = %d\n%.600s", rec.Code, rec.Body)
	}
}

// TestQuoteAcceptance: accepting makes one order and wins the deal; an
// out-of-stock line is shown by SKU and the deal stays open.
func TestQuoteAcceptance(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	fx := seedDeals(t, e, "Office chairs")
	ctx := sys()
	lamps, err := e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: ptr("Lamps"), Currency: ptr("EUR"), ContactID: &fx.contact,
		Lines: &[]crm.DealLineInput{{SKU: "LAMP", Quantity: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.session(crm.RoleSales)
	rec := e.do(c, http.MethodGet, "/deals/"+itoa(fx.deal)+"/quote", nil)
	d := doc(t, rec)
	// 3 × 125.00 − 5.00 = 370.00, tax 20 % = 74.00, total 444.00.
	if foot := d.Find("tfoot").Text(); !strings.Contains(foot, "375.00") || !strings.Contains(foot, "74.00") || !strings.Contains(foot, "444.00") {
		t.Errorf("quote totals = %q", foot)
	}
	if d.Find("form[action='/deals/"+itoa(fx.deal)+"/quote/accept'] button").Length() != 1 {
		t.Errorf("no accept button")
	}
	rec = e.do(c, http.MethodPost, "/deals/"+itoa(lamps.ID)+"/quote/accept", url.Values{})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "LAMP") || !strings.Contains(doc(t, rec).Find("[role=alert]").Text(), "1") {
		t.Errorf("out of stock = %d\n%s", rec.Code, doc(t, rec).Find("[role=alert]").Text())
	}
	if l, _ := e.svc.Deals.FindDealByID(ctx, lamps.ID); l.Status != crm.DealOpen {
		t.Errorf("refused deal is %s, want open", l.Status)
	}
	rec = e.do(c, http.MethodPost, "/deals/"+itoa(fx.deal)+"/quote/accept", url.Values{})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "?order=") {
		t.Fatalf("accept = %d to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	page := e.do(c, http.MethodGet, rec.Header().Get("Location"), nil)
	if !strings.Contains(doc(t, page).Find("p.notice").Text(), "won") {
		t.Errorf("no confirmation after accepting")
	}
	orders, err := e.svc.Orders.FindOrders(ctx, crm.OrderFilter{DealID: &fx.deal})
	if err != nil || len(orders.Items) != 1 || orders.Items[0].Total != 44400 {
		t.Errorf("orders of the deal = %+v, %v", orders.Items, err)
	}
}

// TestDealListSearchAndOwnOnly: the live search answers with the results
// fragment, and an own-only sales user sees only their deals on the list
// and the board.
func TestDealListSearchAndOwnOnly(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	seedDeals(t, e, "Office chairs")
	ctx := sys()
	if err := e.svc.Users.SetRoleOwnOnly(ctx, crm.RoleSales, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.svc.Users.SetRoleOwnOnly(ctx, crm.RoleSales, false) })
	sales := e.users[crm.RoleSales]
	salesCtx := crm.WithActor(ctx, mustActor(t, e, sales.ID))
	if _, err := e.svc.Deals.CreateDeal(salesCtx, crm.DealInput{Title: ptr("Mine only"), Currency: ptr("EUR")}); err != nil {
		t.Fatal(err)
	}
	admin := e.session(crm.RoleAdmin)
	rec := e.do(admin, http.MethodGet, "/deals?q=office", nil, "HX-Request", "true", "HX-Target", "results")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "<html") || doc(t, rec).Find("tbody tr").Length() != 1 {
		t.Errorf("search fragment = %d\n%s", rec.Code, rec.Body)
	}
	c := e.sessionFor(sales.ID)
	for _, path := range []string{"/deals", "/deals/board"} {
		body := e.do(c, http.MethodGet, path, nil).Body.String()
		if !strings.Contains(body, "Mine only") || strings.Contains(body, "Office chairs") || strings.Contains(body, "東京の案件") {
			t.Errorf("%s as own-only sales shows others' deals or misses its own", path)
		}
	}
}
