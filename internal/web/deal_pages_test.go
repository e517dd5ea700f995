package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, dealTargets)
	pageParts = append(pageParts, dealPageCases)
}

// dealPageCases adds the deal pages to the shared locale test: a deal
// with a product line on the fixture's contact, in the seeded pipeline.
func dealPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	ctx := sys()
	sku := "DEALPAGE-1"
	if _, err := e.svc.Products.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr("Desk"), Price: ptr(int64(40000)),
		Currency: ptr("EUR"), Stock: ptr(int64(3)), TaxRateBP: ptr(900)}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: ptr("Desks for Acme"), Currency: ptr("EUR"), ContactID: &fx.contact,
		CompanyID: &fx.company, ExpectedClose: ptr(e.svc.Now().AddDate(0, 2, 0).Format(time.DateOnly)),
		Lines: &[]crm.DealLineInput{{SKU: sku, Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(d.ID)
	return []pageCase{
		{"deals", "/deals?sort=-amount", "table.deals tbody tr td a[href='/deals/" + id + "']", 200},
		{"deal_board", "/deals/board", "li.deal-card#deal-" + id + " form.card-move", 200},
		{"deal_forecast", "/deals/forecast", "figure.chart svg rect.bar-weighted", 200},
		{"deal", "/deals/" + id, "ol.history li", 200},
		{"deal_form", "/deals/" + id + "/edit", "textarea[name=lines]", 200},
		{"quote", "/deals/" + id + "/quote", "article.quote tfoot", 200},
		{"pipelines", "/pipelines", "form.stage-row", 200},
	}
}

// dealTargets makes, per request, the records a deal or pipeline route
// needs: a deal with a contact and a product in stock (so a quote can be
// accepted), or a fresh pipeline without deals (so its stages and itself
// can be deleted).
func dealTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/deals") && !strings.HasPrefix(path, "/pipelines") && !strings.HasPrefix(path, "/stages") {
		return nil, false
	}
	ctx := sys()
	n := seq.Add(1)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	sku := fmt.Sprintf("T-%d", n)
	_, err := e.svc.Products.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr("Chair"), Price: ptr(int64(1000)), Currency: ptr("EUR"), Stock: ptr(int64(5))})
	must(err)
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Dee"), LastName: ptr(fmt.Sprint("Deal", n))})
	must(err)
	d, err := e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: ptr(fmt.Sprintf("Deal %d", n)), Currency: ptr("EUR"), ContactID: &c.ID,
		Lines: &[]crm.DealLineInput{{SKU: sku, Quantity: 1}}})
	must(err)
	p, err := e.svc.Pipelines.CreatePipeline(ctx, crm.PipelineInput{Name: ptr(fmt.Sprintf("P%d", n))})
	must(err)
	tg.ids["/deals/{id}"] = d.ID
	tg.ids["/pipelines/{id}"] = p.ID
	tg.ids["/stages/{id}"] = p.Stages[1].ID
	forms := map[string]url.Values{
		"POST /deals":                 {"title": {"New deal"}, "currency": {"EUR"}, "amount": {"12.50"}},
		"POST /deals/{id}":            {"title": {"Renamed deal"}, "currency": {"EUR"}, "lines": {sku + " 2"}},
		"POST /deals/{id}/stage":      {"stage_id": {itoa(d.StageID)}},
		"POST /pipelines":             {"name": {"Partners"}},
		"POST /pipelines/{id}":        {"name": {"Renamed"}},
		"POST /pipelines/{id}/stages": {"name": {"Demo"}, "probability": {"20"}, "kind": {"open"}},
		"POST /stages/{id}":           {"name": {"Proposal sent"}, "probability": {"35"}, "kind": {"open"}, "move": {"up"}},
	}
	return forms[pattern], true
}

// dealFixture is a pipeline's worth of deals in two currencies, one with
// product lines, on a contact.
type dealFixture struct {
	contact, company, deal, won int64
	stages                      map[string]int64
}

func seedDeals(t *testing.T, e *env, title string) dealFixture {
	t.Helper()
	ctx := sys()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fx := dealFixture{stages: map[string]int64{}}
	ps, err := e.svc.Pipelines.FindPipelines(ctx)
	must(err)
	for _, s := range ps[0].Stages {
		fx.stages[s.Name] = s.ID
	}
	for _, p := range []struct {
		sku   string
		stock int64
	}{{"CHAIR", 10}, {"LAMP", 1}} {
		sku := p.sku
		_, err := e.svc.Products.CreateProduct(ctx, crm.ProductInput{SKU: &sku, Name: ptr(title + " " + sku), Price: ptr(int64(12500)),
			Currency: ptr("EUR"), Stock: &p.stock, TaxRateBP: ptr(2000)})
		must(err)
	}
	co, err := e.svc.Companies.CreateCompany(ctx, crm.CompanyInput{Name: ptr("Acme")})
	must(err)
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Email: ptr("ada@example.com"), CompanyID: &co.ID})
	must(err)
	fx.contact, fx.company = c.ID, co.ID
	admin := e.users[crm.RoleAdmin].ID
	close := e.svc.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	d, err := e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: &title, Currency: ptr("EUR"), ContactID: &c.ID, OwnerID: &admin,
		ExpectedClose: &close, StageID: ptr(fx.stages["Proposal"]), Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 3, Discount: 500}}})
	must(err)
	fx.deal = d.ID
	_, err = e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: ptr("東京の案件"), Currency: ptr("JPY"), Amount: ptr(int64(1200000)), ExpectedClose: &close, OwnerID: &admin})
	must(err)
	w, err := e.svc.Deals.CreateDeal(ctx, crm.DealInput{Title: ptr("Won already"), Currency: ptr("EUR"), Amount: ptr(int64(99900)), StageID: ptr(fx.stages["Won"])})
	must(err)
	fx.won = w.ID
	return fx
}

