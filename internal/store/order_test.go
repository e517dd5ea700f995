package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func mustProduct(t *testing.T, db *store.DB, sku string, price, stock int64, opts ...func(*crm.ProductInput)) *crm.Product {
	t.Helper()
	in := crm.ProductInput{SKU: &sku, Name: ptr("Product " + sku), Price: &price, Currency: ptr("EUR"), Stock: &stock}
	for _, o := range opts {
		o(&in)
	}
	p, err := db.CreateProduct(storetest.System(), in)
	if err != nil {
		t.Fatalf("create product %s: %v", sku, err)
	}
	return p
}

func order(email string, lines ...crm.OrderLineInput) crm.OrderInput {
	return crm.OrderInput{Email: &email, Currency: ptr("EUR"), Lines: lines}
}

func line(sku string, q int64) crm.OrderLineInput { return crm.OrderLineInput{SKU: sku, Quantity: q} }

func fieldKey(err error, field string) string {
	for _, f := range crm.FieldErrors(err) {
		if f.Field == field {
			return f.Key
		}
	}
	return ""
}

// stock reads a product's levels and checks the ledger adds up to them.
func stock(t *testing.T, db *store.DB, id int64) (onHand, reserved int64) {
	t.Helper()
	ctx := storetest.System()
	p, err := db.FindProductByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var sumOn, sumRes int64
	page := crm.Page[*crm.StockMovement]{Next: ""}
	for first := true; first || page.Next != ""; first = false {
		page, err = db.FindMovements(ctx, crm.MovementFilter{ProductID: &id, After: page.Next, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Items {
			o, r := crm.MovementEffect(m.Kind, m.Quantity)
			sumOn, sumRes = sumOn+o, sumRes+r
		}
	}
	if sumOn != p.OnHand || sumRes != p.Reserved {
		t.Fatalf("ledger says on hand %d reserved %d, levels say %d and %d", sumOn, sumRes, p.OnHand, p.Reserved)
	}
	if p.Reserved < 0 || p.OnHand < p.Reserved {
		t.Fatalf("impossible stock: on hand %d, reserved %d", p.OnHand, p.Reserved)
	}
	return p.OnHand, p.Reserved
}

func TestOrderTotalsReservationAndTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		mug := mustProduct(t, db, "MUG-1", 1250, 20, func(in *crm.ProductInput) {
			in.TaxRateBP = ptr(2000)
			in.Options = &[]crm.ProductOption{
				{Key: "colour", Type: "select", Required: true, Values: []crm.OptionValue{{Value: "blue"}, {Value: "gold", PriceDelta: 250}}},
				{Key: "engraving", Type: "text", PriceDelta: 500, MaxLen: 20},
			}
		})
		tea := mustProduct(t, db, "TEA-1", 800, 5)
		in := order("sara@example.com",
			crm.OrderLineInput{SKU: "MUG-1", Quantity: 2, Options: map[string]string{"colour": "gold", "engraving": "Sara"}},
			line("TEA-1", 1))
		in.FirstName, in.LastName, in.Discount = ptr("Sara"), ptr("Ahmadi"), ptr(int64(400))
		o, err := db.CreateOrder(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		// Mug: (1250+250+500) × 2 = 4000; tea 800; subtotal 4800.
		// Discount 400 split 4000:800 → 333.3 + 66.7, rounded down to 333 + 66,
		// the remainder to the largest line: 334 + 66.
		// Tax 20 % on the mug's 3666 = 733.2 → 733; tea has no tax.
		if o.Subtotal != 4800 || o.Discount != 400 || o.Tax != 733 || o.Total != 4800-400+733 {
			t.Fatalf("totals = %d − %d + %d = %d", o.Subtotal, o.Discount, o.Tax, o.Total)
		}
		if o.Lines[0].UnitPrice != 2000 || o.Lines[0].Discount != 334 || o.Lines[1].Discount != 66 || o.Lines[0].Options["engraving"] != "Sara" {
			t.Fatalf("lines = %+v", o.Lines)
		}
		if o.Status != crm.OrderPending || len(o.History) != 1 || o.ContactID == nil || o.ContactName != "Sara Ahmadi" {
			t.Fatalf("order = %+v", o)
		}
		if on, res := stock(t, db, mug.ID); on != 20 || res != 2 {
			t.Fatalf("mug stock %d/%d, want 20 on hand, 2 reserved", on, res)
		}
		if _, res := stock(t, db, tea.ID); res != 1 {
			t.Fatalf("tea reserved %d", res)
		}
		tl, err := db.FindActivities(ctx, crm.ActivityFilter{ContactID: o.ContactID})
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Items) != 1 || tl.Items[0].Kind != crm.KindOrder || tl.Items[0].OrderID == nil || *tl.Items[0].OrderID != o.ID {
			t.Fatalf("timeline = %+v", tl.Items)
		}
		if err := db.DeleteActivity(ctx, tl.Items[0].ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("deleting an order entry: %v, want conflict", err)
		}
		// The same customer by email: no second contact.
		o2, err := db.CreateOrder(ctx, order("SARA@example.com", line("TEA-1", 1)))
		if err != nil {
			t.Fatal(err)
		}
		if *o2.ContactID != *o.ContactID {
			t.Fatalf("second order went to contact %d, want %d", *o2.ContactID, *o.ContactID)
		}
	})
}

func TestOrderBadInputChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		p := mustProduct(t, db, "CUP", 500, 3)
		mustProduct(t, db, "USD-CUP", 500, 3, func(in *crm.ProductInput) { in.Currency = ptr("USD") })
		cases := []struct {
			name  string
			in    crm.OrderInput
			code  string
			field string
			key   string
		}{
			{"unknown sku", order("a@example.com", line("NOPE", 1)), crm.EINVALID, "lines[0].sku", "unknown_sku"},
			{"negative quantity", order("a@example.com", line("CUP", -1)), crm.EINVALID, "lines[0].quantity", "out_of_range"},
			{"currency mismatch", order("a@example.com", line("USD-CUP", 1)), crm.EINVALID, "lines[0].sku", "currency_mismatch"},
			{"bad currency", crm.OrderInput{Email: ptr("a@example.com"), Currency: ptr("EURO"), Lines: []crm.OrderLineInput{line("CUP", 1)}}, crm.EINVALID, "currency", "invalid_currency"},
			{"no lines", order("a@example.com"), crm.EINVALID, "lines", "required"},
			{"no customer", crm.OrderInput{Currency: ptr("EUR"), Lines: []crm.OrderLineInput{line("CUP", 1)}}, crm.EINVALID, "contact_id", "contact_or_email"},
			{"out of stock on the second line", order("a@example.com", line("CUP", 2), line("CUP", 2)), crm.ECONFLICT, "lines[1].quantity", "out_of_stock"},
			{"unknown option", order("a@example.com", crm.OrderLineInput{SKU: "CUP", Quantity: 1, Options: map[string]string{"size": "xl"}}), crm.EINVALID, "lines[0].options.size", "unknown_field"},
			{"discount above subtotal", func() crm.OrderInput {
				o := order("a@example.com", line("CUP", 1))
				o.Discount = ptr(int64(501))
				return o
			}(), crm.EINVALID, "discount", "out_of_range"},
		}
		for _, c := range cases {
			_, err := db.CreateOrder(ctx, c.in)
			if crm.ErrorCode(err) != c.code || fieldKey(err, c.field) != c.key {
				t.Errorf("%s: %v (fields %+v), want %s on %s = %s", c.name, err, crm.FieldErrors(err), c.code, c.field, c.key)
			}
		}
		if on, res := stock(t, db, p.ID); on != 3 || res != 0 {
			t.Fatalf("stock after refused orders: %d/%d", on, res)
		}
		page, err := db.FindOrders(ctx, crm.OrderFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("orders after refused input: %d, %v", len(page.Items), err)
		}
		contacts, _ := db.FindContacts(ctx, crm.ContactFilter{})
		if len(contacts.Items) != 0 {
			t.Fatalf("a refused order left a contact behind: %+v", contacts.Items[0])
		}
		// The 409 says what is available.
		_, err = db.CreateOrder(ctx, order("a@example.com", line("CUP", 5)))
		if fe := crm.FieldErrors(err); len(fe) != 1 || fmt.Sprint(fe[0].Args) != "[3]" {
			t.Fatalf("out of stock error = %v %+v", err, fe)
		}
		// Overflowing prices are refused, not wrapped.
		big := mustProduct(t, db, "GOLD", crm.MaxAmount, 10)
		_, err = db.CreateOrder(ctx, crm.OrderInput{Email: ptr("a@example.com"), Currency: ptr("EUR"), Lines: []crm.OrderLineInput{{SKU: big.SKU, Quantity: 10}, {SKU: big.SKU, Quantity: 10}}})
		if crm.ErrorCode(err) == "" {
			t.Fatal("an order of 2×10¹³ minor units was accepted")
		}
	})
}

