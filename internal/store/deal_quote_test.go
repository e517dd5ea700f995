package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func TestDealOwnOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		if err := db.SetRoleOwnOnly(sys, crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		aliceCtx, _ := storetest.User(t, db, crm.RoleSales, "alice@example.com")
		bobCtx, bob := storetest.User(t, db, crm.RoleSales, "bob@example.com")
		mine := mustDeal(t, aliceCtx, db, crm.DealInput{Title: ptr("Mine"), Amount: ptr(int64(100)), ExpectedClose: ptr("2026-12-01")})
		theirs := mustDeal(t, bobCtx, db, crm.DealInput{Title: ptr("Theirs"), Amount: ptr(int64(900)), ExpectedClose: ptr("2026-12-01")})
		bobsContact := mustContact(t, bobCtx, db, crm.ContactInput{LastName: ptr("Bob's")})
		if _, err := db.FindDealByID(aliceCtx, theirs.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("read other's deal: %v, want not_found", err)
		}
		if _, err := db.UpdateDeal(aliceCtx, theirs.ID, crm.DealInput{Title: ptr("Hacked")}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("update other's deal: %v, want not_found", err)
		}
		if _, err := db.MoveDeal(aliceCtx, theirs.ID, crm.DealStageInput{StageID: theirs.StageID}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("move other's deal: %v, want not_found", err)
		}
		if err := db.DeleteDeal(aliceCtx, theirs.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("delete other's deal: %v, want not_found", err)
		}
		if _, err := db.CreateDeal(aliceCtx, crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), OwnerID: &bob.ID}); fieldOf(err, "owner_id") != "cannot_assign" {
			t.Errorf("assign to other: %v, want cannot_assign", err)
		}
		if _, err := db.CreateDeal(aliceCtx, crm.DealInput{Title: ptr("x"), Currency: ptr("EUR"), ContactID: &bobsContact.ID}); fieldOf(err, "contact_id") != "not_found" {
			t.Errorf("deal on other's contact: %v, want contact_id not_found", err)
		}
		page, err := db.FindDeals(aliceCtx, crm.DealFilter{WithTotal: true})
		if err != nil || page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != mine.ID {
			t.Errorf("alice sees %d deals (%v), want only her own", page.Total, err)
		}
		f, err := db.Forecast(aliceCtx, crm.ForecastFilter{From: "2026-12", To: "2026-12"})
		if err != nil || len(f.Totals) != 1 || f.Totals[0].Amount != 100 {
			t.Errorf("alice's forecast = %+v, %v; want only her 100", f, err)
		}
		ps, err := db.FindPipelines(aliceCtx)
		if err != nil || ps[0].Stages[0].DealCount != 1 {
			t.Errorf("alice's stage count = %d, %v; want 1", ps[0].Stages[0].DealCount, err)
		}
		if _, err := db.FindDealByID(sys, theirs.ID); err != nil {
			t.Errorf("other's deal was touched: %v", err)
		}
		// Deals are not pipelines: sales users may not change stages.
		if _, err := db.CreateStage(aliceCtx, ps[0].ID, crm.StageInput{Name: ptr("Mine")}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("sales creates a stage: %v, want forbidden", err)
		}
		supportCtx, _ := storetest.User(t, db, crm.RoleSupport, "sue@example.com")
		if _, err := db.FindDeals(supportCtx, crm.DealFilter{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("support lists deals: %v, want forbidden", err)
		}
	})
}

