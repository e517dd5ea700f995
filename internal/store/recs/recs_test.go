package recs_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture is a small shop whose similarities are worked by hand:
//
//	c1: A B      c2: A B C    c3: A C    c4: D
//	c5: A X      c6: B X      (X had two units: now sold out)
//
// Buyers: A 4, B 3, C 2, X 2, D 1. Pairs: A&B 2, A&C 2, A&X 1, B&C 1, B&X 1.
type fixture struct {
	db       *store.DB
	s        *recs.Store
	now      time.Time
	contacts []*crm.Contact
	ids      map[string]int64
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	ctx := storetest.System()
	f := &fixture{db: db, s: recs.New(db), now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), ids: map[string]int64{}}
	db.Now = func() time.Time { return f.now }
	for _, p := range []struct {
		sku   string
		stock int64
	}{{"A", 100}, {"B", 100}, {"C", 100}, {"D", 100}, {"X", 2}} {
		pr, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr(p.sku), Name: ptr("Product " + p.sku), Price: ptr(int64(1000)), Currency: ptr("USD"), Stock: ptr(p.stock)})
		must(t, err)
		f.ids[p.sku] = pr.ID
	}
	baskets := [][]string{{"A", "B"}, {"A", "B", "C"}, {"A", "C"}, {"D"}, {"A", "X"}, {"B", "X"}}
	for i, b := range baskets {
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("C"), Email: ptr("c" + string(rune('1'+i)) + "@example.com")})
		must(t, err)
		f.contacts = append(f.contacts, c)
		f.order(t, c.ID, 30*24*time.Hour, b...)
	}
	return f
}

// order places a paid order of one of each sku, ago before now.
func (f *fixture) order(t *testing.T, contact int64, ago time.Duration, skus ...string) {
	t.Helper()
	now := f.now
	f.db.Now = func() time.Time { return now.Add(-ago) }
	defer func() { f.db.Now = func() time.Time { return f.now } }()
	var lines []crm.OrderLineInput
	for _, s := range skus {
		lines = append(lines, crm.OrderLineInput{SKU: s, Quantity: 1})
	}
	_, err := f.db.CreateOrder(storetest.System(), crm.OrderInput{ContactID: &contact, Status: ptr(crm.OrderPaid), Currency: ptr("USD"), Lines: lines})
	must(t, err)
}

func (f *fixture) rebuild(t *testing.T, force bool) *crm.RecsBuild {
	t.Helper()
	b, err := f.s.RebuildRecommendations(storetest.System(), "manual", force)
	must(t, err)
	return b
}

// cosine with the default shrinkage (n/(n+2)) and blend (÷1.25).
func sim(co, na, nb float64) float64 { return co / math.Sqrt(na*nb) * co / (co + 2) / 1.25 }

type item struct {
	sku     string
	source  string
	score   float64
	reasons string
}

func flat(f *fixture, l *crm.RecommendationList) []item {
	var out []item
	for _, r := range l.Items {
		var rs []string
		for _, x := range r.Reasons {
			rs = append(rs, x.Kind+" "+x.SKU)
		}
		out = append(out, item{r.SKU, r.Source, math.Round(r.Score*1e9) / 1e9, strings.Join(rs, ", ")})
	}
	return out
}

func same(t *testing.T, what string, got, want []item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
	for i := range want {
		w := want[i]
		w.score = math.Round(w.score*1e9) / 1e9
		if got[i] != w {
			t.Fatalf("%s: item %d is %+v, want %+v (all: %+v)", what, i, got[i], w, got)
		}
	}
}

