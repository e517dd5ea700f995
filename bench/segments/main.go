// Command segments times the segment engine on generated data:
//
//	go run ./bench/segments                               # SQLite, 1,000,000 contacts
//	go run ./bench/segments -db postgres://…/postgres      # PostgreSQL (uses a fresh database ecrm_segbench)
//	go run ./bench/segments -contacts 100000 -runs 3
//
// It writes contacts with purchase facts, linked visitors with web events
// (and anonymous traffic) and consent ledger entries straight into the
// database in bulk (one INSERT … SELECT over a generated series per
// table, the same SQL on both engines), then
// times counting a three-predicate definition — one on purchase facts,
// one on web behaviour, one on consent — through the segment service's
// Preview, the path the builder's live count takes, and a refresh of the
// saved segment. Data generation is deterministic (seeded).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	segstore "github.com/ecrm/ecrm/internal/store/segment"
)

// Definition is the benchmark's segment: bought more than 60 days ago,
// viewed a product in the last 30 days, agreed to marketing email.
const Definition = `{"op":"and","groups":[{"op":"and","predicates":[
	{"field":"purchase.last_order","op":"more_than_days_ago","value":60},
	{"field":"web.viewed_product","op":"at_least","value":1,"within_days":30},
	{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}]}]}`

func main() {
	n := flag.Int("contacts", 1_000_000, "contacts to generate")
	dsn := flag.String("db", "", "PostgreSQL URL (a database ecrm_segbench is created beside it); default a fresh SQLite file")
	work := flag.String("work", filepath.Join(os.TempDir(), "ecrm-segbench"), "work directory for the SQLite file")
	runs := flag.Int("runs", 5, "timed counts")
	keep := flag.Bool("keep", false, "reuse the data of a previous run (SQLite file or ecrm_segbench)")
	flag.StringVar(&profile, "cpuprofile", "", "write a CPU profile of the refresh to this file")
	flag.Parse()
	if err := run(*n, *dsn, *work, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench/segments:", err)
		os.Exit(1)
	}
}

var profile string

func run(n int, dsn, work string, runs int, keep bool) error {
	ctx := context.Background()
	engine := "SQLite"
	if dsn == "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			return err
		}
		file := filepath.Join(work, fmt.Sprintf("seg-%d.db", n))
		if !keep {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(file + s)
			}
		}
		dsn = "sqlite:" + file
	} else {
		engine = "PostgreSQL"
		var err error
		if dsn, err = freshPG(ctx, dsn, keep); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := crm.WithActor(ctx, crm.SystemActor)
	var have int
	_ = db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&have)
	if have != n {
		start := time.Now()
		if err := generate(ctx, db, n); err != nil {
			return err
		}
		fmt.Printf("generated %d contacts in %.1f s\n", n, time.Since(start).Seconds())
	}
	for _, t := range []string{"contacts", "customer_facts", "visitors", "events", "consents"} {
		var c int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&c)
		fmt.Printf("  %s: %d rows\n", t, c)
	}
	svc := segstore.New(db)
	for _, sample := range []int{0, 10} {
		var times, cpus []time.Duration
		var count int64
		for i := 0; i < runs; i++ {
			start, cpu0 := time.Now(), cpuTime()
			p, err := svc.Preview(sys, json.RawMessage(Definition), sample)
			if err != nil {
				return err
			}
			times, cpus = append(times, time.Since(start)), append(cpus, cpuTime()-cpu0)
			count = p.Count
		}
		slices.Sort(times)
		slices.Sort(cpus)
		fmt.Printf("\n%s, %d contacts, preview with sample %d: %d members; wall best %v, median %v, worst %v; CPU of this process (SQLite runs in it) median %v (%d runs; target ≤ 1 s on SQLite)\n",
			engine, n, sample, count, round(times[0]), round(times[len(times)/2]), round(times[len(times)-1]), round(cpus[len(cpus)/2]), runs)
	}
	start := time.Now()
	cpu0 := cpuTime()
	sg, err := svc.Create(sys, crm.SegmentInput{Name: ptr("bench"), Definition: json.RawMessage(Definition)})
	if err != nil {
		return err
	}
	fmt.Printf("create + first fill (%d entered): %v (CPU %v)\n", sg.MemberCount, round(time.Since(start)), round(cpuTime()-cpu0))
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start, cpu0 = time.Now(), cpuTime()
	r, err := svc.Refresh(sys, sg.ID)
	if err != nil {
		return err
	}
	fmt.Printf("refresh with no change (%d entered, %d left): %v (CPU %v)\n", r.Entered, r.Left, round(time.Since(start)), round(cpuTime()-cpu0))
	return svc.Delete(sys, sg.ID)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// cpuTime is the user and system CPU time of this process so far: on a