func TestForecastArithmetic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := storetest.System()
		db.Now = func() time.Time { return time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC) }
		_, st := salesPipeline(t, db)
		annCtx, ann := storetest.User(t, db, crm.RoleSales, "ann@example.com")
		benCtx, ben := storetest.User(t, db, crm.RoleSales, "ben@example.com")
		deal := func(ctx any, title string, amount int64, cur, close string, stage string, prob *int) {
			in := crm.DealInput{Title: &title, Amount: &amount, Currency: &cur, ExpectedClose: &close, Probability: prob}
			if stage != "" {
				id := st[stage]
				in.StageID = &id
			}
			c := annCtx
			if ctx == "ben" {
				c = benCtx
			}
			mustDeal(t, c, db, in)
		}
		deal("ann", "A", 10001, "EUR", "2026-07-03", "Qualified", nil)    // 10 % → 1000.1
		deal("ann", "B", 20001, "EUR", "2026-07-30", "Proposal", nil)     // 30 % → 6000.3
		deal("ben", "C", 333, "EUR", "2026-07-15", "Negotiation", nil)    // 60 % → 199.8
		deal("ben", "D", 5000, "EUR", "2026-08-01", "Qualified", ptr(55)) // override → 2750
		deal("ben", "E", 70000, "JPY", "2026-07-20", "Proposal", nil)     // other currency → 21000
		deal("ann", "F", 4000, "EUR", "2026-07-20", "Won", nil)           // won in June
		deal("ann", "G", 9999, "EUR", "2026-07-20", "Lost", nil)          // lost: nowhere
		deal("ann", "H", 1234, "EUR", "2027-09-01", "Qualified", nil)     // outside the range
		deal("ben", "I", 800, "EUR", "", "Qualified", nil)                // undated: the "" month
		f, err := db.Forecast(sys, crm.ForecastFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if f.From != "2026-06" || f.To != "2027-05" {
			t.Errorf("default range = %s..%s", f.From, f.To)
		}
		row := func(rows []crm.ForecastRow, month string, owner *int64, cur string) crm.ForecastRow {
			for _, r := range rows {
				if r.Month == month && r.Currency == cur && (owner == nil || (r.OwnerID != nil && *r.OwnerID == *owner)) {
					return r
				}
			}
			t.Fatalf("no row %q %v %s in %+v", month, owner, cur, rows)
			return crm.ForecastRow{}
		}
		// July EUR: 1000.1 + 6000.3 + 199.8 = 7200.2 → 7200, rounded once.
		if r := row(f.ByMonth, "2026-07", nil, "EUR"); r.Open != 3 || r.Amount != 30335 || r.Weighted != 7200 {
			t.Errorf("July EUR = %+v, want 3 open, 30335, weighted 7200", r)
		}
		if r := row(f.ByMonth, "2026-08", nil, "EUR"); r.Weighted != 2750 {
			t.Errorf("August EUR = %+v, want weighted 2750", r)
		}
		if r := row(f.ByMonth, "2026-07", nil, "JPY"); r.Weighted != 21000 || r.Amount != 70000 {
			t.Errorf("July JPY = %+v", r)
		}
		if r := row(f.ByMonth, "2026-06", nil, "EUR"); r.Won != 4000 || r.WonCount != 1 || r.Open != 0 {
			t.Errorf("June EUR = %+v, want the won 4000", r)
		}
		if r := row(f.ByMonth, "", nil, "EUR"); r.Weighted != 80 {
			t.Errorf("undated EUR = %+v, want weighted 80", r)
		}
		if last := f.ByMonth[len(f.ByMonth)-1]; last.Month != "" {
			t.Errorf("undated deals should come last, got %+v", last)
		}
		// Owners: Ann 1000.1 + 6000.3 = 7000.4 → 7000 and won 4000; Ben
		// 199.8 + 2750 + 80 = 3029.8 → 3030.
		if r := row(f.ByOwner, "", &ann.ID, "EUR"); r.Weighted != 7000 || r.Won != 4000 || r.OwnerName != "ann" {
			t.Errorf("Ann EUR = %+v", r)
		}
		if r := row(f.ByOwner, "", &ben.ID, "EUR"); r.Weighted != 3030 || r.Open != 3 {
			t.Errorf("Ben EUR = %+v", r)
		}
		tot := row(f.Totals, "", nil, "EUR")
		if tot.Weighted != 10030 || tot.Won != 4000 || tot.Open != 5 {
			t.Errorf("EUR total = %+v, want weighted 10030 (rounded once), won 4000", tot)
		}
		if len(f.Currency) != 2 || f.Currency[0] != "EUR" || f.Currency[1] != "JPY" {
			t.Errorf("currencies = %v", f.Currency)
		}
		f, err = db.Forecast(sys, crm.ForecastFilter{OwnerID: &ben.ID, From: "2026-08", To: "2026-08"})
		if err != nil || len(f.ByMonth) != 2 || f.ByMonth[0].Weighted != 2750 {
			t.Errorf("Ben in August = %+v, %v", f.ByMonth, err)
		}
		if _, err := db.Forecast(sys, crm.ForecastFilter{From: "2026-13"}); fieldOf(err, "from") != "invalid_month" {
			t.Errorf("month 13 = %v", err)
		}
	})
}

