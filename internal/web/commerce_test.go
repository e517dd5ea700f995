package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, commerceTargets)
	pageParts = append(pageParts, commercePages)
}

// commerceTargets makes a product and an order for the product, inventory
// and order routes of the matrix, and the forms that succeed on them.
func commerceTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/products") && !strings.HasPrefix(path, "/inventory") && !strings.HasPrefix(path, "/orders") && !strings.HasPrefix(path, "/admin/shop") {
		return nil, false
	}
	n := seq.Add(1)
	sku := fmt.Sprintf("MX-%d", n)
	p, err := e.svc.Products.CreateProduct(sys(), crm.ProductInput{SKU: &sku, Name: ptr("Matrix mug"), Price: ptr(int64(1250)), Currency: ptr("EUR"), Stock: ptr(int64(100))})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Orders.CreateOrder(sys(), crm.OrderInput{Email: ptr(fmt.Sprintf("buyer%d@example.com", n)), Currency: ptr("EUR"),
		Lines: []crm.OrderLineInput{{SKU: sku, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/products/{id}"], tg.ids["/orders/{id}"] = p.ID, o.ID
	if strings.HasSuffix(path, "/delete") {
		// Ordered products cannot be deleted: give the delete routes one that never was.
		gone, err := e.svc.Products.CreateProduct(sys(), crm.ProductInput{SKU: ptr(sku + "-GONE"), Name: ptr("Gone"), Price: ptr(int64(1)), Currency: ptr("EUR")})
		if err != nil {
			t.Fatal(err)
		}
		tg.ids["/products/{id}"] = gone.ID
	}
	forms := map[string]url.Values{
		"POST /products":            {"sku": {fmt.Sprintf("NEW-%d", n)}, "name": {"New"}, "price": {"9.99"}, "currency": {"EUR"}, "active": {"on"}},
		"POST /products/{id}":       {"name": {"Renamed mug"}, "price": {"13.00"}, "currency": {"EUR"}, "active": {"on"}},
		"POST /inventory/movements": {"product_id": {itoa(p.ID)}, "kind": {"receipt"}, "quantity": {"5"}, "location": {"main"}},
		"POST /orders":              {"email": {fmt.Sprintf("phone%d@example.com", n)}, "currency": {"EUR"}, "channel": {"phone"}, "sku": {sku}, "quantity": {"2"}},
		"POST /orders/{id}/status":  {"status": {"paid"}},
		"POST /admin/shop":          {"currency": {"EUR"}},
	}
	return forms[pattern], true
}

// commercePages seeds a configurable product, an order that went from
// placed to shipped and a low-stock product, and names the pages to render.
func commercePages(t *testing.T, e *env, fx fixture) []pageCase {
	ctx := sys()
	p, err := e.svc.Products.CreateProduct(ctx, crm.ProductInput{SKU: ptr("TEE-1"), Name: ptr("T-shirt"), Names: map[string]string{"fa": "تی‌شرت", "ja": "Tシャツ"},
		Price: ptr(int64(1999)), Currency: ptr("EUR"), TaxRateBP: ptr(2000), Stock: ptr(int64(12)), LowStock: ptr(int64(11)), Category: ptr("Clothes"),
		Options: &[]crm.ProductOption{{Key: "size", Label: "Size", Type: "select", Required: true, Values: []crm.OptionValue{{Value: "M"}, {Value: "XL", PriceDelta: 200}}},
			{Key: "print", Label: "Print", Type: "text", PriceDelta: 500}}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Orders.CreateOrder(ctx, crm.OrderInput{ContactID: &fx.contact, Currency: ptr("EUR"), Discount: ptr(int64(100)),
		Lines: []crm.OrderLineInput{{SKU: "TEE-1", Quantity: 2, Options: map[string]string{"size": "XL", "print": "Ada"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Orders.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: "shipped", Carrier: "DHL", TrackingNumber: "JD014600006281"}); err != nil {
		t.Fatal(err)
	}
	po, oo := itoa(p.ID), itoa(o.ID)
	return []pageCase{
		{"products", "/products?sort=-price", "table tbody tr td a[href='/products/" + po + "']", 200},
		{"products", "/products?low=1", "span.tag.warn", 200},
		{"product", "/products/" + po, "form[action='/inventory/movements'] input[name=product_id][value='" + po + "']", 200},
		{"product_form", "/products/" + po + "/edit", "input[name=opt_key][value=size]", 200},
		{"product_form", "/products/new", "input[name=stock]", 200},
		{"inventory", "/inventory", "table tbody tr td code", 200},
		{"orders", "/orders?status=shipped", "table tbody tr td a[href='/orders/" + oo + "']", 200},
		{"order", "/orders/" + oo, "ol.history li", 200},
		{"order_form", "/orders/new?contact_id={contact}", "input[name=contact_id][value='{contact}']", 200},
		{"settings_shop", "/admin/shop", "input[name=currency]", 200},
		{"contact", "/contacts/{contact}", "section.purchases ul.orders li a[href='/orders/" + oo + "']", 200},
	}
}

// TestCommerceConsoleFlow is what a shop owner does: add a product with a
// price typed in Persian digits, receive stock, take a phone order, ship
// it, and see it on the customer's page, in the ledger and on the timeline.
func TestCommerceConsoleFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.session(crm.RoleAdmin)
		admin.lang = "fa"
		canary := `<img src=x onerror=alert(1)>`
		rec := e.do(admin, http.MethodPost, "/products", url.Values{"sku": {"MUG-1"}, "name": {"Mug " + canary}, "name_fa": {"ماگ"},
			"price": {"۱۲٫۵۰"}, "currency": {"eur"}, "tax_rate": {"۹"}, "active": {"on"}, "stock": {"3"}, "low_stock": {"1"},
			"opt_key": {"colour", ""}, "opt_label": {"Colour", ""}, "opt_type": {"select", "select"}, "opt_values": {"blue; gold +1.00", ""}, "opt_required_0": {"on"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create product = %d\n%s", rec.Code, rec.Body)
		}
		p, err := e.svc.Products.FindProductBySKU(sys(), "MUG-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Price != 1250 || p.TaxRateBP != 900 || p.Currency != "EUR" || len(p.Options) != 1 || p.Options[0].Values[1].PriceDelta != 100 || p.Names["fa"] != "ماگ" {
			t.Fatalf("product = %+v", p)
		}
		// A bad price is shown beside the field, nothing is stored.
		rec = e.do(admin, http.MethodPost, "/products", url.Values{"sku": {"BAD"}, "name": {"Bad"}, "price": {"12.5.0"}, "currency": {"EUR"}})
		if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("input[name=price][aria-invalid=true]").Length() != 1 {
			t.Fatalf("bad price = %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(admin, http.MethodPost, "/inventory/movements", url.Values{"product_id": {itoa(p.ID)}, "kind": {"receipt"}, "quantity": {"۲"}, "location": {"main"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("receipt = %d\n%s", rec.Code, rec.Body)
		}
		// More than is available: a 409 naming the line, shown on the form.
		rec = e.do(admin, http.MethodPost, "/orders", url.Values{"email": {"ada@example.com"}, "currency": {"EUR"}, "channel": {"phone"},
			"sku": {"MUG-1", "MUG-1"}, "quantity": {"1", "9"}, "options": {"colour=gold", "colour=blue"}})
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "۴") {
			t.Fatalf("oversell = %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(admin, http.MethodPost, "/orders", url.Values{"first_name": {"Ada " + canary}, "email": {"ada@example.com"}, "currency": {"EUR"},
			"channel": {"phone"}, "sku": {"MUG-1"}, "quantity": {"2"}, "options": {"colour=gold"}, "note": {canary}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("order = %d\n%s", rec.Code, rec.Body)
		}
		orderURL := rec.Header().Get("Location")
		rec = e.do(admin, http.MethodPost, orderURL+"/status", url.Values{"status": {"shipped"}, "carrier": {"Post " + canary}, "tracking_number": {"RR123"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("ship = %d\n%s", rec.Code, rec.Body)
		}
		rec = e.do(admin, http.MethodPost, orderURL+"/status", url.Values{"status": {"pending"}})
		if rec.Code != http.StatusConflict {
			t.Fatalf("shipped → pending = %d", rec.Code)
		}
		for _, page := range []string{orderURL, "/orders", "/products", fmt.Sprintf("/products/%d", p.ID), "/inventory"} {
			rec := e.do(admin, http.MethodGet, page, nil)
			if rec.Code != 200 {
				t.Fatalf("%s = %d", page, rec.Code)
			}
			if strings.Contains(rec.Body.String(), canary) {
				t.Errorf("%s shows the canary unescaped", page)
			}
		}
		d := doc(t, e.do(admin, http.MethodGet, orderURL, nil))
		// (12.50 + 1.00) × 2 = 27.00, tax 9 % = 2.43: 29.43 in Persian digits.
		if got := d.Find("tfoot strong").Text(); got != "۲۹٫۴۳\u00a0EUR" {
			t.Errorf("order total shows %q", got)
		}
		if d.Find("ol.history li").Length() != 2 {
			t.Errorf("history has %d steps", d.Find("ol.history li").Length())
		}
		contacts, err := e.svc.Contacts.FindContacts(sys(), crm.ContactFilter{Email: "ada@example.com"})
		if err != nil || len(contacts.Items) != 1 {
			t.Fatalf("customer: %v %v", contacts.Items, err)
		}
		cd := doc(t, e.do(admin, http.MethodGet, fmt.Sprintf("/contacts/%d", contacts.Items[0].ID), nil))
		if cd.Find("section.purchases ul.orders li").Length() != 1 || cd.Find("ul.timeline li.kind-order").Length() != 2 {
			t.Errorf("contact page: %d orders, %d order entries on the timeline", cd.Find("section.purchases ul.orders li").Length(), cd.Find("ul.timeline li.kind-order").Length())
		}
		on, res := p.OnHand, p.Reserved
		p, _ = e.svc.Products.FindProductByID(sys(), p.ID)
		if p.OnHand != on+2-2 || p.Reserved != res {
			t.Errorf("stock after receipt and shipment: %d on hand, %d reserved", p.OnHand, p.Reserved)
		}
		// Facts filters on the contact list.
		rec = e.do(admin, http.MethodGet, "/contacts?purchases=once", nil)
		if doc(t, rec).Find("table tbody tr td a[href='/contacts/"+itoa(contacts.Items[0].ID)+"']").Length() != 1 {
			t.Errorf("bought exactly once does not list the customer")
		}
		// Read-only users see orders but no forms to change them.
		ro := e.session(crm.RoleReadOnly)
		rd := doc(t, e.do(ro, http.MethodGet, orderURL, nil))
		if rd.Find("form[action$='/status']").Length() != 0 {
			t.Errorf("read-only user gets the status form")
		}
	})
}
