package segment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

var fixedNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// fixture is a small shop: five contacts with orders, web events, forms,
// surveys, consents and scores, and the ids of its records.
type fixture struct {
	ids      map[string]int64 // contact first name → id
	ownerA   int64
	ctxA     context.Context
	formID   int64
	surveyID int64
}

func daysAgo(n int) int64 { return store.MS(fixedNow.Add(-time.Duration(n) * 24 * time.Hour)) }

// Fill writes the fixture into db straight through SQL: the engine reads
// these tables, and each row here is what the owning service would write.
func Fill(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	db.Now = func() time.Time { return fixedNow }
	ctxA, ua := storetest.User(t, db, crm.RoleSales, "ann.owner@example.com")
	_, ub := storetest.User(t, db, crm.RoleManager, "bob.owner@example.com")
	f := &fixture{ids: map[string]int64{}, ownerA: ua.ID, ctxA: ctxA}
	ctx := context.Background()
	var err error
	txErr := db.InTx(ctx, func(tx *store.Tx) error {
		exec := func(q string, args ...any) {
			if err == nil {
				_, err = tx.ExecContext(ctx, q, args...)
				if err != nil {
					err = fmt.Errorf("%s: %w", q, err)
				}
			}
		}
		id := func(q string, args ...any) int64 {
			var n int64
			if err == nil {
				if err = tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
					err = fmt.Errorf("%s: %w", q, err)
				}
			}
			return n
		}
		now := store.MS(fixedNow)
		acme := id(`INSERT INTO companies (name, sort_name, industry, size, country, created_at, updated_at) VALUES ('Acme', 'acme', 'Retail', 50, 'IR', $1, $1) RETURNING id`, now)
		exec(`INSERT INTO custom_fields (entity, key, label, type, created_at) VALUES ('contact', 'vip', 'VIP', 'boolean', $1), ('contact', 'shoe_size', 'Shoe size', 'number', $1)`, now)
		type person struct {
			first, country, city, lang, stage, birth, tags, custom string
			owner, company                                         any
		}
		for _, p := range []person{
			{"Ann", "IR", "Tehran", "fa", "customer", "1990-01-01", "vip,golf", `{}`, ua.ID, acme},
			{"Bob", "JP", "Tokyo", "ja", "lead", "2010-06-16", "vip", `{}`, ub.ID, nil},
			{"Cy", "IR", "Shiraz", "fa", "subscriber", "", "", `{"vip":true,"shoe_size":42}`, nil, nil},
			{"Dee", "DE", "Berlin", "en", "customer", "", "", `{"vip":false}`, ua.ID, nil},
			{"Eve", "DE", "Hamburg", "en", "customer", "", "", `{}`, ua.ID, nil},
		} {
			f.ids[p.first] = id(`INSERT INTO contacts (first_name, last_name, sort_name, email, country, city, language, stage, birth_date, owner_id, company_id, tags, custom, created_at, updated_at)
				VALUES ($1, 'Test', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
				p.first, strings.ToLower(p.first)+" test", strings.ToLower(p.first)+"@example.com", p.country, p.city, p.lang, p.stage, p.birth, p.owner, p.company, p.tags, p.custom, daysAgo(400))
			for _, tag := range strings.Split(p.tags, ",") {
				if tag != "" {
					exec(`INSERT INTO contact_tags (tag, contact_id) VALUES ($1, $2)`, tag, f.ids[p.first])
				}
			}
		}
		exec(`INSERT INTO products (sku, name, sort_name, category, price, currency, created_at, updated_at) VALUES
			('SHOE-1', 'Runner', 'runner', 'Shoes', 5000, 'EUR', $1, $1), ('SHOE-2', 'Trail', 'trail', 'Shoes', 7000, 'EUR', $1, $1), ('BOOK-1', 'Novel', 'novel', 'Books', 1500, 'EUR', $1, $1)`, now)
		order := func(who, sku string, ago int, total int64) {
			o := id(`INSERT INTO orders (contact_id, status, currency, subtotal, total, placed_at, created_at, updated_at) VALUES ($1, 'paid', 'EUR', $2, $2, $3, $3, $3) RETURNING id`, f.ids[who], total, daysAgo(ago))
			exec(`INSERT INTO order_lines (order_id, position, product_id, sku, name, quantity, unit_price, total) VALUES ($1, 1, (SELECT id FROM products WHERE sku = $2), $2, 'x', 1, $3, $3)`, o, sku, total)
		}
		order("Ann", "SHOE-1", 90, 5000)
		order("Bob", "BOOK-1", 200, 1500)
		order("Bob", "BOOK-1", 30, 1500)
		order("Dee", "SHOE-1", 100, 5000)
		order("Eve", "BOOK-1", 70, 1500)
		facts := func(who string, orders int, spent int64, first, last int) {
			exec(`INSERT INTO customer_facts (contact_id, orders, total_spent, currency, first_order_at, last_order_at, updated_at) VALUES ($1, $2, $3, 'EUR', $4, $5, $6)`,
				f.ids[who], orders, spent, daysAgo(first), daysAgo(last), now)
		}
		facts("Ann", 1, 5000, 90, 90)
		facts("Bob", 2, 3000, 200, 30)
		facts("Dee", 1, 5000, 100, 100)
		facts("Eve", 1, 1500, 70, 70)
		// Web: each contact's linked visitor and its events.
		for _, who := range []string{"Ann", "Bob", "Cy", "Dee", "Eve"} {
			exec(`INSERT INTO visitors (id, contact_id, first_seen, last_seen) VALUES ($1, $2, $3, $4)`, "v-"+who, f.ids[who], daysAgo(300), daysAgo(map[string]int{"Ann": 10, "Bob": 5, "Cy": 1, "Dee": 120, "Eve": 10}[who]))
		}
		event := func(who, name, sku, url, session string, ago int) {
			exec(`INSERT INTO events (site_id, visitor_id, session_id, name, url, product_sku, occurred_at, received_at) VALUES (1, $1, $2, $3, $4, $5, $6, $6)`,
				"v-"+who, session, name, url, sku, daysAgo(ago))
		}
		event("Ann", "product_view", "SHOE-2", "https://shop.example/p/shoe-2", "s1", 10)
		event("Dee", "product_view", "SHOE-1", "https://shop.example/p/shoe-1", "s2", 120)
		event("Eve", "product_view", "BOOK-1", "https://shop.example/p/book-1", "s3", 10)
		event("Bob", "add_to_cart", "BOOK-1", "https://shop.example/cart", "s4", 5)
		event("Cy", "pageview", "", "https://shop.example/sale?x=1", "s5", 3)
		event("Cy", "pageview", "", "https://shop.example/SALE", "s5", 2)
		event("Cy", "pageview", "", "https://shop.example/sale/shoes", "s6", 1)
		// A form and a submission by Bob.
		f.formID = id(`INSERT INTO forms (slug, name, created_at, updated_at) VALUES ('newsletter', 'Newsletter', $1, $1) RETURNING id`, now)
		exec(`INSERT INTO form_submissions (form_id, contact_id, status, created_at) VALUES ($1, $2, 'accepted', $3)`, f.formID, f.ids["Bob"], daysAgo(3))
		// NPS: Ann 10 (promoter), Bob first 9 then, in another survey, 5 (detractor, newest).
		f.surveyID = id(`INSERT INTO surveys (slug, name, kind, status, created_at, updated_at) VALUES ('nps', 'NPS', 'nps', 'active', $1, $1) RETURNING id`, now)
		s2 := id(`INSERT INTO surveys (slug, name, kind, status, created_at, updated_at) VALUES ('nps2', 'NPS 2', 'nps', 'active', $1, $1) RETURNING id`, now)
		resp := func(survey int64, who string, score, ago int) {
			exec(`INSERT INTO survey_responses (survey_id, contact_id, score, channel, created_at, updated_at) VALUES ($1, $2, $3, 'link', $4, $4)`, survey, f.ids[who], score, daysAgo(ago))
		}
		resp(f.surveyID, "Ann", 10, 20)
		resp(f.surveyID, "Bob", 9, 40)
		resp(s2, "Bob", 5, 4)
		// Consents: the newest entry per topic decides.
		consent := func(who, status string, ago int, expires any) {
			exec(`INSERT INTO consents (contact_id, purpose, channel, status, legal_basis, source, at, expires_at) VALUES ($1, 'marketing', 'email', $2, 'consent', 'form', $3, $4)`,
				f.ids[who], status, daysAgo(ago), expires)
		}
		consent("Ann", "granted", 50, nil)
		consent("Bob", "granted", 50, nil)
		consent("Bob", "withdrawn", 10, nil)
		consent("Cy", "granted", 50, daysAgo(1))
		consent("Dee", "withdrawn", 60, nil)
		consent("Dee", "granted", 20, nil)
		// Scores.
		score := func(who, group, band string, r, fr, m int, alive float64, clv int64) {
			exec(`INSERT INTO contact_scores (contact_id, run_id, computed_at, frequency, recency_days, monetary, r_score, f_score, m_score, rfm_group, p_alive,
				exp_purchases_30, exp_purchases_90, exp_purchases_365, exp_spend, clv_12m, churn_risk, churn_band) VALUES ($1, 1, $2, 0, 10, 100, $3, $4, $5, $6, $7, 0.1, 0.3, 1, 100, $8, 0.5, $9)`,
				f.ids[who], now, r, fr, m, group, alive, clv, band)
		}
		score("Ann", "champions", "low", 5, 5, 5, 0.9, 50000)
		score("Bob", "at_risk", "high", 2, 4, 1, 0.2, 900)
		return err
	})
	if txErr != nil {
		t.Fatal(txErr)
	}
	return f
}

func (f *fixture) names(ids []int64) []string {
	var out []string
	for _, id := range ids {
		for n, v := range f.ids {
			if v == id {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

func one(preds ...string) string {
	return `{"op":"and","groups":[{"op":"and","predicates":[` + strings.Join(preds, ",") + `]}]}`
}

func preview(t *testing.T, ctx context.Context, svc crm.SegmentService, f *fixture, def string) []string {
	t.Helper()
	p, err := svc.Preview(ctx, json.RawMessage(def), 100)
	if err != nil {
		t.Fatalf("preview %s: %v", def, err)
	}
	var ids []int64
	for _, m := range p.Sample {
		ids = append(ids, m.ContactID)
	}
	if int(p.Count) != len(ids) {
		t.Errorf("%s: count %d, sample %d", def, p.Count, len(ids))
	}
	return f.names(ids)
}

// AcceptanceDefinition is the segment: bought once, more than 60
// days ago, viewed a product since, agreed to marketing email.
const AcceptanceDefinition = `{"op":"and","groups":[{"op":"and","predicates":[
	{"field":"purchase.orders","op":"eq","value":1},
	{"field":"purchase.last_order","op":"more_than_days_ago","value":60},
	{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},
	{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]}]}`

func TestPredicateFamilies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := Fill(t, db)
		svc := segstore.New(db)
		ctx := storetest.System()
		list, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("Bob list"), Kind: ptr(crm.SegmentStatic)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddMembers(ctx, list.ID, []int64{f.ids["Bob"]}); err != nil {
			t.Fatal(err)
		}
		ownerA := fmt.Sprint(f.ownerA)
		for _, tc := range []struct {
			def  string
			want []string
		}{
			{one(`{"field":"contact.stage","op":"eq","value":"customer"}`), []string{"Ann", "Dee", "Eve"}},
			{one(`{"field":"contact.first_name","op":"starts_with","value":"a"}`), []string{"Ann"}},
			{one(`{"field":"contact.tags","op":"has_all","value":["vip","GOLF"]}`), []string{"Ann"}},
			{one(`{"field":"contact.tags","op":"has_any","value":["vip"]}`), []string{"Ann", "Bob"}},
			{one(`{"field":"contact.tags","op":"has_none","value":["vip"]}`), []string{"Cy", "Dee", "Eve"}},
			{one(`{"field":"company.industry","op":"eq","value":"retail"}`), []string{"Ann"}},
			{one(`{"field":"company.size","op":"gte","value":10}`), []string{"Ann"}},
			{one(`{"field":"location.country","op":"in","value":["IR"]}`), []string{"Ann", "Cy"}},
			{one(`{"field":"location.city","op":"eq","value":"tehran"}`), []string{"Ann"}},
			{one(`{"field":"contact.language","op":"eq","value":"ja"}`), []string{"Bob"}},
			{one(`{"field":"contact.age","op":"gte","value":18}`), []string{"Ann"}},
			{one(`{"field":"contact.age","op":"eq","value":15}`), []string{"Bob"}},
			{one(`{"field":"contact.age","op":"is_empty"}`), []string{"Cy", "Dee", "Eve"}},
			{one(`{"field":"contact.owner","op":"in","value":[` + ownerA + `]}`), []string{"Ann", "Dee", "Eve"}},
			{one(`{"field":"contact.owner","op":"is_empty"}`), []string{"Cy"}},
			{one(`{"field":"purchase.orders","op":"eq","value":0}`), []string{"Cy"}},
			{one(`{"field":"purchase.orders","op":"lt","value":2}`), []string{"Ann", "Cy", "Dee", "Eve"}},
			{one(`{"field":"purchase.total_spent","op":"between","value":[1500,3000]}`), []string{"Bob", "Eve"}},
			{one(`{"field":"purchase.last_order","op":"more_than_days_ago","value":60}`), []string{"Ann", "Dee", "Eve"}},
			{one(`{"field":"purchase.days_since_last","op":"lt","value":60}`), []string{"Bob"}},
			{one(`{"field":"purchase.first_order","op":"is_empty"}`), []string{"Cy"}},
			{one(`{"field":"purchase.avg_order","op":"gte","value":5000}`), []string{"Ann", "Dee"}},
			{one(`{"field":"bought.category","op":"at_least","value":1,"categories":["Shoes"]}`), []string{"Ann", "Dee"}},
			{one(`{"field":"bought.product","op":"at_least","value":1,"skus":["SHOE-1"],"within_days":95}`), []string{"Ann"}},
			{one(`{"field":"bought.product","op":"at_least","value":2}`), []string{"Bob"}},
			{one(`{"field":"bought.product","op":"fewer_than","value":1}`), []string{"Cy"}},
			{one(`{"field":"bought.category","op":"exactly","value":1,"categories":["Books"]}`), []string{"Eve"}},
			{one(`{"field":"bought.category","op":"exactly","value":1,"categories":["Books"],"since":"2026-01-01","until":"2026-06-01"}`), []string{"Bob", "Eve"}},
			{one(`{"field":"bought.category","op":"at_least","value":1,"categories":["Books"],"since":"2026-04-10"}`), []string{"Bob"}},
			{one(`{"field":"web.viewed_product","op":"at_least","value":1}`), []string{"Ann", "Dee", "Eve"}},
			{one(`{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true}`), []string{"Ann", "Eve"}},
			{one(`{"field":"web.viewed_category","op":"at_least","value":1,"categories":["Shoes"],"within_days":30}`), []string{"Ann"}},
			{one(`{"field":"web.viewed_url","op":"at_least","value":3,"url":"/sale","within_days":7}`), []string{"Cy"}},
			{one(`{"field":"web.sessions","op":"at_least","value":2}`), []string{"Cy"}},
			{one(`{"field":"web.cart_abandoned","op":"is_true","within_days":30}`), []string{"Bob"}},
			{one(`{"field":"web.last_visit","op":"more_than_days_ago","value":30}`), []string{"Dee"}},
			{one(`{"field":"form.submitted","op":"at_least","value":1,"forms":[` + fmt.Sprint(f.formID) + `]}`), []string{"Bob"}},
			{one(`{"field":"survey.nps_group","op":"eq","value":"promoter"}`), []string{"Ann"}},
			{one(`{"field":"survey.nps_group","op":"in","value":["detractor"]}`), []string{"Bob"}},
			{one(`{"field":"survey.nps_group","op":"eq","value":"promoter","survey_id":` + fmt.Sprint(f.surveyID) + `}`), []string{"Ann", "Bob"}},
			{one(`{"field":"survey.nps_score","op":"lte","value":6}`), []string{"Bob"}},
			{one(`{"field":"survey.responded","op":"at_least","value":2}`), []string{"Bob"}},
			{one(`{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}`), []string{"Ann", "Dee"}},
			{one(`{"field":"consent","op":"not_granted","purpose":"marketing","channel":"email"}`), []string{"Bob", "Cy", "Eve"}},
			{one(`{"field":"consent","op":"withdrawn","purpose":"marketing","channel":"email"}`), []string{"Bob"}},
			{one(`{"field":"consent","op":"never_asked","purpose":"marketing","channel":"email"}`), []string{"Eve"}},
			{one(`{"field":"score.rfm_group","op":"eq","value":"champions"}`), []string{"Ann"}},
			{one(`{"field":"score.rfm_cell","op":"in","value":["241","555"]}`), []string{"Ann", "Bob"}},
			{one(`{"field":"score.p_alive","op":"lt","value":0.5}`), []string{"Bob"}},
			{one(`{"field":"score.clv_12m","op":"gt","value":1000}`), []string{"Ann"}},
			{one(`{"field":"score.churn_band","op":"eq","value":"high"}`), []string{"Bob"}},
			{one(`{"field":"custom.vip","op":"is_true"}`), []string{"Cy"}},
			{one(`{"field":"custom.shoe_size","op":"gte","value":40}`), []string{"Cy"}},
			{one(`{"field":"segment","op":"in_segment","value":` + fmt.Sprint(list.ID) + `}`), []string{"Bob"}},
			{`{"op":"or","groups":[{"op":"and","predicates":[{"field":"segment","op":"in_segment","value":` + fmt.Sprint(list.ID) + `}]},{"op":"and","predicates":[{"field":"location.country","op":"eq","value":"de"}]}]}`, []string{"Bob", "Dee", "Eve"}},
			{`{"op":"and","groups":[]}`, []string{"Ann", "Bob", "Cy", "Dee", "Eve"}},
			{AcceptanceDefinition, []string{"Ann"}},
			// Beside a driving event count, per-contact tables are probed.
			{one(`{"field":"web.viewed_product","op":"at_least","value":1}`, `{"field":"consent","op":"not_granted","purpose":"marketing","channel":"email"}`), []string{"Eve"}},
			{one(`{"field":"web.added_to_cart","op":"at_least","value":1}`, `{"field":"consent","op":"withdrawn","purpose":"marketing","channel":"email"}`), []string{"Bob"}},
			{one(`{"field":"web.viewed_product","op":"at_least","value":1}`, `{"field":"purchase.total_spent","op":"lt","value":5000}`, `{"field":"score.rfm_group","op":"neq","value":"lost"}`), []string{}},
			{one(`{"field":"web.page_views","op":"at_least","value":1}`, `{"field":"purchase.orders","op":"lt","value":1}`, `{"field":"consent","op":"never_asked","purpose":"marketing","channel":"sms"}`), []string{"Cy"}},
		} {
			got := preview(t, ctx, svc, f, tc.def)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s\n got %v, want %v", tc.def, got, tc.want)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestRefreshRecordsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := Fill(t, db)
		svc := segstore.New(db)
		ctx := storetest.System()
		sg, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("Leads"), Definition: json.RawMessage(one(`{"field":"contact.stage","op":"eq","value":"lead"}`))})
		if err != nil {
			t.Fatal(err)
		}
		if sg.MemberCount != 1 || sg.RefreshedAt == nil {
			t.Fatalf("created %+v, want 1 member and a refresh time", sg)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE contacts SET stage = CASE WHEN id = $1 THEN 'customer' ELSE 'lead' END WHERE id IN ($1, $2)`, f.ids["Bob"], f.ids["Cy"])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return fixedNow.Add(time.Minute) }
		r, err := svc.Refresh(ctx, sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Entered != 1 || r.Left != 1 || r.Members != 1 {
			t.Errorf("refresh %+v, want 1 entered, 1 left, 1 member", r)
		}
		changes, _, err := svc.Changes(ctx, sg.ID, crm.SegmentChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range changes {
			got = append(got, fmt.Sprintf("%s %s %s", c.Name, c.Change, c.At.Format(time.TimeOnly)))
		}
		want := []string{"Cy Test entered 12:01:00", "Bob Test left 12:01:00", "Bob Test entered 12:00:00"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("changes %v, want %v", got, want)
		}
		m, err := svc.Members(ctx, sg.ID, crm.SegmentPage{})
		if err != nil || m.Total != 1 || len(m.Members) != 1 || m.Members[0].ContactID != f.ids["Cy"] {
			t.Errorf("members %+v %v", m, err)
		}
		// The job refreshes every dynamic segment: nothing changed since.
		rs, err := svc.RefreshAll(ctx)
		if err != nil || len(rs) != 1 || rs[0].Entered+rs[0].Left != 0 {
			t.Errorf("RefreshAll %+v %v", rs, err)
		}
		// Static lists log their changes too.
		list, _ := svc.Create(ctx, crm.SegmentInput{Name: ptr("List"), Kind: ptr(crm.SegmentStatic)})
		n, err := svc.AddMatching(ctx, list.ID, json.RawMessage(one(`{"field":"location.country","op":"eq","value":"DE"}`)))
		if err != nil || n != 2 {
			t.Fatalf("AddMatching = %d, %v", n, err)
		}
		if n, err := svc.RemoveMembers(ctx, list.ID, []int64{f.ids["Dee"], f.ids["Ann"]}); err != nil || n != 1 {
			t.Errorf("RemoveMembers = %d, %v", n, err)
		}
		changes, _, _ = svc.Changes(ctx, list.ID, crm.SegmentChangeFilter{})
		if len(changes) != 3 {
			t.Errorf("list changes %d, want 3", len(changes))
		}
		if _, err := svc.AddMembers(ctx, list.ID, []int64{999999}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("unknown contact: %v", err)
		}
		if _, err := svc.AddMembers(ctx, sg.ID, []int64{f.ids["Ann"]}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("add to dynamic: %v", err)
		}
		// Deleting a contact drops its membership (cascade); the next refresh counts.
		if err := db.DeleteContact(ctx, f.ids["Cy"]); err != nil {
			t.Fatal(err)
		}
		if r, _ := svc.Refresh(ctx, sg.ID); r.Members != 0 {
			t.Errorf("after delete %d members", r.Members)
		}
	})
}

func TestCycleAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		Fill(t, db)
		svc := segstore.New(db)
		ctx := storetest.System()
		a, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("A"), Definition: json.RawMessage(one(`{"field":"contact.stage","op":"eq","value":"lead"}`))})
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.Create(ctx, crm.SegmentInput{Name: ptr("B"), Definition: json.RawMessage(one(`{"field":"segment","op":"in_segment","value":` + fmt.Sprint(a.ID) + `}`))})
		if err != nil || b.MemberCount != 1 {
			t.Fatalf("B = %+v, %v", b, err)
		}
		_, err = svc.Update(ctx, a.ID, crm.SegmentInput{Definition: json.RawMessage(one(`{"field":"contact.stage","op":"eq","value":"lead"}`, `{"field":"segment","op":"not_in_segment","value":`+fmt.Sprint(b.ID)+`}`))})
		fe := crm.FieldErrors(err)
		if len(fe) != 1 || fe[0].Field != "definition.groups[0].predicates[1].value" || fe[0].Key != "segment_cycle" {
			t.Errorf("cycle: %v %+v", err, fe)
		}
		if err := svc.Delete(ctx, a.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("delete referenced: %v", err)
		}
		if err := svc.Delete(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Find(ctx, a.ID); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("find deleted: %v", err)
		}
	})
}

func TestOwnOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := Fill(t, db)
		if err := db.SetRoleOwnOnly(storetest.System(), crm.RoleSales, true); err != nil {
			t.Fatal(err)
		}
		ctxA, err := db.ActorForUser(context.Background(), f.ownerA)
		if err != nil {
			t.Fatal(err)
		}
		ctx := crm.WithActor(context.Background(), ctxA)
		svc := segstore.New(db)
		if got := preview(t, ctx, svc, f, one(`{"field":"purchase.orders","op":"gte","value":1}`)); !slices.Equal(got, []string{"Ann", "Dee", "Eve"}) {
			t.Errorf("own-only preview %v", got)
		}
		sg, err := svc.Create(storetest.System(), crm.SegmentInput{Name: ptr("Buyers"), Definition: json.RawMessage(one(`{"field":"purchase.orders","op":"gte","value":1}`))})
		if err != nil || sg.MemberCount != 4 {
			t.Fatalf("%+v %v", sg, err)
		}
		own, err := svc.Find(ctx, sg.ID)
		if err != nil || own.MemberCount != 3 {
			t.Errorf("own-only count %+v %v", own, err)
		}
		m, err := svc.Members(ctx, sg.ID, crm.SegmentPage{Limit: 2})
		if err != nil || m.Total != 3 || len(m.Members) != 2 || m.Next == "" {
			t.Fatalf("page 1 %+v %v", m, err)
		}
		m2, err := svc.Members(ctx, sg.ID, crm.SegmentPage{Limit: 2, Cursor: m.Next})
		if err != nil || len(m2.Members) != 1 || m2.Next != "" || m2.Members[0].ContactID != f.ids["Eve"] {
			t.Fatalf("page 2 %+v %v", m2, err)
		}
		var b strings.Builder
		if err := svc.ExportCSV(ctx, sg.ID, &b); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(b.String(), "\n"); lines != 4 || strings.Contains(b.String(), "bob@") {
			t.Errorf("own-only export:\n%s", b.String())
		}
		list, _ := svc.Create(storetest.System(), crm.SegmentInput{Name: ptr("L"), Kind: ptr(crm.SegmentStatic)})
		if _, err := svc.AddMembers(ctx, list.ID, []int64{f.ids["Bob"]}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("own-only add of another's contact: %v", err)
		}
	})
}
