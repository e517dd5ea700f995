package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, economicsTargets)
	pageParts = append(pageParts, economicsPageCases)
}

// economicsTargets makes a cost for the cost routes of the console
// matrix, and valid forms (fresh keys, so no two requests collide).
func economicsTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/analytics/costs") && !strings.HasPrefix(path, "/analytics/cohorts") && !strings.HasPrefix(path, "/analytics/economics") {
		return nil, false
	}
	n := seq.Add(1)
	c, err := e.svc.Costs.CreateCost(sys(), crm.CostInput{Kind: ptr("product"), Key: ptr(fmt.Sprintf("MX-%d", n)), Date: ptr("2025-01-01"), Amount: ptr(int64(100))})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/analytics/costs/{id}"] = c.ID
	switch pattern {
	case "POST /analytics/costs":
		return url.Values{"kind": {"product"}, "key": {fmt.Sprintf("NEW-%d", n)}, "date": {"2025-02-01"}, "amount": {"3.50"}, "per": {"1"}, "currency": {"USD"}}, true
	case "POST /analytics/costs/{id}":
		return url.Values{"kind": {"product"}, "key": {c.Key}, "date": {"2025-01-01"}, "amount": {"2.00"}, "per": {"1"}, "currency": {"USD"}}, true
	case "POST /analytics/costs/import":
		return url.Values{"content": {fmt.Sprintf("kind,key,date,amount\nproduct,IMP-%d,2025-01-01,1.25\n", n)}}, true
	}
	return nil, true
}

// economicsSeed imports a small order history and costs, so the pages
// have every table filled.
func economicsSeed(t *testing.T, e *env) {
	t.Helper()
	ctx := sys()
	orders := "order_id,email,date,sku,name,quantity,unit_price,channel\n" +
		"W1,ana@example.com,2025-01-10,MUG,Mug,2,10.00,web\n" +
		"W2,ana@example.com,2025-02-20,TEA,Tea,1,30.00,web\n" +
		"W3,ben@example.com,2025-01-15,TEA,Tea,1,30.00,phone\n" +
		"W4,,2025-02-11,MUG,Mug,1,10.00,web\n"
	if _, err := e.svc.OrderImports.ImportOrders(ctx, strings.NewReader(orders), crm.OrderFileOptions{Format: crm.OrderFormatCSV, DateFormat: "iso"}); err != nil {
		t.Fatal(err)
	}
	// Ana came through ads; both are "loyal" so the shared pages' count
	// of stage=customer stays theirs.
	for _, p := range []struct{ email, source string }{{"ana@example.com", "ads"}, {"ben@example.com", ""}} {
		list, err := e.svc.Contacts.FindContacts(ctx, crm.ContactFilter{Query: p.email})
		if err != nil || len(list.Items) != 1 {
			t.Fatalf("%s: %v", p.email, err)
		}
		if _, err := e.svc.Contacts.UpdateContact(ctx, list.Items[0].ID, crm.ContactInput{Source: ptr(p.source), Stage: ptr("loyal")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []crm.CostInput{
		{Kind: ptr("acquisition"), Key: ptr("ads"), Date: ptr("2025-01"), Amount: ptr(int64(5000)), Note: ptr("Search ads")},
		{Kind: ptr("product"), Key: ptr("MUG"), Date: ptr("2024-01-01"), Amount: ptr(int64(350))},
		{Kind: ptr("message"), Key: ptr("email"), Date: ptr("2024-01-01"), Amount: ptr(int64(8)), Per: ptr(int64(100))},
		{Kind: ptr("staff"), Key: ptr("*"), Date: ptr("2024-01-01"), Amount: ptr(int64(60))},
	} {
		if _, err := e.svc.Costs.CreateCost(ctx, in); err != nil && crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatal(err)
		}
	}
}

func economicsPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	economicsSeed(t, e)
	p, err := e.svc.Costs.FindCosts(sys(), crm.CostFilter{Kind: "acquisition"})
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("costs: %v", err)
	}
	id := itoa(p.Items[0].ID)
	return []pageCase{
		{"analytics_cohorts", "/analytics/cohorts?from=2025-01-01&to=2025-03-31", "table.heatmap tbody tr td.heat-0", 200},
		{"analytics_cohorts", "/analytics/cohorts?from=2025-01-01&to=2025-03-31&show=revenue&days=30,60", "table.by-channel tbody tr", 200},
		{"analytics_economics", "/analytics/economics?from=2025-01-01&to=2025-03-31", "table.customers tbody tr th a", 200},
		{"analytics_economics", "/analytics/economics?from=2025-01-01&to=2025-03-31&sort=profit", "section#retention dl.econ-defs dd", 200},
		{"analytics_costs", "/analytics/costs", "table.costs tbody tr td code", 200},
		{"analytics_costs", "/analytics/costs?kind=acquisition", "form.cost-import input[type=file]", 200},
		{"analytics_cost_edit", "/analytics/costs/" + id + "/edit", "form.cost-form input[name=amount][value='50.00']", 200},
	}
}