// shared machine it says what a query cost when wall time says how long
// it waited for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ptr[T any](v T) *T { return &v }

// freshPG creates (or reuses) the database ecrm_segbench on the server
// of dsn and returns its URL.
func freshPG(ctx context.Context, dsn string, keep bool) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if !keep {
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS ecrm_segbench`); err != nil {
			return "", err
		}
	}
	var exists bool
	conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ecrm_segbench')`).Scan(&exists)
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE ecrm_segbench`); err != nil {
			return "", err
		}
	}
	u.Path = "/ecrm_segbench"
	return u.String(), nil
}

const day = int64(24 * time.Hour / time.Millisecond)

// generate writes n contacts: 60 % buyers (customer_facts: 1–7 orders,
// the last one in the past two years), 30 % with a linked visitor and
// 2–14 events in the last 180 days (half product views, a tenth
// add-to-cart), n anonymous product views, and for 70 % a marketing-email
// consent entry (a tenth of those withdrawn later). The rows are made by
// the database itself (a recursive series and a hash of the row number,
// the same SQL on both engines), one statement per table.
func generate(ctx context.Context, db *store.DB, n int) error {
	now := time.Now().UnixMilli()
	// h(x, salt) is a deterministic pseudo-random number in [0, 1000003).
	h := func(x string, salt int) string {
		return fmt.Sprintf("((%s * 2654435761 + %d) %% 1000003)", x, salt*40503+7)
	}
	series := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s WHERE i < %d) ", n)
	small := "WITH RECURSIVE k(j) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT j + 1 FROM k WHERE j < 13) "
	d := day
	steps := []struct{ name, sql string }{
		{"contacts", series + `INSERT INTO contacts (id, first_name, last_name, sort_name, email, country, stage, created_at, updated_at)
			SELECT i, 'First' || (i % 9973), 'Last' || i, 'last' || i || ' first' || (i % 9973), 'c' || i || '@example.com',
			CASE ` + h("i", 1) + ` % 6 WHEN 0 THEN 'IR' WHEN 1 THEN 'JP' WHEN 2 THEN 'DE' WHEN 3 THEN 'US' WHEN 4 THEN 'FR' ELSE 'GB' END,
			CASE ` + h("i", 2) + ` % 4 WHEN 0 THEN 'subscriber' WHEN 1 THEN 'lead' WHEN 2 THEN 'customer' ELSE 'loyal' END,
			` + fmt.Sprint(now) + ` - ` + h("i", 3) + ` * ` + fmt.Sprint(3*365*d/1000003) + `, ` + fmt.Sprint(now) + ` FROM s`},
		{"customer_facts", series + `INSERT INTO customer_facts (contact_id, orders, total_spent, currency, first_order_at, last_order_at, updated_at)
			SELECT i, 1 + (` + h("i", 5) + ` % 100) / 45 * (` + h("i", 6) + ` % 6), (1 + (` + h("i", 5) + ` % 100) / 45 * (` + h("i", 6) + ` % 6)) * (2000 + ` + h("i", 7) + ` % 20000), 'EUR',
			` + fmt.Sprint(now) + ` - ` + h("i", 8) + ` * ` + fmt.Sprint(730*d/1000003) + ` - ` + h("i", 9) + ` * ` + fmt.Sprint(365*d/1000003) + `,
			` + fmt.Sprint(now) + ` - ` + h("i", 8) + ` * ` + fmt.Sprint(730*d/1000003) + `, ` + fmt.Sprint(now) + ` FROM s WHERE ` + h("i", 4) + ` % 100 < 60`},
		{"visitors", series + `INSERT INTO visitors (id, contact_id, first_seen, last_seen)
			SELECT 'v' || i, i, ` + fmt.Sprint(now-200*d) + `, ` + fmt.Sprint(now) + ` - ` + h("i", 11) + ` * ` + fmt.Sprint(30*d/1000003) + ` FROM s WHERE ` + h("i", 10) + ` % 100 < 30`},
		{"events", small + `INSERT INTO events (site_id, visitor_id, session_id, name, url, product_sku, occurred_at, received_at)
			SELECT 1, v.id, v.id || '-' || (j / 3),
			CASE WHEN ` + h("(v.contact_id * 16 + j)", 12) + ` % 10 < 5 THEN 'product_view' WHEN ` + h("(v.contact_id * 16 + j)", 12) + ` % 10 < 6 THEN 'add_to_cart' ELSE 'pageview' END,
			'https://shop.example/p/' || (` + h("(v.contact_id * 16 + j)", 13) + ` % 500), 'SKU-' || (` + h("(v.contact_id * 16 + j)", 13) + ` % 500),
			` + fmt.Sprint(now) + ` - ` + h("(v.contact_id * 16 + j)", 14) + ` * ` + fmt.Sprint(180*d/1000003) + `,
			` + fmt.Sprint(now) + ` - ` + h("(v.contact_id * 16 + j)", 14) + ` * ` + fmt.Sprint(180*d/1000003) + `
			FROM visitors v JOIN k ON k.j < 2 + v.contact_id % 13 WHERE v.contact_id IS NOT NULL`},
		{"anonymous visitors", series + `INSERT INTO visitors (id, first_seen, last_seen) SELECT 'anon' || i, ` + fmt.Sprint(now-180*d) + `, ` + fmt.Sprint(now) + ` FROM s WHERE i % 5 = 0`},
		{"anonymous events", series + `INSERT INTO events (site_id, visitor_id, session_id, name, url, product_sku, occurred_at, received_at)
			SELECT 1, 'anon' || ((i / 5) * 5 + 5), 'anon' || (i / 5), 'product_view', 'https://shop.example/p/x', 'SKU-' || (` + h("i", 15) + ` % 500),
			` + fmt.Sprint(now) + ` - ` + h("i", 16) + ` * ` + fmt.Sprint(180*d/1000003) + `, ` + fmt.Sprint(now) + ` FROM s`},
		{"consents", series + `INSERT INTO consents (contact_id, purpose, channel, status, legal_basis, source, at)
			SELECT i, 'marketing', 'email', 'granted', 'consent', 'form', ` + fmt.Sprint(now-400*d) + ` + ` + h("i", 18) + ` FROM s WHERE ` + h("i", 17) + ` % 100 < 70`},
		{"withdrawals", series + `INSERT INTO consents (contact_id, purpose, channel, status, legal_basis, source, at)
			SELECT i, 'marketing', 'email', 'withdrawn', 'consent', 'preference_centre', ` + fmt.Sprint(now) + ` - ` + h("i", 20) + ` * ` + fmt.Sprint(300*d/1000003) + `
			FROM s WHERE ` + h("i", 17) + ` % 100 < 70 AND ` + h("i", 19) + ` % 100 < 10`},
	}
	for _, st := range steps {
		start := time.Now()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if db.Engine() == "sqlite" {
				if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, st.sql)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		fmt.Printf("  %s: %.1f s\n", st.name, time.Since(start).Seconds())
	}
	if db.Engine() == "postgres" {
		if _, err := db.Pool().Exec(ctx, fmt.Sprintf(`SELECT setval('contacts_id_seq', %d)`, n)); err != nil {
			return err
		}
		_, err := db.Pool().Exec(ctx, `ANALYZE`)
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `ANALYZE`)
		return err
	})
}