// TestSimilarAndNext: the exact similar items of A; a customer's next
// best products exclude what they own and the sold-out X; the best
// sellers fill the list.
func TestSimilarAndNext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := storetest.System()
		// Before any build: best sellers are unknown, the list is empty.
		l, err := f.s.Recommend(ctx, crm.RecommendationQuery{SKU: "A"})
		must(t, err)
		if len(l.Items) != 0 || l.BuiltAt != nil {
			t.Fatalf("before a build: %+v", l)
		}
		b := f.rebuild(t, true)
		if b.Status != "ok" || b.Purchases != 12 || b.Customers != 6 || b.Products != 5 || b.Pairs != 5 || b.SimilarRows != 10 {
			t.Fatalf("build %+v", b)
		}
		l, err = f.s.Recommend(ctx, crm.RecommendationQuery{SKU: "A", Limit: 5})
		must(t, err)
		same(t, "similar to A", flat(f, l), []item{
			{"C", "similar", sim(2, 4, 2), ""},
			{"B", "similar", sim(2, 4, 3), ""},
			{"D", "popular", 0, "popular D"},
		})
		if l.Items[0].CoCount != 2 || l.Fallback {
			t.Fatalf("C: co_count %d, fallback %v", l.Items[0].CoCount, l.Fallback)
		}
		l, err = f.s.Recommend(ctx, crm.RecommendationQuery{ContactID: f.contacts[0].ID, Limit: 5})
		must(t, err)
		same(t, "next for c1", flat(f, l), []item{
			{"C", "similar", sim(2, 4, 2) + sim(1, 3, 2), "bought A, bought B"},
			{"D", "popular", 0, "popular D"},
		})
		// D has no neighbours: its similar items are the best sellers.
		l, err = f.s.Recommend(ctx, crm.RecommendationQuery{ProductID: f.ids["D"], Limit: 2})
		must(t, err)
		same(t, "similar to D", flat(f, l), []item{{"A", "popular", 0, "popular A"}, {"B", "popular", 0, "popular B"}})
		if !l.Fallback {
			t.Fatal("D's list should be a fallback")
		}
		// An inactive product is never recommended.
		_, err = db.UpdateProduct(ctx, f.ids["C"], crm.ProductInput{Active: ptr(false)})
		must(t, err)
		l, err = f.s.Recommend(ctx, crm.RecommendationQuery{ContactID: f.contacts[0].ID, Limit: 5})
		must(t, err)
		same(t, "next for c1 without C", flat(f, l), []item{{"D", "popular", 0, "popular D"}})
		// A cold customer gets the best sellers.
		cold, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Cold")})
		must(t, err)
		l, err = f.s.Recommend(ctx, crm.RecommendationQuery{ContactID: cold.ID, Limit: 3})
		must(t, err)
		same(t, "cold", flat(f, l), []item{{"A", "popular", 0, "popular A"}, {"B", "popular", 0, "popular B"}, {"D", "popular", 0, "popular D"}})
		// Bad and missing targets.
		for _, q := range []crm.RecommendationQuery{{}, {SKU: "A", ContactID: 1}, {SKU: "A", Limit: 51}, {ContactID: -1}} {
			if _, err := f.s.Recommend(ctx, q); crm.ErrorCode(err) != crm.EINVALID {
				t.Fatalf("%+v: %v, want invalid", q, err)
			}
		}
		if _, err := f.s.Recommend(ctx, crm.RecommendationQuery{SKU: "NOPE"}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("unknown sku: %v", err)
		}
		if _, err := f.s.Recommend(ctx, crm.RecommendationQuery{ContactID: 999999}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("unknown contact: %v", err)
		}
	})
}

// TestViewsAndOwnOnly: a linked visitor's recent views are signals; an
// own-only user sees only their own contacts' recommendations.
func TestViewsAndOwnOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := storetest.System()
		site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
		must(t, err)
		viewer, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Vic")})
		must(t, err)
		visitor := strings.Repeat("ab", 16)
		must(t, db.WriteEvents(ctx, crm.EventBatch{Events: []*crm.Event{{SiteID: site.ID, VisitorID: visitor, Name: crm.EventProduct,
			ProductSKU: "B", OccurredAt: f.now.Add(-time.Hour)}}}))
		must(t, db.LinkVisitor(ctx, visitor, viewer.ID, crm.LinkForm))
		f.rebuild(t, true)
		l, err := f.s.Recommend(ctx, crm.RecommendationQuery{ContactID: viewer.ID, Limit: 1})
		must(t, err)
		same(t, "viewer", flat(f, l), []item{{"A", "similar", 0.5 * sim(2, 4, 3), "viewed B"}})

		must(t, db.SetRoleOwnOnly(ctx, crm.RoleSales, true))
		sales, u := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		if _, err := f.s.Recommend(sales, crm.RecommendationQuery{ContactID: viewer.ID}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Fatalf("another owner's contact: %v, want not found", err)
		}
		_, err = db.UpdateContact(ctx, viewer.ID, crm.ContactInput{OwnerID: &u.ID})
		must(t, err)
		if _, err := f.s.Recommend(sales, crm.RecommendationQuery{ContactID: viewer.ID}); err != nil {
			t.Fatalf("own contact: %v", err)
		}
		if _, err := f.s.RebuildRecommendations(sales, "manual", true); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Fatalf("sales rebuild: %v, want forbidden", err)
		}
	})
}