func TestAcceptQuote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, _ := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		chair := dealProduct(t, db, "CHAIR", 12500, 10, 2000)
		lamp := dealProduct(t, db, "LAMP", 3000, 1, 0)
		c := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		d := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Office"), ContactID: &c.ID,
			Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 4, Discount: 1000}}})
		q := crm.NewQuote(d, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		// 4 × 125.00 − 10.00 = 490.00, tax 20 % = 98.00.
		if q.Subtotal != 50000 || q.Discount != 1000 || q.Tax != 9800 || q.Total != 58800 || q.ValidUntil.Format(time.DateOnly) != "2026-07-01" {
			t.Errorf("quote = %+v", q)
		}
		o, err := db.AcceptQuote(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.DealID == nil || *o.DealID != d.ID || len(o.Lines) != 1 || o.Lines[0].SKU != "CHAIR" || o.Lines[0].Quantity != 4 ||
			o.Discount != 1000 || o.Total != q.Total || *o.ContactID != c.ID {
			t.Errorf("order = %+v, lines %+v", o, o.Lines)
		}
		if on, res := stock(t, db, chair.ID); on != 10 || res != 4 {
			t.Errorf("chair stock = %d on hand, %d reserved; want 10, 4", on, res)
		}
		won, err := db.FindDealByID(ctx, d.ID)
		if err != nil || won.Status != crm.DealWon || won.StageName != "Won" {
			t.Errorf("deal after accept = %+v, %v", won, err)
		}
		if _, err := db.AcceptQuote(ctx, d.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("accept twice = %v, want conflict", err)
		}
		orders, err := db.FindOrders(ctx, crm.OrderFilter{DealID: &d.ID})
		if err != nil || len(orders.Items) != 1 {
			t.Errorf("orders of the deal = %d, %v; want exactly one", len(orders.Items), err)
		}
		// Out of stock: a clear conflict, no order, the deal stays open.
		short := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Lamps"), ContactID: &c.ID,
			Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 1}, {SKU: "LAMP", Quantity: 3}}})
		_, err = db.AcceptQuote(ctx, short.ID)
		if crm.ErrorCode(err) != crm.ECONFLICT || fieldOf(err, "lines[1].quantity") != "out_of_stock" {
			t.Fatalf("out of stock = %v, want conflict on lines[1]", err)
		}
		after, _ := db.FindDealByID(ctx, short.ID)
		if after.Status != crm.DealOpen || after.StageID != short.StageID {
			t.Errorf("deal after refused accept = %s in %s", after.Status, after.StageName)
		}
		if on, res := stock(t, db, lamp.ID); on != 1 || res != 0 {
			t.Errorf("lamp stock = %d, %d; want untouched", on, res)
		}
		if _, res := stock(t, db, chair.ID); res != 4 {
			t.Errorf("chair reserved = %d, want still 4 (all or nothing)", res)
		}
		// A price that moved since the quote is refused, not silently changed.
		moved := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Repriced"), ContactID: &c.ID, Lines: &[]crm.DealLineInput{{SKU: "LAMP", Quantity: 1}}})
		if _, err := db.UpdateProduct(storetest.System(), lamp.ID, crm.ProductInput{Price: ptr(int64(3500))}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AcceptQuote(ctx, moved.ID); crm.ErrorCode(err) != crm.ECONFLICT || fieldOf(err, "lines[0].sku") != "price_changed" {
			t.Errorf("accept after a price change = %v, want conflict price_changed", err)
		}
		noContact := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Nobody"), Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 1}}})
		if _, err := db.AcceptQuote(ctx, noContact.ID); fieldOf(err, "contact_id") != "quote_without_contact" {
			t.Errorf("accept without contact = %v", err)
		}
		supportCtx, _ := storetest.User(t, db, crm.RoleSupport, "sue@example.com")
		if _, err := db.AcceptQuote(supportCtx, short.ID); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("support accepts = %v, want forbidden", err)
		}
	})
}