var untranslated = regexp.MustCompile(`(economics|reports)\.[a-z_]+\.[a-z_.]+`)

// TestEconomicsPages checks the pages' figures and words in every locale:
// Persian pages have Jalali months and Persian digits, and no catalogue
// key shows untranslated.
func TestEconomicsPages(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	economicsSeed(t, e)
	for _, lang := range []string{"en", "fa", "ja"} {
		c := e.session(crm.RoleManager)
		c.lang = lang
		for _, path := range []string{"/analytics/cohorts?from=2025-01-01&to=2025-03-31", "/analytics/economics?from=2025-01-01&to=2025-03-31", "/analytics/costs"} {
			rec := e.do(c, http.MethodGet, path, nil)
			if rec.Code != 200 {
				t.Fatalf("%s %s: %d", lang, path, rec.Code)
			}
			body := rec.Body.String()
			if k := untranslated.FindString(body); k != "" {
				t.Errorf("%s %s: untranslated %s", lang, path, k)
			}
			if lang == "fa" && strings.Contains(path, "cohorts") && (!strings.Contains(body, "۱۴۰۳") || !strings.Contains(body, "دی")) {
				t.Errorf("Persian cohorts without Jalali months (Dey 1403)")
			}
		}
	}
	c := e.session(crm.RoleAdmin)
	d := doc(t, e.do(c, http.MethodGet, "/analytics/economics?from=2025-01-01&to=2025-03-31", nil))
	// Ana (ads): 50.00 revenue, 2 mugs at 3.50 (the tea has no cost),
	// all 50.00 of January's ads spend: profit −7.00.
	row := d.Find("table.customers tbody tr").First().Text()
	if !strings.Contains(d.Find("section#retention").Text(), "50.00") {
		t.Errorf("retention section: %s", d.Find("section#retention").Text())
	}
	if !strings.Contains(d.Find("table.customers").Text(), "−7.00") {
		t.Errorf("customers: %s", row)
	}
	// Costs are hidden from sales and support.
	for _, role := range []crm.Role{crm.RoleSales, crm.RoleSupport} {
		if rec := e.do(e.session(role), http.MethodGet, "/analytics/costs", nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s sees costs: %d", role, rec.Code)
		}
		rec := e.do(e.session(role), http.MethodGet, "/analytics/economics", nil)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), `href="/analytics/costs"`) {
			t.Errorf("%s: economics %d or a link to costs", role, rec.Code)
		}
	}
	// A cost with a bad amount is shown again with the error.
	rec := e.do(c, http.MethodPost, "/analytics/costs", url.Values{"kind": {"product"}, "key": {"MUG"}, "date": {"2025-01-01"}, "amount": {"abc"}, "currency": {"USD"}})
	if rec.Code != 422 || doc(t, rec).Find("input[name=amount][aria-invalid=true]").Length() == 0 {
		t.Errorf("bad amount: %d", rec.Code)
	}
	// The import reports a rejected line by line and field.
	rec = e.do(c, http.MethodPost, "/analytics/costs/import", url.Values{"content": {"kind,key,date,amount\nstaff,lunch,2025-01-01,1\n"}})
	if rec.Code != 200 || !strings.Contains(doc(t, rec).Find("table.rejected").Text(), "key") {
		t.Errorf("import: %d %s", rec.Code, rec.Body)
	}
}

// TestEconomicsTiles renders the analytics home's tiles of this area as
// the lead wires them: loadEconomicsTiles, then the partial.
func TestEconomicsTiles(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	economicsSeed(t, e)
	for _, role := range []crm.Role{crm.RoleManager, crm.RoleSupport} {
		a, err := e.db.ActorForUser(context.Background(), e.users[role].ID)
		if err != nil {
			t.Fatal(err)
		}
		ctx := crm.WithActor(context.Background(), a)
		for _, lang := range []string{"en", "fa", "ja"} {
			l := i18n.Get(lang)
			data, err := loadEconomicsTiles(ctx, e.svc, l)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := e.srv.pages.sets["analytics_cohorts"].ExecuteTemplate(&buf, "analytics_home_economics_tiles", map[string]any{"V": &view{L: l, Actor: a}, "T": data}); err != nil {
				t.Fatal(err)
			}
			d, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if d.Find("section.tile-repeat-trend svg").Length() != 1 || d.Find("section.tile-retention .retention-new .big").Length() != 1 {
				t.Errorf("%s %s: tiles missing: %s", role, lang, buf.String())
			}
			if k := untranslated.FindString(d.Text()); k != "" {
				t.Errorf("%s: untranslated %s", lang, k)
			}
			if lang == "fa" && !persianDigit.MatchString(d.Text()) {
				t.Errorf("Persian tiles without Persian digits")
			}
		}
	}
	// Without analytics:read there is nothing to draw.
	ctx := crm.WithActor(context.Background(), &crm.Actor{APIKeyID: 1, Scopes: []string{"contacts:read"}})
	if data, err := loadEconomicsTiles(ctx, e.svc, i18n.Get("en")); data != nil || err != nil {
		t.Errorf("tiles without analytics:read: %v %v", data, err)
	}
}
