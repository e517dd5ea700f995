package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	pageParts = append(pageParts, recsPages)
}

// recsShop places orders in which RC-A and RC-B go together, builds the
// recommendations and returns a customer who bought RC-A only, and RC-A.
func recsShop(t *testing.T, e *env, owner *int64) (contact, product int64) {
	t.Helper()
	ctx := sys()
	for _, sku := range []string{"RC-A", "RC-B", "RC-C"} {
		p, err := e.svc.Products.CreateProduct(ctx, crm.ProductInput{SKU: ptr(sku), Name: ptr("Item " + sku), Names: map[string]string{"fa": "کالای " + sku, "ja": "商品 " + sku},
			Price: ptr(int64(500)), Currency: ptr("EUR"), Stock: ptr(int64(100))})
		if err != nil {
			t.Fatal(err)
		}
		if sku == "RC-A" {
			product = p.ID
		}
	}
	// Two months ago: A+B twice, C, then a customer who bought A (and
	// B and C yesterday: the evaluation's later purchases) and one who
	// bought A only, whose next best product is B.
	now := time.Now()
	defer func() { e.db.Now = time.Now }()
	for i, basket := range [][]string{{"RC-A", "RC-B"}, {"RC-A", "RC-B"}, {"RC-C"}, {"RC-A"}, {"RC-B"}, {"RC-C"}, {"RC-A"}} {
		ago := 60 * 24 * time.Hour
		if i == 4 || i == 5 {
			ago = 24 * time.Hour
		}
		e.db.Now = func() time.Time { return now.Add(-ago + time.Duration(i)*time.Minute) }
		if i != 4 && i != 5 {
			c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Rec"), Email: ptr(fmt.Sprintf("rec%d@example.com", i)), OwnerID: owner})
			if err != nil {
				t.Fatal(err)
			}
			contact = c.ID
		}
		in := crm.OrderInput{ContactID: &contact, Currency: ptr("EUR"), Status: ptr(crm.OrderPaid)}
		for _, s := range basket {
			in.Lines = append(in.Lines, crm.OrderLineInput{SKU: s, Quantity: 1})
		}
		if _, err := e.svc.Orders.CreateOrder(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e.db.Now = time.Now
	if _, err := e.svc.Recommendations.RebuildRecommendations(ctx, "manual", true); err != nil {
		t.Fatal(err)
	}
	return contact, product
}

func recsPages(t *testing.T, e *env, fx fixture) []pageCase {
	c, p := recsShop(t, e, nil)
	return []pageCase{
		{"recs", "/analytics/recommendations", "table.recs-eval tbody tr td meter", 200},
		{"recs_panel", fmt.Sprintf("/contacts/%d/recommendations", c), "section.recs li[data-sku='RC-B'] small.reason", 200},
		{"recs_panel", fmt.Sprintf("/products/%d/recommendations", p), "section.recs li[data-sku='RC-B'] small.reason", 200},
		{"contact", fmt.Sprintf("/contacts/%d", c), "div#contact-recs[hx-get='/contacts/" + itoa(c) + "/recommendations']", 200},
		{"product", fmt.Sprintf("/products/%d", p), "div#product-recs[hx-get='/products/" + itoa(p) + "/recommendations']", 200},
	}
}

// TestRecsConsole: the 360 panel names the next best product and why, as
// an htmx fragment; the product panel lists what is bought with it; the
// evaluation page shows model and best sellers with a Rebuild button for
// analytics:write only; an own-only user sees panels of their own
// contacts only.
func TestRecsConsole(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	sales := e.users[crm.RoleSales].ID
	c, p := recsShop(t, e, &sales)
	admin := e.session(crm.RoleAdmin)

	rec := e.do(admin, http.MethodGet, fmt.Sprintf("/contacts/%d/recommendations", c), nil, "HX-Request", "true")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("fragment: %d", rec.Code)
	}
	doc, _ := goquery.NewDocumentFromReader(rec.Body)
	first := doc.Find("section#contact-recs ol.recs-list li").First()
	if sku, _ := first.Attr("data-sku"); sku != "RC-B" || !strings.Contains(first.Find("small.reason").Text(), "Bought Item RC-A") {
		t.Fatalf("first recommendation %q: %q", sku, first.Text())
	}
	if doc.Find("li[data-sku='RC-A']").Length() != 0 {
		t.Fatal("recommends what the customer bought")
	}

	ja := e.session(crm.RoleAdmin)
	ja.lang = "ja"
	rec = e.do(ja, http.MethodGet, fmt.Sprintf("/products/%d/recommendations", p), nil, "HX-Request", "true")
	doc, _ = goquery.NewDocumentFromReader(rec.Body)
	if got := doc.Find("li[data-sku='RC-B'] a").Text(); got != "商品 RC-B" {
		t.Fatalf("product panel in Japanese: %q (%s)", got, rec.Body)
	}
	if !strings.Contains(doc.Find("li[data-sku='RC-B'] small.reason").Text(), "3 人") {
		t.Fatalf("co-purchase count: %q", doc.Find("li[data-sku='RC-B']").Text())
	}

	page := e.do(admin, http.MethodGet, "/analytics/recommendations", nil)
	doc, _ = goquery.NewDocumentFromReader(page.Body)
	if doc.Find("form[action='/analytics/recommendations/rebuild'] button").Length() != 1 || doc.Find("table.recs-eval tbody tr").Length() != 4 {
		t.Fatalf("evaluation page: %s", page.Body)
	}
	ro := e.session(crm.RoleReadOnly)
	doc, _ = goquery.NewDocumentFromReader(e.do(ro, http.MethodGet, "/analytics/recommendations", nil).Body)
	if doc.Find("form[action='/analytics/recommendations/rebuild']").Length() != 0 {
		t.Fatal("read-only user offered the rebuild")
	}
	if rec := e.do(ro, http.MethodPost, "/analytics/recommendations/rebuild", nil); rec.Code != http.StatusForbidden {
		t.Fatalf("read-only rebuild: %d", rec.Code)
	}
	before, err := e.svc.Recommendations.LatestRecsBuild(sys())
	if err != nil {
		t.Fatal(err)
	}
	rec = e.do(e.session(crm.RoleManager), http.MethodPost, "/analytics/recommendations/rebuild", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/analytics/recommendations?done=rebuilt" {
		t.Fatalf("rebuild: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if after, _ := e.svc.Recommendations.LatestRecsBuild(sys()); after.ID == before.ID {
		t.Fatal("no new build")
	}

	// Own-only sales: their customer's panel shows, another's is not found.
	if err := e.svc.Users.SetRoleOwnOnly(sys(), crm.RoleSales, true); err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Not"), LastName: ptr("Mine")})
	if err != nil {
		t.Fatal(err)
	}
	own := e.session(crm.RoleSales)
	if rec := e.do(own, http.MethodGet, fmt.Sprintf("/contacts/%d/recommendations", c), nil); rec.Code != 200 {
		t.Fatalf("own contact: %d", rec.Code)
	}
	if rec := e.do(own, http.MethodGet, fmt.Sprintf("/contacts/%d/recommendations", other.ID), nil); rec.Code != http.StatusNotFound {
		t.Fatalf("another's contact: %d", rec.Code)
	}
}