func TestMergeMovesDeals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		keep := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Email: ptr("ada@example.com")})
		other := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Ada"), LastName: ptr("Lovelace"), Email: ptr("ada.l@example.com")})
		d := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Engine"), ContactID: &other.ID})
		if _, err := db.MergeContacts(ctx, keep.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindDealByID(ctx, d.ID)
		if err != nil || got.ContactID == nil || *got.ContactID != keep.ID {
			t.Fatalf("deal after merge = %+v, %v; want it on the kept contact %d", got, err, keep.ID)
		}
		page, _ := db.FindDeals(ctx, crm.DealFilter{ContactID: &keep.ID})
		if len(page.Items) != 1 {
			t.Errorf("deals of kept contact = %d", len(page.Items))
		}
	})
}

func TestDealListFiltersAndKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		_, st := salesPipeline(t, db)
		for i, title := range []string{"Alpha", "bravo", "Charlie", "delta", "Echo"} {
			stage := st["Qualified"]
			if i%2 == 1 {
				stage = st["Won"]
			}
			mustDeal(t, ctx, db, crm.DealInput{Title: &title, Amount: ptr(int64(100 * (i + 1))), StageID: &stage,
				ExpectedClose: ptr("2026-0" + string(rune('1'+i)) + "-10")})
		}
		var titles []string
		after := ""
		for {
			p, err := db.FindDeals(ctx, crm.DealFilter{Limit: 2, After: after, Sort: "-amount"})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Items {
				titles = append(titles, d.Title)
			}
			if after = p.Next; after == "" {
				break
			}
		}
		if want := "Echo delta Charlie bravo Alpha"; join(titles) != want {
			t.Errorf("by -amount = %s, want %s", join(titles), want)
		}
		p, err := db.FindDeals(ctx, crm.DealFilter{Status: crm.DealWon, WithTotal: true})
		if err != nil || p.Total != 2 {
			t.Errorf("won = %d, %v", p.Total, err)
		}
		p, _ = db.FindDeals(ctx, crm.DealFilter{CloseFrom: "2026-02-01", CloseTo: "2026-03-31", WithTotal: true})
		if p.Total != 2 {
			t.Errorf("close range = %d, want 2", p.Total)
		}
		p, _ = db.FindDeals(ctx, crm.DealFilter{Query: "RAV", WithTotal: true})
		if p.Total != 1 || p.Items[0].Title != "bravo" {
			t.Errorf("search = %+v", p.Items)
		}
		if _, err := db.FindDeals(ctx, crm.DealFilter{Sort: "owner_id; DROP TABLE deals"}); fieldOf(err, "sort") != "invalid_sort" {
			t.Errorf("bad sort = %v", err)
		}
		if _, err := db.FindDeals(ctx, crm.DealFilter{CloseFrom: "soon"}); fieldOf(err, "close_from") != "invalid_date" {
			t.Errorf("bad close_from = %v", err)
		}
	})
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestAcceptQuoteOnceUnderConcurrency: eight simultaneous acceptances of
// one quote make exactly one order.
func TestAcceptQuoteOnceUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		dealProduct(t, db, "CHAIR", 12500, 100, 0)
		c := mustContact(t, ctx, db, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		d := mustDeal(t, ctx, db, crm.DealInput{Title: ptr("Chairs"), ContactID: &c.ID, Lines: &[]crm.DealLineInput{{SKU: "CHAIR", Quantity: 2}}})
		var wg sync.WaitGroup
		var ok, conflicts atomic.Int32
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch _, err := db.AcceptQuote(ctx, d.ID); crm.ErrorCode(err) {
				case "":
					ok.Add(1)
				case crm.ECONFLICT:
					conflicts.Add(1)
				default:
					t.Errorf("accept: %v", err)
				}
			}()
		}
		wg.Wait()
		orders, err := db.FindOrders(ctx, crm.OrderFilter{DealID: &d.ID})
		if err != nil || len(orders.Items) != 1 || ok.Load() != 1 || conflicts.Load() != 7 {
			t.Errorf("orders = %d (%v), accepted %d, conflicts %d; want exactly one order", len(orders.Items), err, ok.Load(), conflicts.Load())
		}
	})
}
