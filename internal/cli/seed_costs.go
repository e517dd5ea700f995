package cli

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/demo"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
)

// seedCosts gives the demo shop what its customers cost: two years of
// acquisition spend per channel and month (the channels are the demo
// contacts' sources), product costs with a supplier price rise six months
// ago on a third of the catalogue, message rates, staff-time rates, and
// the account managers' check-in calls with repeat customers after their
// first purchase, so the economics page has retention spend to set
// against acquisition spend.
func seedCosts(ctx context.Context, db *store.DB, products []crm.ProductInput, contacts int, now time.Time) error {
	svc := economics.New(db)
	cur := demo.DemoCurrency
	add := func(kind, key string, day time.Time, amount, per int64, note string) error {
		date := day.Format(time.DateOnly)
		_, err := svc.CreateCost(ctx, crm.CostInput{Kind: &kind, Key: &key, Date: &date, Amount: &amount, Per: &per, Currency: &cur, Note: &note})
		if crm.ErrorCode(err) == crm.ECONFLICT {
			return nil
		}
		return err
	}
	// Monthly spend in cents: a base per channel, a seasonal swing and a
	// deterministic wobble so no two months look alike.
	channels := []struct {
		key   string
		base  int64
		note  string
		every int // months between payments (events are quarterly)
	}{{"ads", 24000, "Search and social ads", 1}, {"partner", 8000, "Partner commissions", 1}, {"referral", 5000, "Referral rewards", 1},
		{"web_form", 6000, "Content and SEO agency", 1}, {"event", 36000, "Trade fair stand", 3}}
	// The bases are for the default 2,000 contacts: a bigger shop spends more.
	scale := max(int64(contacts), 100)
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -24, 0)
	for m := 0; m <= 24; m++ {
		month := start.AddDate(0, m, 0)
		for i, ch := range channels {
			if m%ch.every != 0 {
				continue
			}
			season := int64(100 + 25*((int(month.Month())+i)%4) - 30)
			wobble := int64((m*37+i*53)%21) - 10
			amount := ch.base * scale / 2000 * (season + wobble) / 100
			if err := add(crm.CostAcquisition, ch.key, month, amount, 1, ch.note); err != nil {
				return err
			}
		}
	}
	since := now.AddDate(-3, 0, 0)
	rise := now.AddDate(0, -6, 0)
	for i, p := range products {
		if p.SKU == nil || p.Price == nil {
			continue
		}
		cost := *p.Price * int64(38+(i*7)%17) / 100 // 38–54 % of the price
		if err := add(crm.CostProduct, *p.SKU, since, cost, 1, "Supplier price"); err != nil {
			return err
		}
		if i%3 == 0 {
			if err := add(crm.CostProduct, *p.SKU, rise, cost*108/100, 1, "Supplier price rise (+8 %)"); err != nil {
				return err
			}
		}
	}
	for _, r := range []struct {
		kind, key   string
		amount, per int64
		note        string
	}{
		{crm.CostMessage, "email", 8, 100, "Email service: 0.08 per 100 messages"},
		{crm.CostMessage, "sms", 7, 1, "SMS gateway"},
		{crm.CostStaff, "call", 75, 1, "Account manager, 45 per hour"},
		{crm.CostStaff, "meeting", 90, 1, "Meetings include travel"},
		{crm.CostStaff, "email", 50, 1, ""},
		{crm.CostStaff, "note", 40, 1, ""},
		{crm.CostStaff, "task", 60, 1, ""},
		{crm.CostStaff, "ticket", 55, 1, "Support desk, 33 per hour"},
		{crm.CostStaff, "*", 50, 1, "Any other staff time"},
	} {
		if err := add(r.kind, r.key, since, r.amount, r.per, r.note); err != nil {
			return err
		}
	}
	return seedCheckIns(ctx, db, now)
}

// seedCheckIns logs, by each repeat customer's account manager, one to
// three check-in calls after their first purchase (up to 200 customers).
func seedCheckIns(ctx context.Context, db *store.DB, now time.Time) error {
	rows, err := db.Read().QueryContext(ctx, `SELECT cf.contact_id, cf.first_at, c.owner_id FROM customer_firsts cf JOIN contacts c ON c.id = cf.contact_id
WHERE cf.second_day_at IS NOT NULL AND c.owner_id IS NOT NULL ORDER BY cf.contact_id LIMIT 200`)
	if err != nil {
		return err
	}
	type repeat struct {
		contact, first int64
		owner          sql.NullInt64
	}
	var list []repeat
	for rows.Next() {
		var r repeat
		if err := rows.Scan(&r.contact, &r.first, &r.owner); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	actors := map[int64]context.Context{}
	for _, r := range list {
		actx, ok := actors[r.owner.Int64]
		if !ok {
			a, err := db.ActorForUser(context.Background(), r.owner.Int64)
			if err != nil {
				return err
			}
			actx = crm.WithActor(ctx, a)
			actors[r.owner.Int64] = actx
		}
		first := store.FromMS(r.first)
		span := now.Sub(first)
		for k := range 1 + int(r.contact%3) {
			at := first.Add(span * time.Duration(k+1) / time.Duration(r.contact%3+2))
			dur := int(300 + (r.contact*131+int64(k)*17)%900)
			kind, outcome := "call", "connected"
			_, err := db.CreateActivity(actx, crm.ActivityInput{Kind: &kind, ContactID: &r.contact, Outcome: &outcome, DurationSec: &dur, OccurredAt: &at,
				Subject: ptr(fmt.Sprintf("Check-in call %d", k+1))})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