// TestRebuildIncremental: an unchanged history is skipped; a new order, a
// status change or a new product view makes the job rebuild; the rows of
// the previous build are gone once the new one is live.
func TestRebuildIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := storetest.System()
		job := f.s.Job()
		run := func() *crm.RecsBuild {
			t.Helper()
			must(t, job.Run(ctx))
			b, err := f.s.LatestRecsBuild(ctx)
			must(t, err)
			return b
		}
		first := run()
		if first.Trigger != "job" || first.Status != "ok" {
			t.Fatalf("first build %+v", first)
		}
		if b := run(); b.ID != first.ID {
			t.Fatalf("unchanged history rebuilt: build %d after %d", b.ID, first.ID)
		}
		if b, err := f.s.RebuildRecommendations(ctx, "job", false); err != nil || !b.Skipped {
			t.Fatalf("skip: %+v %v", b, err)
		}
		f.order(t, f.contacts[3].ID, time.Hour, "A")
		second := run()
		if second.ID == first.ID || second.Purchases != 13 {
			t.Fatalf("after an order: %+v", second)
		}
		// A day later the best sellers' window moved: rebuilt.
		f.now = f.now.Add(25 * time.Hour)
		third := run()
		if third.ID == second.ID {
			t.Fatal("a day-old build was not refreshed")
		}
		var rows, builds int
		must(t, db.QueryRow(ctx, `SELECT COUNT(DISTINCT build_id) FROM product_similarity`).Scan(&builds))
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM product_similarity`).Scan(&rows))
		if builds != 1 || int64(rows) != third.SimilarRows {
			t.Fatalf("%d builds and %d rows live, want 1 and %d", builds, rows, third.SimilarRows)
		}
		// A product view arrives: rebuilt.
		site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
		must(t, err)
		must(t, db.WriteEvents(ctx, crm.EventBatch{Events: []*crm.Event{{SiteID: site.ID, VisitorID: strings.Repeat("cd", 16), Name: crm.EventProduct,
			ProductSKU: "D", OccurredAt: f.now}}}))
		fourth := run()
		if fourth.ID == third.ID || fourth.Views != 1 {
			t.Fatalf("after a view: %+v", fourth)
		}
		if b := run(); b.ID != fourth.ID {
			t.Fatal("rebuilt again without a change")
		}
		// An import requests the job.
		must(t, db.FinishJob(ctx, crm.JobRecsRebuild, "", f.now.Add(time.Hour), ""))
		rep, err := f.s.AfterImport(db).ImportOrders(ctx, strings.NewReader("customer,external_id,date,sku,quantity,unit_price\nc1@example.com,imp-1,2026-05-01,B,1,10.00\n"),
			crm.OrderFileOptions{Format: crm.OrderFormatCSV, Currency: "USD"})
		must(t, err)
		if rep.Orders != 1 {
			t.Fatalf("import: %+v", rep)
		}
		st, ok, err := db.Job(ctx, crm.JobRecsRebuild)
		must(t, err)
		if !ok || st.NextRunAt.UnixMilli() != 0 {
			t.Fatalf("the import did not request the job: %+v", st)
		}
	})
}

// TestEvaluation: the offline figures of a history whose answer is known
// (internal/recommend's TestEvaluate, placed as real orders): the model
// finds each customer's next product first; the best sellers only in
// their top ten.
func TestEvaluation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		for _, sku := range []string{"A", "B", "C", "D", "P1", "P2", "P3", "P4", "P5", "P6"} {
			_, err := db.CreateProduct(ctx, crm.ProductInput{SKU: ptr(sku), Name: ptr(sku), Price: ptr(int64(100)), Currency: ptr("USD"), Stock: ptr(int64(1000))})
			must(t, err)
		}
		day := 24 * time.Hour
		at := func(d int) time.Time { return now.Add(-time.Duration(120-d) * day) }
		place := func(contact *int64, email string, d int, skus ...string) {
			t.Helper()
			db.Now = func() time.Time { return at(d) }
			in := crm.OrderInput{ContactID: contact, Status: ptr(crm.OrderPaid), Currency: ptr("USD")}
			if contact == nil {
				in.Email = &email
			}
			for _, s := range skus {
				in.Lines = append(in.Lines, crm.OrderLineInput{SKU: s, Quantity: 1})
			}
			_, err := db.CreateOrder(ctx, in)
			must(t, err)
		}
		var cs []int64
		for i := range 6 {
			c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("C"), Email: ptr("e" + string(rune('1'+i)) + "@example.com")})
			must(t, err)
			cs = append(cs, c.ID)
		}
		place(&cs[0], "", 50, "A", "B")
		place(&cs[1], "", 51, "A", "B")
		place(&cs[2], "", 52, "C", "D")
		place(&cs[3], "", 53, "C", "D")
		place(&cs[4], "", 60, "A")
		place(&cs[5], "", 61, "C")
		for p := 1; p <= 6; p++ {
			for g := range 4 {
				place(nil, "g"+string(rune('0'+p))+string(rune('a'+g))+"@example.com", 70, "P"+string(rune('0'+p)))
			}
		}
		// 34 purchases up to day 70 and 10 after: the 80th percentile is
		// the first later one (day 101), the cutoff.
		for range 5 {
			place(&cs[4], "", 101, "B")
			place(&cs[5], "", 102, "D")
		}
		db.Now = func() time.Time { return now }
		b, err := recs.New(db).RebuildRecommendations(ctx, "manual", true)
		must(t, err)
		e := b.Evaluation
		if e == nil {
			t.Fatal("no evaluation")
		}
		want := crm.RecsEvaluation{Cutoff: at(101), Customers: 2, TrainPurchases: 34, TestPurchases: 10,
			Model:      crm.RecsMetrics{HitRate5: 1, HitRate10: 1, Precision5: 0.2, Precision10: 0.1},
			Popularity: crm.RecsMetrics{HitRate5: 0, HitRate10: 1, Precision5: 0, Precision10: 0.1}}
		e.EvalMS = 0
		if *e != want {
			t.Fatalf("evaluation\n got %+v\nwant %+v", *e, want)
		}
		got, err := recs.New(db).LatestRecsBuild(ctx)
		must(t, err)
		if got.Evaluation == nil || got.Evaluation.Model != want.Model || !got.Evaluation.Cutoff.Equal(want.Cutoff) {
			t.Fatalf("stored evaluation %+v", got.Evaluation)
		}
	})
}
