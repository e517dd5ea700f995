// Command economics times the cohort and economics reports on a generated
// shop of 1,000,000 orders, written straight into the database (multi-row
// inserts on SQLite, COPY on PostgreSQL) with the sales rollups rebuilt by
// SQL, as a restore does:
//
//	go run ./bench/economics                       # SQLite, a fresh file
//	go run ./bench/economics -db postgres://…      # PostgreSQL (an empty database)
//
// The shop: 250,000 customers over three years (most buy once, some many
// times), 1,000,000 orders (2 % guest orders, 1 % credit notes) with one
// to three lines of 200 SKUs, 200,000 timed activities, 500,000 sent
// messages, five segments of 50,000 members, and costs of every kind.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/economics"
)

func main() {
	dsn := flag.String("db", "", "database (default: a fresh SQLite file in -work)")
	work := flag.String("work", filepath.Join(os.TempDir(), "ecrm-bench-economics"), "work directory")
	orders := flag.Int("orders", 1_000_000, "orders to generate")
	runs := flag.Int("runs", 5, "timed runs of each report")
	reuse := flag.Bool("reuse", false, "keep an existing SQLite file and only time the reports")
	flag.Parse()
	if err := run(*dsn, *work, *orders, *runs, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dsn, work string, nOrders, runs int, reuse bool) error {
	ctx := context.Background()
	if dsn == "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return err
		}
		path := filepath.Join(work, "economics.db")
		if !reuse {
			os.Remove(path)
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
		}
		dsn = "sqlite:" + path
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := crm.WithActor(ctx, crm.SystemActor)
	var have int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM orders`).Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		start := time.Now()
		if err := generate(ctx, db, nOrders); err != nil {
			return err
		}
		fmt.Printf("generated %d orders in %v (%s)\n", nOrders, time.Since(start).Round(time.Second), db.Engine())
	} else {
		fmt.Printf("reusing %d orders (%s)\n", have, db.Engine())
	}
	svc := economics.New(db)
	var owner int64
	if err := db.QueryRow(ctx, `SELECT MIN(id) FROM users`).Scan(&owner); err != nil {
		return err
	}
	own := crm.WithActor(ctx, &crm.Actor{UserID: owner, Name: "manager 1", Role: crm.RoleSales, OwnOnly: true})
	fmt.Println("| engine | report | wall min | wall median | CPU min | CPU median | load avg |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"cohort report (12 months, windows 90/180/365)", func() error { _, err := svc.CohortReport(sys, crm.CohortFilter{}); return err }},
		{"economics report (12 months, first page)", func() error { _, err := svc.EconomicsReport(sys, crm.EconomicsFilter{}); return err }},
		{"cohort report, own-only user (1/10 of customers)", func() error { _, err := svc.CohortReport(own, crm.CohortFilter{}); return err }},
		{"economics report, own-only user", func() error { _, err := svc.EconomicsReport(own, crm.EconomicsFilter{}); return err }},
		{"analytics-home tiles: repeat trend + retention vs acquisition", func() error {
			if _, err := svc.CohortReport(sys, crm.CohortFilter{TrendOnly: true}); err != nil {
				return err
			}
			_, err := svc.EconomicsReport(sys, crm.EconomicsFilter{RetentionOnly: true})
			return err
		}},
	} {
		var times, cpus []time.Duration
		for range runs {
			start, cpu := time.Now(), cpuTime()
			if err := c.fn(); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			times = append(times, time.Since(start))
			cpus = append(cpus, cpuTime()-cpu)
		}
		slices.Sort(times)
		slices.Sort(cpus)
		var load [3]float64
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			fmt.Sscan(string(b), &load[0])
		}
		fmt.Printf("| %s | %s | %v | %v | %v | %v | %.1f |\n", db.Engine(), c.name, times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond),
			cpus[0].Round(time.Millisecond), cpus[len(cpus)/2].Round(time.Millisecond), load[0])
	}
	rep, err := svc.EconomicsReport(sys, crm.EconomicsFilter{})
	if err != nil {
		return err
	}
	co, err := svc.CohortReport(sys, crm.CohortFilter{})
	if err != nil {
		return err
	}
	fmt.Printf("economics: %d customers in the period, revenue %d, profit %d; cohorts: %d customers, never returned within 90 days %.1f %%\n",
		rep.CustomerCount, rep.Totals.Revenue, rep.Totals.Profit, co.Customers, 100*co.NeverReturned[0].Share)
	return nil
}

// inserter writes rows in batches: multi-row INSERTs with anonymous
// placeholders on SQLite (numbered ones bind in quadratic time), COPY on
// PostgreSQL.
type inserter struct {
	db    *store.DB
	table string
	cols  []string
	rows  [][]any
	n     int
	// before is flushed first: the rows it holds are referenced by these.
	before *inserter
}

func (in *inserter) add(ctx context.Context, row ...any) error {
	in.rows = append(in.rows, row)
	in.n++
	if len(in.rows) >= 20000 {
		return in.flush(ctx)
	}
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.rows) == 0 {
		return nil
	}
	if in.before != nil {
		if err := in.before.flush(ctx); err != nil {
			return err
		}
	}
	rows := in.rows
	in.rows = nil
	if pool := in.db.Pool(); pool != nil {
		_, err := pool.CopyFrom(ctx, pgx.Identifier{in.table}, in.cols, pgx.CopyFromRows(rows))
		return err
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(in.cols)), ",") + ")"
	err := in.db.InTx(ctx, func(tx *store.Tx) error {
		per := 30000 / len(in.cols)
		for start := 0; start < len(rows); start += per {
			chunk := rows[start:min(start+per, len(rows))]
			args := make([]any, 0, len(chunk)*len(in.cols))
			for _, r := range chunk {
				args = append(args, r...)
			}
			q := "INSERT INTO " + in.table + " (" + strings.Join(in.cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", len(chunk)), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", in.table, err)
	}
	return nil
}

const day = int64(86400000)

// generate writes the shop. Customers' first purchases are spread over
// three years; 60 % buy once, the rest come back at gaps of weeks to
// months.
func generate(ctx context.Context, db *store.DB, nOrders int) error {
	r := rand.New(rand.NewPCG(10, 2025))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	origin := store.MS(now.AddDate(-3, 0, 0))
	span := store.MS(now) - origin
	nowMS := store.MS(now)
	const managers = 10
	users := &inserter{db: db, table: "users", cols: []string{"id", "email", "name", "role", "created_at", "updated_at"}}
	for i := 1; i <= managers; i++ {
		if err := users.add(ctx, int64(i), fmt.Sprintf("am%d@bench.example", i), fmt.Sprintf("Manager %d", i), "sales", origin, origin); err != nil {
			return err
		}
	}
	if err := users.flush(ctx); err != nil {
		return err
	}
	sources := []string{"ads", "referral", "web_form", "partner", "event", ""}
	nCustomers := nOrders / 4
	contacts := &inserter{db: db, table: "contacts", cols: []string{"id", "first_name", "last_name", "sort_name", "email", "source", "owner_id", "created_at", "updated_at"}}
	ord := &inserter{db: db, table: "orders", cols: []string{"id", "contact_id", "status", "channel", "currency", "subtotal", "total", "placed_at", "created_at", "updated_at", "kind"}}
	lines := &inserter{db: db, table: "order_lines", cols: []string{"id", "order_id", "position", "sku", "name", "quantity", "unit_price", "total"}, before: ord}
	ord.before = contacts
	acts := &inserter{db: db, table: "activities", cols: []string{"kind", "contact_id", "duration_sec", "occurred_at", "author_id", "created_at"}, before: contacts}
	mail := &inserter{db: db, table: "mail_outbox", cols: []string{"kind", "to_addr", "subject", "contact_id", "status", "created_at", "sent_at"}, before: contacts}
	var orderID, lineID int64
	addOrder := func(contact any, at int64, kind, status string) error {
		orderID++
		n := 1 + r.IntN(3)
		sign := int64(1)
		if kind == "credit" {
			sign = -1
		}
		var total int64
		var rows [][]any
		for p := range n {
			lineID++
			sku := r.IntN(200)
			price := int64(500 + sku*37%4500)
			q := int64(1 + r.IntN(2))
			total += sign * price * q
			rows = append(rows, []any{lineID, orderID, int64(p), fmt.Sprintf("SKU-%03d", sku), fmt.Sprintf("Product %d", sku), q, price, sign * price * q})
		}
		if err := ord.add(ctx, orderID, contact, status, []string{"web", "web", "web", "phone", "store"}[r.IntN(5)], "USD", total, total, at, at, at, kind); err != nil {
			return err
		}
		for _, row := range rows {
			if err := lines.add(ctx, row...); err != nil {
				return err
			}
		}
		return nil
	}
	// Order ids grow with time, as in a shop (and an import of its
	// history): the events are generated per customer, then numbered in
	// time order.
	type event struct {
		contact int64
		at      int64
		credit  bool
	}
	var events []event
	for c := int64(1); c <= int64(nCustomers) && len(events) < nOrders; c++ {
		if err := contacts.add(ctx, c, "Customer", fmt.Sprint(c), fmt.Sprintf("customer %d", c), fmt.Sprintf("c%d@bench.example", c),
			sources[r.IntN(len(sources))], 1+c%managers, origin, origin); err != nil {
			return err
		}
		at := origin + r.Int64N(span)
		k := 1
		if r.Float64() < 0.4 {
			k += 1 + r.IntN(9)
		}
		for j := 0; j < k && at < nowMS; j++ {
			events = append(events, event{c, at, false})
			if r.Float64() < 0.01 {
				events = append(events, event{c, at + 2*day, true})
			}
			at += day * int64(7+r.IntN(120))
		}
		if r.Float64() < 0.8 {
			if err := acts.add(ctx, "call", c, int64(60+r.IntN(1200)), origin+r.Int64N(span), 1+c%managers, origin); err != nil {
				return err
			}
		}
		for range 2 {
			if err := mail.add(ctx, "campaign", "x@bench.example", "News", c, "sent", origin, origin+r.Int64N(span)); err != nil {
				return err
			}
		}
	}
	for len(events) < nOrders {
		events = append(events, event{0, origin + r.Int64N(span), false})
	}
	slices.SortFunc(events, func(a, b event) int { return int(a.at - b.at) })
	if err := contacts.flush(ctx); err != nil {
		return err
	}
	for _, e := range events {
		var contact any
		if e.contact != 0 {
			contact = e.contact
		}
		kind, status := "order", "delivered"
		if e.credit {
			kind, status = "credit", "refunded"
		}
		if err := addOrder(contact, e.at, kind, status); err != nil {
			return err
		}
	}
	events = nil
	for _, in := range []*inserter{contacts, lines, ord, acts, mail} {
		if err := in.flush(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("rows: %d contacts, %d orders, %d lines, %d activities, %d messages\n", contacts.n, ord.n, lines.n, acts.n, mail.n)
	// The sales rollups, as migration 0011 and a restore build them.
	for _, q := range []string{
		`INSERT INTO sales_days (day, currency, shard, orders, revenue, credits) SELECT placed_at / 86400000, currency, 0, SUM(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END), SUM(total),
  SUM(CASE WHEN kind = 'credit' THEN total ELSE 0 END) FROM orders GROUP BY placed_at / 86400000, currency`,
		`INSERT INTO sales_product_days (day, currency, sku, shard, name, lines, quantity, revenue) SELECT o.placed_at / 86400000, o.currency, l.sku, 0, MAX(l.name),
  SUM(CASE WHEN o.kind = 'credit' THEN 0 ELSE 1 END), SUM(CASE WHEN o.kind = 'credit' THEN -l.quantity ELSE l.quantity END), SUM(l.total)
FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.placed_at / 86400000, o.currency, l.sku`,
		`INSERT INTO customer_days (contact_id, day, currency, orders, revenue, credits) SELECT contact_id, placed_at / 86400000, currency, SUM(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END), SUM(total),
  SUM(CASE WHEN kind = 'credit' THEN total ELSE 0 END) FROM orders WHERE contact_id IS NOT NULL GROUP BY contact_id, placed_at / 86400000, currency`,
		`INSERT INTO customer_firsts (contact_id, first_at, first_currency, first_total, second_at, second_day_at)
SELECT contact_id, MAX(CASE WHEN rn = 1 THEN placed_at END), MAX(CASE WHEN rn = 1 THEN currency END), MAX(CASE WHEN rn = 1 THEN total END),
  MAX(CASE WHEN rn = 2 THEN placed_at END), MIN(CASE WHEN placed_at / 86400000 > first_day THEN placed_at END)
FROM (SELECT contact_id, placed_at, currency, total, ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY placed_at, id) AS rn,
    MIN(placed_at / 86400000) OVER (PARTITION BY contact_id) AS first_day
  FROM orders WHERE contact_id IS NOT NULL AND kind = 'order') x GROUP BY contact_id`,
	} {
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
			return err
		}
	}
	// Segments of 50,000 members each.
	seg := &inserter{db: db, table: "segments", cols: []string{"id", "name", "kind", "definition", "member_count", "created_at", "updated_at"}}
	members := &inserter{db: db, table: "segment_members", cols: []string{"segment_id", "contact_id", "added_at"}, before: seg}
	for s := int64(1); s <= 5; s++ {
		if err := seg.add(ctx, s, fmt.Sprintf("Segment %d", s), "static", "", int64(50000), origin, origin); err != nil {
			return err
		}
	}
	if err := seg.flush(ctx); err != nil {
		return err
	}
	for s := int64(1); s <= 5; s++ {
		for c := s; c <= int64(contacts.n); c += max(int64(contacts.n)/50000, 1) {
			if err := members.add(ctx, s, c, origin); err != nil {
				return err
			}
		}
	}
	if err := members.flush(ctx); err != nil {
		return err
	}
	// Costs through the service, as a shop enters them.
	svc := economics.New(db)
	sys := crm.WithActor(ctx, crm.SystemActor)
	addCost := func(kind, key, date string, amount, per int64) error {
		_, err := svc.CreateCost(sys, crm.CostInput{Kind: &kind, Key: &key, Date: &date, Amount: &amount, Per: &per})
		return err
	}
	for m := range 36 {
		month := now.AddDate(-3, m, 0).Format(time.DateOnly)
		for i, ch := range sources[:5] {
			if err := addCost(crm.CostAcquisition, ch, month, int64(200000+i*50000+m*1000), 1); err != nil {
				return err
			}
		}
	}
	for sku := range 200 {
		price := int64(500 + sku*37%4500)
		if err := addCost(crm.CostProduct, fmt.Sprintf("SKU-%03d", sku), now.AddDate(-4, 0, 0).Format(time.DateOnly), price*45/100, 1); err != nil {
			return err
		}
		if sku%3 == 0 {
			if err := addCost(crm.CostProduct, fmt.Sprintf("SKU-%03d", sku), now.AddDate(0, -6, 0).Format(time.DateOnly), price*50/100, 1); err != nil {
				return err
			}
		}
	}
	if err := addCost(crm.CostMessage, "email", "2020-01-01", 8, 100); err != nil {
		return err
	}
	if err := addCost(crm.CostStaff, "call", "2020-01-01", 75, 1); err != nil {
		return err
	}
	if err := addCost(crm.CostStaff, "*", "2020-01-01", 50, 1); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, `ANALYZE`); return err })
}

// cpuTime is the process's user and system time: on a shared machine the
// better guide to what a report costs than the wall time (SQLite runs in
// the process; PostgreSQL's server time is not in it).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