func TestOrderStatusFlowMovesStock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		p := mustProduct(t, db, "LAMP", 3000, 10)
		o, err := db.CreateOrder(ctx, order("b@example.com", line("LAMP", 3)))
		if err != nil {
			t.Fatal(err)
		}
		step := func(status string, wantOn, wantRes int64) {
			t.Helper()
			o, err = db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: status, Carrier: "DHL", TrackingNumber: "JD0001"})
			if err != nil {
				t.Fatalf("→ %s: %v", status, err)
			}
			if on, res := stock(t, db, p.ID); on != wantOn || res != wantRes {
				t.Fatalf("after %s: stock %d/%d, want %d/%d", status, on, res, wantOn, wantRes)
			}
		}
		step(crm.OrderPaid, 10, 3)
		step(crm.OrderShipped, 7, 0)
		if o.Carrier != "DHL" || o.TrackingNumber != "JD0001" {
			t.Fatalf("tracking = %q %q", o.Carrier, o.TrackingNumber)
		}
		step(crm.OrderDelivered, 7, 0)
		if _, err := db.SetOrderStatus(ctx, o.ID, crm.OrderStatusInput{Status: crm.OrderPending}); crm.ErrorCode(err) != crm.ECONFLICT || fieldKey(err, "status") != "bad_transition" {
			t.Fatalf("delivered → pending: %v", err)
		}
		step(crm.OrderReturned, 10, 0)
		step(crm.OrderRefunded, 10, 0)
		if len(o.History) != 6 {
			t.Fatalf("history has %d steps: %+v", len(o.History), o.History)
		}
		facts, err := db.FindCustomerFacts(ctx, *o.ContactID)
		if err != nil || facts.Orders != 0 {
			t.Fatalf("a refunded order still counts: %+v %v", facts, err)
		}
		// Cancelling a pending order releases its reservation.
		o2, err := db.CreateOrder(ctx, order("b@example.com", line("LAMP", 4)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetOrderStatus(ctx, o2.ID, crm.OrderStatusInput{Status: crm.OrderCancelled}); err != nil {
			t.Fatal(err)
		}
		if on, res := stock(t, db, p.ID); on != 10 || res != 0 {
			t.Fatalf("after cancel: %d/%d", on, res)
		}
	})
}

