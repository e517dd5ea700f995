package api

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { matrixParts = append(matrixParts, commerceMatrix) }

// commerceMatrix adds the product, inventory and order operations to the
// authorisation matrix, with a snapshot of the commerce tables.
func commerceMatrix(t *testing.T, db *store.DB) ([]matrixRoute, func() any) {
	ctx := storetest.System()
	p, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr("MX-1"), Name: ptr("Matrix mug"), Price: ptr(int64(900)), Currency: ptr("EUR"), Stock: ptr(int64(1000))})
	must(t, err)
	gone, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr("MX-GONE"), Name: ptr("To delete"), Price: ptr(int64(1)), Currency: ptr("EUR")})
	must(t, err)
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Buyer"), Email: ptr("buyer@example.com")})
	must(t, err)
	o, err := db.CreateOrder(ctx, crm.OrderInput{ContactID: &c.ID, Currency: ptr("EUR"), Lines: []crm.OrderLineInput{{SKU: "MX-1", Quantity: 1}}})
	must(t, err)
	productsR, productsW := crm.P(crm.ResProducts, crm.Read), crm.P(crm.ResProducts, crm.Write)
	inventoryR, inventoryW := crm.P(crm.ResInventory, crm.Read), crm.P(crm.ResInventory, crm.Write)
	ordersR, ordersW := crm.P(crm.ResOrders, crm.Read), crm.P(crm.ResOrders, crm.Write)
	routes := []matrixRoute{
		{"GET", "/products", nil, ps(productsR)},
		{"POST", "/products", map[string]any{"sku": "MX-NEW", "name": "New", "price": 100, "currency": "EUR"}, ps(productsW)},
		{"GET", fmt.Sprintf("/products/%d", p.ID), nil, ps(productsR)},
		{"PATCH", fmt.Sprintf("/products/%d", p.ID), map[string]any{"category": "Kitchen"}, ps(productsW)},
		{"GET", "/inventory", nil, ps(inventoryR)},
		{"GET", "/inventory/movements", nil, ps(inventoryR)},
		{"POST", "/inventory/movements", map[string]any{"sku": "MX-1", "kind": "receipt", "quantity": 5}, ps(inventoryW)},
		{"GET", "/orders", nil, ps(ordersR)},
		{"POST", "/orders", map[string]any{"contact_id": c.ID, "currency": "EUR", "lines": []map[string]any{{"sku": "MX-1", "quantity": 1}}}, ps(ordersW)},
		{"GET", fmt.Sprintf("/orders/%d", o.ID), nil, ps(ordersR)},
		// pending → paid is allowed once; a second allowed caller gets a
		// 409, which is still "not refused".
		{"POST", fmt.Sprintf("/orders/%d/status", o.ID), map[string]any{"status": "paid"}, ps(ordersW)},
		{"GET", fmt.Sprintf("/contacts/%d/facts", c.ID), nil, ps(contactsR, ordersR)},
		{"GET", "/shop-settings", nil, ps(ordersR)},
		{"PATCH", "/shop-settings", map[string]any{"currency": "EUR"}, ps(usersW)},
		{"DELETE", fmt.Sprintf("/products/%d", gone.ID), nil, ps(productsW)},
	}
	snap := func() any {
		ps, err := db.FindProducts(ctx, crm.ProductFilter{Limit: 500})
		must(t, err)
		os, err := db.FindOrders(ctx, crm.OrderFilter{Limit: 500})
		must(t, err)
		ms, err := db.FindMovements(ctx, crm.MovementFilter{Limit: 500})
		must(t, err)
		st, err := db.ShopSettings(ctx)
		must(t, err)
		return []any{ps.Items, os.Items, ms.Items, st}
	}
	return routes, snap
}

func TestOrderAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		shop := e.key("orders:write", "products:write", "inventory:write")
		reader := e.key("orders:read")
		r := e.do("POST", "/api/v1/products", map[string]any{"sku": "TEE-M", "name": "T-shirt", "names": map[string]string{"fa": "تی‌شرت", "ja": "Tシャツ"},
			"price": 1999, "currency": "eur", "tax_rate_bp": 900, "stock": 3, "low_stock": 1,
			"options": []map[string]any{{"key": "size", "type": "select", "required": true, "values": []map[string]any{{"value": "M"}, {"value": "XL", "price_delta": 200}}}}}, shop)
		if r.status != http.StatusCreated {
			t.Fatalf("create product: %d %s", r.status, r.body)
		}
		var p crm.Product
		r.decode(t, &p)
		if p.OnHand != 3 || p.Available != 3 || p.Currency != "EUR" || p.Names["ja"] != "Tシャツ" {
			t.Fatalf("product = %+v", p)
		}
		order := map[string]any{"email": "kenji@example.jp", "first_name": "健二", "last_name": "山田", "currency": "EUR", "external_id": "shop-1001",
			"lines": []map[string]any{{"sku": "TEE-M", "quantity": 2, "options": map[string]string{"size": "XL"}}}}
		first := e.do("POST", "/api/v1/orders", order, shop, "Idempotency-Key", "order-1001")
		if first.status != http.StatusCreated {
			t.Fatalf("order: %d %s", first.status, first.body)
		}
		again := e.do("POST", "/api/v1/orders", order, shop, "Idempotency-Key", "order-1001")
		if again.status != http.StatusCreated || string(again.body) != string(first.body) {
			t.Fatalf("replay: %d %s", again.status, again.body)
		}
		var o crm.Order
		first.decode(t, &o)
		// (1999 + 200) × 2 = 4398, 9 % tax = 395.82 → 396.
		if o.Status != "pending" || o.Subtotal != 4398 || o.Tax != 396 || o.Total != 4794 || o.Lines[0].Options["size"] != "XL" {
			t.Fatalf("order = %+v", o)
		}
		list := e.do("GET", "/api/v1/orders?q=shop-1001", nil, reader)
		var page struct{ Items []crm.Order }
		list.decode(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("the idempotent retry made %d orders", len(page.Items))
		}
		e.run(t, []scenario{
			{name: "out of stock names the line", method: "POST", url: "/api/v1/orders", key: shop,
				body:       map[string]any{"email": "x@example.com", "currency": "EUR", "lines": []map[string]any{{"sku": "TEE-M", "quantity": 1, "options": map[string]string{"size": "M"}}, {"sku": "TEE-M", "quantity": 5, "options": map[string]string{"size": "M"}}}},
				wantStatus: 409, wantContains: []string{`body.lines[1].quantity`, `Only 0 available`}},
			{name: "the same external id twice", method: "POST", url: "/api/v1/orders", key: shop, body: order, wantStatus: 409, wantContains: []string{"body.external_id"}},
			{name: "unknown sku", method: "POST", url: "/api/v1/orders", key: shop,
				body: map[string]any{"email": "x@example.com", "currency": "EUR", "lines": []map[string]any{{"sku": "NOPE", "quantity": 1}}}, wantStatus: 422, wantContains: []string{"body.lines[0].sku"}},
			{name: "required option missing", method: "POST", url: "/api/v1/orders", key: shop,
				body: map[string]any{"email": "x@example.com", "currency": "EUR", "lines": []map[string]any{{"sku": "TEE-M", "quantity": 1}}}, wantStatus: 422, wantContains: []string{"body.lines[0].options.size"}},
			{name: "negative quantity", method: "POST", url: "/api/v1/orders", key: shop,
				body: map[string]any{"email": "x@example.com", "currency": "EUR", "lines": []map[string]any{{"sku": "TEE-M", "quantity": -1}}}, wantStatus: 422},
			{name: "currency mismatch", method: "POST", url: "/api/v1/orders", key: shop,
				body: map[string]any{"email": "x@example.com", "currency": "JPY", "lines": []map[string]any{{"sku": "TEE-M", "quantity": 1, "options": map[string]string{"size": "M"}}}}, wantStatus: 422, wantContains: []string{"EUR"}},
			{name: "price overflow", method: "POST", url: "/api/v1/products", key: shop,
				body: map[string]any{"sku": "BIG", "name": "Big", "price": 1e16, "currency": "EUR"}, wantStatus: 422, wantContains: []string{"body.price"}},
			{name: "price as a string", method: "POST", url: "/api/v1/products", key: shop,
				body: map[string]any{"sku": "STR", "name": "Str", "price": "12.50", "currency": "EUR"}, wantStatus: 422},
			{name: "transition that does not exist", method: "POST", url: fmt.Sprintf("/api/v1/orders/%d/status", o.ID), key: shop,
				body: map[string]any{"status": "delivered"}, wantStatus: 409, wantContains: []string{"body.status"}},
			{name: "status that does not exist", method: "POST", url: fmt.Sprintf("/api/v1/orders/%d/status", o.ID), key: shop,
				body: map[string]any{"status": "lost"}, wantStatus: 422},
			{name: "ship with tracking", method: "POST", url: fmt.Sprintf("/api/v1/orders/%d/status", o.ID), key: shop,
				body: map[string]any{"status": "shipped", "carrier": "Yamato", "tracking_number": "1234-5678"}, wantStatus: 200, wantContains: []string{`"tracking_number":"1234-5678"`, `"status":"shipped"`}},
			{name: "low stock list", method: "GET", url: "/api/v1/products?low_stock=true", key: shop, wantStatus: 200, wantContains: []string{`"sku":"TEE-M"`}},
			{name: "ledger of the order", method: "GET", url: fmt.Sprintf("/api/v1/inventory/movements?order_id=%d", o.ID), key: shop, wantStatus: 200, wantContains: []string{`"kind":"sale"`, `"kind":"reservation"`}},
			{name: "unknown filter", method: "GET", url: "/api/v1/orders?state=paid", key: reader, wantStatus: 422},
			{name: "bought exactly once", method: "GET", url: "/api/v1/contacts?orders_min=1&orders_max=1", key: e.key("contacts:read"), wantStatus: 200, wantContains: []string{"kenji@example.jp"}},
		})
		// 20 concurrent orders for the one unit left (3 − 2 shipped): exactly one succeeds.
		var wg sync.WaitGroup
		codes := make([]int, 20)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.send("POST", "/api/v1/orders", map[string]any{"email": fmt.Sprintf("race%d@example.com", i), "currency": "EUR",
					"lines": []map[string]any{{"sku": "TEE-M", "quantity": 1, "options": map[string]string{"size": "M"}}}}, shop, false).status
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case 201:
				won++
			case 409:
			default:
				t.Errorf("concurrent order: status %d", c)
			}
		}
		if won != 1 {
			t.Fatalf("%d of 20 concurrent orders for the last unit succeeded", won)
		}
	})
}
