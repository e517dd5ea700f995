package economics_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureOrders: A (source ads) buys in January twice and in March; B (no
// source, a phone order) once in January; C (ads) twice on 1 February,
// once in April and returns that unit two days later; one guest order.
const fixtureOrders = `order_id,email,date,sku,name,quantity,unit_price,currency,status,channel
A1,a@example.com,2025-01-10,P1,Mug,2,10.00,USD,delivered,web
A2,a@example.com,2025-01-20,P1,Mug,1,10.00,USD,delivered,web
A3,a@example.com,2025-03-05,P2,Teapot,1,30.00,USD,delivered,web
B1,b@example.com,2025-01-15,P2,Teapot,1,30.00,USD,delivered,phone
C1,c@example.com,2025-02-01T00:00:00Z,P1,Mug,3,10.00,USD,delivered,web
C2,c@example.com,2025-02-01T15:00:00Z,P2,Teapot,1,30.00,USD,delivered,web
C3,c@example.com,2025-04-10,P1,Mug,1,10.00,USD,delivered,web
C3R,c@example.com,2025-04-12,P1,Mug,-1,10.00,USD,refunded,web
G1,,2025-02-10,P1,Mug,1,10.00,USD,delivered,web
`

type fixture struct {
	svc                 *economics.Store
	a, b, c             int64
	manager, sales      *crm.User
	salesCtx, managerCx context.Context
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := storetest.System()
	rep, err := db.ImportOrders(ctx, strings.NewReader(fixtureOrders), crm.OrderFileOptions{Format: crm.OrderFormatCSV, DateFormat: "iso"})
	must(t, err)
	if rep.Orders != 9 || len(rep.Rejected) != 0 {
		t.Fatalf("import: %+v", rep)
	}
	fx := &fixture{svc: economics.New(db)}
	fx.managerCx, fx.manager = storetest.User(t, db, crm.RoleManager, "boss@example.com")
	_, fx.sales = storetest.User(t, db, crm.RoleSales, "sally@example.com")
	for _, p := range []struct {
		email  string
		id     *int64
		source string
		owner  int64
	}{{"a@example.com", &fx.a, "Ads", fx.manager.ID}, {"b@example.com", &fx.b, "", fx.manager.ID}, {"c@example.com", &fx.c, "ads", fx.sales.ID}} {
		list, err := db.FindContacts(ctx, crm.ContactFilter{Query: p.email})
		must(t, err)
		if len(list.Items) != 1 {
			t.Fatalf("contact %s: %d", p.email, len(list.Items))
		}
		*p.id = list.Items[0].ID
		_, err = db.UpdateContact(ctx, *p.id, crm.ContactInput{Source: &p.source, OwnerID: &p.owner})
		must(t, err)
	}
	must(t, db.SetRoleOwnOnly(ctx, crm.RoleSales, true))
	fx.salesCtx, _ = storetest.User(t, db, crm.RoleSales, "sam@example.com")
	// Sally, not Sam, owns C: Sam's actor is fetched per user.
	a, err := db.ActorForUser(context.Background(), fx.sales.ID)
	must(t, err)
	fx.salesCtx = crm.WithActor(context.Background(), a)

	costs := []crm.CostInput{
		{Kind: ptr("product"), Key: ptr("P1"), Date: ptr("2025-01-01"), Amount: ptr(int64(400))},
		{Kind: ptr("product"), Key: ptr("P1"), Date: ptr("2025-03-01"), Amount: ptr(int64(600))},
		{Kind: ptr("product"), Key: ptr("P2"), Date: ptr("2024-01-01"), Amount: ptr(int64(1200))},
		{Kind: ptr("message"), Key: ptr("email"), Date: ptr("2024-01-01"), Amount: ptr(int64(2))},
		{Kind: ptr("staff"), Key: ptr("call"), Date: ptr("2024-01-01"), Amount: ptr(int64(100))},
		{Kind: ptr("staff"), Key: ptr("*"), Date: ptr("2024-01-01"), Amount: ptr(int64(50))},
		{Kind: ptr("acquisition"), Key: ptr("ads"), Date: ptr("2025-01"), Amount: ptr(int64(3100))},
		{Kind: ptr("acquisition"), Key: ptr("ADS"), Date: ptr("2025-02-14"), Amount: ptr(int64(2800))},
		{Kind: ptr("acquisition"), Key: ptr("referral"), Date: ptr("2025-03"), Amount: ptr(int64(5000))},
		{Kind: ptr("acquisition"), Key: ptr("ads"), Date: ptr("2025-01"), Amount: ptr(int64(999)), Currency: ptr("EUR")},
	}
	for _, in := range costs {
		_, err := fx.svc.CreateCost(ctx, in)
		must(t, err)
	}
	// Messages: A one before the first purchase, two after; B one after.
	must(t, db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, m := range []struct {
			contact int64
			at      string
		}{{fx.a, "2025-01-05"}, {fx.a, "2025-02-01"}, {fx.a, "2025-02-02"}, {fx.b, "2025-02-01"}} {
			at := store.MS(day(m.at))
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO mail_outbox (kind, to_addr, subject, contact_id, status, created_at, sent_at)
VALUES ('campaign', 'x@example.com', 'Hi', $1, 'sent', $2, $2)`, m.contact, at); err != nil {
				return err
			}
		}
		return nil
	}))
	// Staff: the manager (A's and B's owner) calls A for 10 minutes; Sam
	// meets B for 20 minutes (any-kind rate, not the account manager).
	call := day("2025-02-02")
	_, err = db.CreateActivity(fx.managerCx, crm.ActivityInput{Kind: ptr("call"), ContactID: &fx.a, Subject: ptr("Check-in"), Outcome: ptr("connected"), DurationSec: ptr(600), OccurredAt: &call})
	must(t, err)
	meet := day("2025-02-03")
	_, err = db.CreateActivity(ctx, crm.ActivityInput{Kind: ptr("meeting"), ContactID: &fx.b, Subject: ptr("Visit"), DurationSec: ptr(1200), OccurredAt: &meet})
	must(t, err)
	return fx
}

func TestCohortReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := setup(t, db)
		from, to := day("2025-01-01"), day("2025-05-01")
		rep, err := fx.svc.CohortReport(storetest.System(), crm.CohortFilter{From: &from, To: &to, Days: []int{30, 90}})
		must(t, err)
		if len(rep.Cohorts) != 4 || rep.Customers != 3 {
			t.Fatalf("cohorts %d customers %d", len(rep.Cohorts), rep.Customers)
		}
		type cell struct {
			returning int
			revenue   int64
		}
		want := [][]cell{
			{{1, 6000}, {0, 0}, {1, 3000}, {0, 0}},
			{{0, 6000}, {0, 0}, {1, 0}},
			{{0, 0}, {0, 0}},
			{{0, 0}},
		}
		for i, co := range rep.Cohorts {
			if len(co.Cells) != len(want[i]) {
				t.Fatalf("cohort %d: %d cells", i, len(co.Cells))
			}
			for k, c := range co.Cells {
				if c.Returning != want[i][k].returning || c.Revenue != want[i][k].revenue {
					t.Errorf("cohort %d month %d: returning %d revenue %d, want %+v", i, k, c.Returning, c.Revenue, want[i][k])
				}
			}
		}
		if c := rep.Cohorts[0].Cells[2]; c.Share != 0.5 || c.PerCust != 1500 || c.Cumulative != 4500 {
			t.Errorf("jan cohort month 2: %+v", c)
		}
		if rep.Cohorts[1].Customers != 1 || rep.Cohorts[1].Cells[2].Share != 1 {
			t.Errorf("feb cohort: %+v", rep.Cohorts[1])
		}
		var rates []float64
		for _, p := range rep.RepeatTrend {
			rates = append(rates, math.Round(p.Rate*1000)/1000)
		}
		if want := []float64{0.5, 0.333, 0.333, 0.667}; !equal(rates, want) {
			t.Errorf("repeat trend %v, want %v", rates, want)
		}
		if rep.Gaps[1].CustomersByDay != 1 || rep.Gaps[2].CustomersByDay != 1 || rep.MedianDaysToTwo == nil || *rep.MedianDaysToTwo != 39 {
			t.Errorf("gaps %+v median %v", rep.Gaps, rep.MedianDaysToTwo)
		}
		nr := rep.NeverReturned
		if nr[0] != (crm.NeverReturned{Days: 30, Eligible: 3, Never: 2, Share: 2.0 / 3}) || nr[1] != (crm.NeverReturned{Days: 90, Eligible: 2, Never: 1, Share: 0.5}) {
			t.Errorf("never returned %+v", nr)
		}
		if len(rep.ByChannel) != 2 || rep.ByChannel[0].Key != "ads" || rep.ByChannel[0].Customers != 2 ||
			rep.ByChannel[0].Windows[0].Never != 1 || rep.ByChannel[0].Windows[1].Eligible != 1 || rep.ByChannel[0].Windows[1].Never != 0 ||
			rep.ByChannel[1].Key != "phone" || rep.ByChannel[1].Windows[1].Never != 1 {
			t.Errorf("by channel %+v", rep.ByChannel)
		}
		if len(rep.ByProduct) != 2 || rep.ByProduct[0].Key != "P1" || rep.ByProduct[0].Customers != 2 || rep.ByProduct[1].Key != "P2" {
			t.Errorf("by product %+v", rep.ByProduct)
		}
		// Own-only: Sally sees her customer C alone.
		own, err := fx.svc.CohortReport(fx.salesCtx, crm.CohortFilter{From: &from, To: &to, Days: []int{30}})
		must(t, err)
		if own.Customers != 1 || own.Cohorts[0].Customers != 0 || own.Cohorts[1].Customers != 1 || own.NeverReturned[0].Eligible != 1 {
			t.Errorf("own-only cohorts: %d %+v", own.Customers, own.NeverReturned)
		}
	})
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEconomicsReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := setup(t, db)
		from, to := day("2025-01-01"), day("2025-05-01")
		rep, err := fx.svc.EconomicsReport(storetest.System(), crm.EconomicsFilter{From: &from, To: &to})
		must(t, err)
		byID := map[int64]crm.CustomerEconomics{}
		for _, c := range rep.Customers {
			byID[c.ContactID] = c
		}
		check := func(name string, got crm.Economics, want crm.Economics) {
			t.Helper()
			want.Finish()
			if got != want {
				t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
			}
		}
		check("A", byID[fx.a].Economics, crm.Economics{Customers: 1, Orders: 3, NewCustomers: 1, Revenue: 6000, COGS: 2400, Messages: 3, MessageCost: 6,
			StaffMinutes: 10, StaffCost: 1000, Acquisition: 3100})
		check("B", byID[fx.b].Economics, crm.Economics{Customers: 1, Orders: 1, NewCustomers: 1, Revenue: 3000, COGS: 1200, Messages: 1, MessageCost: 2,
			StaffMinutes: 20, StaffCost: 1000})
		check("C", byID[fx.c].Economics, crm.Economics{Customers: 1, Orders: 3, NewCustomers: 1, Revenue: 6000, COGS: 2400, Acquisition: 2800})
		check("totals", rep.Totals, crm.Economics{Customers: 3, Orders: 7, NewCustomers: 3, Revenue: 15000, COGS: 6000, Messages: 4, MessageCost: 8,
			StaffMinutes: 30, StaffCost: 2000, Acquisition: 5900})
		check("guests", rep.Guests, crm.Economics{Orders: 1, Revenue: 1000, COGS: 400})
		if got := []int64{rep.Customers[0].ContactID, rep.Customers[1].ContactID, rep.Customers[2].ContactID}; got[0] != fx.c || got[1] != fx.b || got[2] != fx.a {
			t.Errorf("by profit, highest first: %v", got)
		}
		r := rep.Retention
		if r.RetentionMessages != 6 || r.RetentionStaff != 1000 || r.RetentionSpend != 1006 || r.ReturningPurchases != 4 || *r.CostPerReturning != 251.5 ||
			r.AcquisitionSpend != 10900 || r.NewCustomers != 3 || math.Abs(*r.CostPerNew-10900.0/3) > 1e-9 {
			t.Errorf("retention vs acquisition %+v", r)
		}
		if rep.Unallocated != 5000 || rep.OtherCurrency != 1 {
			t.Errorf("unallocated %d, other currency %d", rep.Unallocated, rep.OtherCurrency)
		}
		if len(rep.Channels) != 4 {
			t.Errorf("channels %+v", rep.Channels)
		}
		var mgr crm.GroupEconomics
		for _, g := range rep.Managers {
			if g.ID == fx.manager.ID {
				mgr = g
			}
		}
		if mgr.Customers != 2 || mgr.Profit != -506+798 {
			t.Errorf("manager %+v", mgr)
		}
		// Own-only: Sally sees C alone, with its share of the spend.
		own, err := fx.svc.EconomicsReport(fx.salesCtx, crm.EconomicsFilter{From: &from, To: &to})
		must(t, err)
		if own.CustomerCount != 1 || own.Customers[0].ContactID != fx.c || own.Totals.Profit != 800 || own.Retention.AcquisitionSpend != 2800 || own.Guests.Revenue != 0 {
			t.Errorf("own-only: %+v", own)
		}
		// Page and sort.
		page, err := fx.svc.EconomicsReport(storetest.System(), crm.EconomicsFilter{From: &from, To: &to, Sort: "profit", Limit: 1, Offset: 1})
		must(t, err)
		if len(page.Customers) != 1 || page.Customers[0].ContactID != fx.b || page.CustomerCount != 3 {
			t.Errorf("page: %+v", page.Customers)
		}
		if _, err := fx.svc.EconomicsReport(storetest.System(), crm.EconomicsFilter{Sort: "name"}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("bad sort: %v", err)
		}
	})
}

// TestCostRoles checks every role against the cost service and the
// reports: costs are hidden from sales and support, read-only reads, and
// every role reads the reports.
func TestCostRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc := economics.New(db)
		c, err := svc.CreateCost(storetest.System(), crm.CostInput{Kind: ptr("staff"), Key: ptr("call"), Date: ptr("2025-01-01"), Amount: ptr(int64(75))})
		must(t, err)
		want := map[crm.Role][2]bool{ // read, write costs
			crm.RoleAdmin: {true, true}, crm.RoleManager: {true, true}, crm.RoleMarketing: {true, true},
			crm.RoleReadOnly: {true, false}, crm.RoleSales: {false, false}, crm.RoleSupport: {false, false},
		}
		for i, role := range crm.Roles {
			ctx, _ := storetest.User(t, db, role, string(role)+"@example.com")
			code := func(err error) bool { return crm.ErrorCode(err) != crm.EFORBIDDEN }
			_, err := svc.FindCosts(ctx, crm.CostFilter{})
			_, err2 := svc.FindCostByID(ctx, c.ID)
			if code(err) != want[role][0] || code(err2) != want[role][0] {
				t.Errorf("%s reads costs: %v %v", role, err, err2)
			}
			_, err = svc.CreateCost(ctx, crm.CostInput{Kind: ptr("product"), Key: ptr("SKU-" + string(role)), Date: ptr("2025-01-01"), Amount: ptr(int64(1))})
			_, err2 = svc.UpdateCost(ctx, c.ID, crm.CostInput{Amount: ptr(int64(76 + i))})
			_, err3 := svc.ImportCosts(ctx, strings.NewReader("kind,key,date,amount\nmessage,sms,2025-01-01,0.07\n"), crm.CostImportOptions{DryRun: true})
			if code(err) != want[role][1] || code(err2) != want[role][1] {
				t.Errorf("%s writes costs: %v %v", role, err, err2)
			}
			// Import also needs import:write, which read-only lacks.
			if code(err3) != (want[role][1] && crm.RoleCan(role, crm.P(crm.ResImport, crm.Write))) {
				t.Errorf("%s imports costs: %v", role, err3)
			}
			if _, err := svc.CohortReport(ctx, crm.CohortFilter{}); err != nil {
				t.Errorf("%s cohorts: %v", role, err)
			}
			if _, err := svc.EconomicsReport(ctx, crm.EconomicsFilter{}); err != nil {
				t.Errorf("%s economics: %v", role, err)
			}
		}
		// An API key without analytics:read reads no report.
		key := crm.WithActor(context.Background(), &crm.Actor{APIKeyID: 9, Scopes: []string{"costs:write"}})
		if _, err := svc.EconomicsReport(key, crm.EconomicsFilter{}); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("costs:write key reads economics: %v", err)
		}
		if err := svc.DeleteCost(storetest.System(), c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.FindCostByID(storetest.System(), c.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("deleted cost: %v", err)
		}
	})
}

// TestCostAudit checks that every change is in the audit log.
func TestCostAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc := economics.New(db)
		ctx := storetest.System()
		c, err := svc.CreateCost(ctx, crm.CostInput{Kind: ptr("product"), Key: ptr("A"), Date: ptr("2025-01-01"), Amount: ptr(int64(1))})
		must(t, err)
		_, err = svc.UpdateCost(ctx, c.ID, crm.CostInput{Amount: ptr(int64(2))})
		must(t, err)
		_, err = svc.ImportCosts(ctx, strings.NewReader("kind,key,date,amount\nproduct,B,2025-01-01,1\n"), crm.CostImportOptions{})
		must(t, err)
		must(t, svc.DeleteCost(ctx, c.ID))
		list, err := db.FindAudit(ctx, crm.AuditFilter{Entity: "cost"})
		must(t, err)
		var actions []string
		for _, e := range list.Items {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, ",") != "delete,import,update,create" {
			t.Errorf("audit: %v", actions)
		}
	})
}

// TestTileReports checks that the analytics home's cheap variants give
// the same trend and retention figures as the full reports.
func TestTileReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := setup(t, db)
		from, to := day("2025-01-01"), day("2025-05-01")
		ctx := storetest.System()
		full, err := fx.svc.CohortReport(ctx, crm.CohortFilter{From: &from, To: &to})
		must(t, err)
		trend, err := fx.svc.CohortReport(ctx, crm.CohortFilter{From: &from, To: &to, TrendOnly: true})
		must(t, err)
		if len(trend.Cohorts) != 0 || len(trend.RepeatTrend) != len(full.RepeatTrend) || trend.RepeatTrend[3] != full.RepeatTrend[3] {
			t.Errorf("trend only: %+v", trend.RepeatTrend)
		}
		econ, err := fx.svc.EconomicsReport(ctx, crm.EconomicsFilter{From: &from, To: &to})
		must(t, err)
		ret, err := fx.svc.EconomicsReport(ctx, crm.EconomicsFilter{From: &from, To: &to, RetentionOnly: true})
		must(t, err)
		a, b := econ.Retention, ret.Retention
		if a.RetentionSpend != b.RetentionSpend || a.ReturningPurchases != b.ReturningPurchases || a.AcquisitionSpend != b.AcquisitionSpend ||
			a.NewCustomers != b.NewCustomers || *a.CostPerNew != *b.CostPerNew || *a.CostPerReturning != *b.CostPerReturning || len(ret.Customers) != 0 {
			t.Errorf("retention only %+v, full %+v", b, a)
		}
	})
}