func TestInventoryMovements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		p := mustProduct(t, db, "PEN", 100, 5, func(in *crm.ProductInput) { in.LowStock = ptr(int64(3)) })
		if _, err := db.CreateMovement(ctx, crm.MovementInput{SKU: ptr("PEN"), Kind: ptr(crm.MoveReceipt), Quantity: ptr(int64(10)), Location: ptr("annex")}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateOrder(ctx, order("c@example.com", line("PEN", 4))); err != nil {
			t.Fatal(err)
		}
		// The order took the location with the most available (annex).
		levels, err := db.FindStockLevels(ctx, crm.StockFilter{ProductID: &p.ID})
		if err != nil || len(levels.Items) != 2 {
			t.Fatalf("levels = %+v, %v", levels.Items, err)
		}
		if l := levels.Items[0]; l.Location != "annex" || l.Reserved != 4 {
			t.Fatalf("annex = %+v", l)
		}
		// An adjustment may not leave less on hand than is reserved.
		_, err = db.CreateMovement(ctx, crm.MovementInput{ProductID: &p.ID, Location: ptr("annex"), Kind: ptr(crm.MoveAdjustment), Quantity: ptr(int64(-7))})
		if crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("over-adjustment: %v", err)
		}
		if _, err := db.CreateMovement(ctx, crm.MovementInput{ProductID: &p.ID, Kind: ptr(crm.MoveAdjustment), Quantity: ptr(int64(-3))}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []crm.MovementInput{
			{SKU: ptr("PEN"), Kind: ptr(crm.MoveSale), Quantity: ptr(int64(1))},
			{SKU: ptr("PEN"), Kind: ptr(crm.MoveReceipt), Quantity: ptr(int64(-1))},
			{SKU: ptr("NONE"), Kind: ptr(crm.MoveReceipt), Quantity: ptr(int64(1))},
			{SKU: ptr("PEN"), Kind: ptr(crm.MoveReceipt), Quantity: ptr(int64(1)), Location: ptr("Bad Place!")},
		} {
			if _, err := db.CreateMovement(ctx, bad); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("movement %+v: %v, want invalid", bad, err)
			}
		}
		low, err := db.FindProducts(ctx, crm.ProductFilter{LowStock: true})
		if err != nil || len(low.Items) != 0 {
			t.Fatalf("low stock list = %+v (available %d)", low.Items, 8)
		}
		if _, err := db.CreateMovement(ctx, crm.MovementInput{ProductID: &p.ID, Location: ptr("annex"), Kind: ptr(crm.MoveAdjustment), Quantity: ptr(int64(-6))}); err != nil {
			t.Fatal(err)
		}
		low, err = db.FindProducts(ctx, crm.ProductFilter{LowStock: true})
		if err != nil || len(low.Items) != 1 || low.Items[0].Available != 2 {
			t.Fatalf("low stock list = %+v, %v", low.Items, err)
		}
		stock(t, db, p.ID)
		if err := db.DeleteProduct(ctx, p.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Fatalf("deleting an ordered product: %v", err)
		}
	})
}

func TestPurchaseFactsAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		mustProduct(t, db, "BOOK", 2000, 100)
		if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "eur"}); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		buy := func(email string, q int64, daysAgo int) *crm.Order {
			t.Helper()
			db.Now = func() time.Time { return now.AddDate(0, 0, -daysAgo) }
			defer func() { db.Now = func() time.Time { return now } }()
			in := order(email, line("BOOK", q))
			in.Status = ptr(crm.OrderPaid)
			o, err := db.CreateOrder(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		once := buy("once@example.com", 1, 10)
		buy("twice@example.com", 1, 300)
		buy("twice@example.com", 5, 200)
		old := buy("old@example.com", 3, 400)
		pending, err := db.CreateOrder(ctx, order("pending@example.com", line("BOOK", 1)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := db.FindCustomerFacts(ctx, *once.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Orders != 1 || f.TotalSpent != 2000 || f.AverageOrder != 2000 || f.DaysSinceLast != 10 || f.Currency != "EUR" {
			t.Fatalf("facts = %+v", f)
		}
		names := func(fl crm.ContactFilter) []string {
			t.Helper()
			fl.Sort = "email"
			p, err := db.FindContacts(ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range p.Items {
				out = append(out, c.Email)
			}
			return out
		}
		check := func(what string, fl crm.ContactFilter, want ...string) {
			t.Helper()
			if got := names(fl); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		check("bought exactly once", crm.ContactFilter{OrdersMin: ptr(1), OrdersMax: ptr(1)}, "old@example.com", "once@example.com")
		check("never bought", crm.ContactFilter{OrdersMax: ptr(0)}, "pending@example.com")
		check("spent more than 50.00", crm.ContactFilter{SpentMin: ptr(int64(5001))}, "old@example.com", "twice@example.com")
		check("no order for 180 days", crm.ContactFilter{LastOrderBefore: ptr(now.AddDate(0, 0, -180))}, "old@example.com", "twice@example.com")
		check("ordered in the last 30 days", crm.ContactFilter{LastOrderAfter: ptr(now.AddDate(0, 0, -30))}, "once@example.com")
		_ = pending
		// In another shop currency the EUR orders still count, but spend nothing.
		if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		check("spent more than 50.00 USD", crm.ContactFilter{SpentMin: ptr(int64(5001))})
		check("bought twice, in any currency", crm.ContactFilter{OrdersMin: ptr(2)}, "twice@example.com")
		if _, err := db.UpdateShopSettings(ctx, crm.ShopSettings{Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		// Merging moves orders and their facts to the kept contact.
		if _, err := db.MergeContacts(ctx, *once.ContactID, *old.ContactID); err != nil {
			t.Fatal(err)
		}
		f, err = db.FindCustomerFacts(ctx, *once.ContactID)
		if err != nil || f.Orders != 2 || f.TotalSpent != 8000 {
			t.Fatalf("facts after merge = %+v, %v", f, err)
		}
	})
}

func TestOwnOnlyOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		mustProduct(t, db, "HAT", 900, 10)
		if err := db.SetRoleOwnOnly(sys, crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		sam, samUser := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		mine, err := db.CreateOrder(sam, order("mine@example.com", line("HAT", 1)))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.CreateOrder(sys, order("theirs@example.com", line("HAT", 1)))
		if err != nil {
			t.Fatal(err)
		}
		page, err := db.FindOrders(sam, crm.OrderFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != mine.ID {
			t.Fatalf("own-only list = %+v, %v", page.Items, err)
		}
		if _, err := db.FindOrderByID(sam, theirs.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("reading another's order: %v", err)
		}
		if _, err := db.SetOrderStatus(sam, theirs.ID, crm.OrderStatusInput{Status: crm.OrderCancelled}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("cancelling another's order: %v", err)
		}
		// Ordering for a customer one cannot see, named by id, is refused.
		byID := order("", line("HAT", 1))
		byID.Email, byID.ContactID = nil, theirs.ContactID
		if _, err := db.CreateOrder(sam, byID); crm.ErrorCode(err) != crm.EINVALID {
			t.Fatalf("ordering for another's customer by id: %v", err)
		}
		// Named by email, it is answered as an unknown address is: a new
		// customer of one's own, so the answer does not tell that the
		// address is someone's customer (issue 9, item 17).
		o, err := db.CreateOrder(sam, order("theirs@example.com", line("HAT", 1)))
		if err != nil || o.ContactID == nil || *o.ContactID == *theirs.ContactID {
			t.Fatalf("ordering with another's customer's email: %+v, %v", o, err)
		}
		if c, err := db.FindContactByID(sam, *o.ContactID); err != nil || c.OwnerID == nil || *c.OwnerID != samUser.ID {
			t.Fatalf("the new customer is not the own-only user's: %+v, %v", c, err)
		}
		ro, _ := storetest.User(t, db, crm.RoleReadOnly, "ro@example.com")
		if _, err := db.CreateOrder(ro, order("x@example.com", line("HAT", 1))); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Fatalf("read-only placing an order: %v", err)
		}
	})
}