func TestDealPagesRenderInEveryLocale(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	fx := seedDeals(t, e, "Office chairs")
	id := itoa(fx.deal)
	pages := []struct{ path, want string }{
		{"/deals", "table.deals tbody tr td a[href='/deals/" + id + "']"},
		{"/deals?status=open&sort=-amount&owner=me&close_from=2026-01-01", "th[aria-sort=descending]"},
		{"/deals/board", "section.board-col[data-stage] li.deal-card[draggable=true] form.card-move select[name=stage_id]"},
		{"/deals/forecast", "figure.chart svg rect.bar-weighted"},
		{"/deals/" + id, "ol.history li"},
		{"/deals/" + id, "details.edit-deal form.deal-form[action='/deals/" + id + "'] textarea[name=lines]"},
		{"/deals/" + id + "/edit", "textarea[name=lines]"},
		{"/deals/new?contact_id=" + itoa(fx.contact), "input[name=contact_id][value='" + itoa(fx.contact) + "']"},
		{"/deals/" + id + "/delete", "form[action='/deals/" + id + "/delete']"},
		{"/deals/" + id + "/quote", "article.quote table.lines tfoot"},
		{"/pipelines", "table.stages tbody tr form.stage-row"},
		{"/contacts/" + itoa(fx.contact), "section.deals-section a[href='/deals/" + id + "']"},
		{"/companies/" + itoa(fx.company), "section.deals-section a[href='/deals/" + id + "']"},
	}
	untranslated := regexp.MustCompile(`\b(deals|pipelines)\.[a-z_]+\.[a-z_.]+\b|\berror\.[a-z_]+\b`)
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleAdmin)
		c.lang = lang
		for _, p := range pages {
			t.Run(lang+p.path, func(t *testing.T) {
				rec := e.do(c, http.MethodGet, p.path, nil)
				if rec.Code != 200 {
					t.Fatalf("status = %d\n%s", rec.Code, rec.Body)
				}
				d := doc(t, rec)
				if got, want := d.Find("html").AttrOr("dir", ""), map[string]string{"fa": "rtl"}[lang]; got != want && !(want == "" && got == "ltr") {
					t.Errorf("dir = %q", got)
				}
				if d.Find(p.want).Length() == 0 {
					t.Errorf("no %q on the page", p.want)
				}
				if m := untranslated.FindString(rec.Body.String()); m != "" {
					t.Errorf("untranslated key %q on the page", m)
				}
				checkEscaped(t, lang+" "+p.path, rec.Body.String())
			})
		}
	}
	// Persian pages write amounts and chart labels in Persian digits.
	c := e.session(crm.RoleAdmin)
	c.lang = "fa"
	body := e.do(c, http.MethodGet, "/deals/"+id, nil).Body.String()
	if !strings.Contains(body, "۳۷۰٫۰۰\u00a0EUR") { // 3 × 125.00 − 5.00
		t.Errorf("Persian deal page lacks the amount ۳۷۰٫۰۰ EUR")
	}
	body = e.do(c, http.MethodGet, "/deals/forecast", nil).Body.String()
	if i, j := strings.Index(body, "<svg"), strings.Index(body, "</svg>"); i < 0 || j < i || !persianDigit.MatchString(body[i:j]) {
		svg := ""
		if i >= 0 && j > i {
			svg = body[i:j]
		}
		t.Errorf("Persian chart text %q has no Persian digits", svg)
	}
	c.lang = "ja"
	if body := e.do(c, http.MethodGet, "/deals/forecast", nil).Body.String(); !strings.Contains(body, "年") || !strings.Contains(body, "1,200,000\u00a0JPY") {
		t.Errorf("Japanese forecast lacks 年 month labels or the JPY amount")
	}
	// The board loads kanban.js; no other page does.
	admin := e.session(crm.RoleAdmin)
	for path, want := range map[string]bool{"/deals/board": true, "/deals": false, "/deals/" + id: false} {
		got := doc(t, e.do(admin, http.MethodGet, path, nil)).Find(`script[src*="kanban."]`).Length() == 1
		if got != want {
			t.Errorf("%s loads kanban.js = %v, want %v", path, got, want)
		}
	}
}
