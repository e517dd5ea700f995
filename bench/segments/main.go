// Command segments times the segment engine on generated data:
//
//	go run ./bench/segments                               # SQLite, 1,000,000 contacts
//	go run ./bench/segments -db postgres://…/postgres      # PostgreSQL (uses a fresh database ecrm_segbench)
//	go run ./bench/segments -contacts 100000 -runs 3
//
// It writes contacts with purchase facts, linked visitors with web events
// (and anonymous traffic) and consent ledger entries straight into the
// database in bulk (multi-row inserts on SQLite, COPY on PostgreSQL), then
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
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	flag.Parse()
	if err := run(*n, *dsn, *work, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench/segments:", err)
		os.Exit(1)
	}
}

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
	var times []time.Duration
	var count int64
	for i := 0; i < runs; i++ {
		start := time.Now()
		p, err := svc.Preview(sys, json.RawMessage(Definition), 0)
		if err != nil {
			return err
		}
		times = append(times, time.Since(start))
		count = p.Count
	}
	slices.Sort(times)
	fmt.Printf("\n%s, %d contacts: 3-predicate count = %d members; best %v, median %v, worst %v (%d runs; target ≤ 1 s on SQLite)\n",
		engine, n, count, round(times[0]), round(times[len(times)/2]), round(times[len(times)-1]), runs)
	start := time.Now()
	sg, err := svc.Create(sys, crm.SegmentInput{Name: ptr("bench"), Definition: json.RawMessage(Definition)})
	if err != nil {
		return err
	}
	fmt.Printf("create + first fill (%d entered): %v\n", sg.MemberCount, round(time.Since(start)))
	start = time.Now()
	r, err := svc.Refresh(sys, sg.ID)
	if err != nil {
		return err
	}
	fmt.Printf("refresh with no change (%d entered, %d left): %v\n", r.Entered, r.Left, round(time.Since(start)))
	return svc.Delete(sys, sg.ID)
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

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

// generate writes n contacts: 60 % buyers (customer_facts: 1–12 orders,
// the last one in the past two years), 30 % with a linked visitor and
// 2–14 events in the last 180 days (half product views), a million
// anonymous events, and for 70 % a marketing-email consent entry (a
// tenth of those later withdrawn).
func generate(ctx context.Context, db *store.DB, n int) error {
	now := time.Now().UnixMilli()
	r := rand.New(rand.NewPCG(1, 2))
	w := newWriter(ctx, db)
	if db.Engine() == "sqlite" {
		// A bigger page cache for the load only (this connection's).
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `PRAGMA cache_size = -262144`)
			return err
		}); err != nil {
			return err
		}
	}
	countries := []string{"IR", "JP", "DE", "US", "FR", "GB"}
	stages := []string{"subscriber", "lead", "customer", "loyal"}
	skus := make([]string, 500)
	for i := range skus {
		skus[i] = fmt.Sprintf("SKU-%04d", i)
	}
	for id := 1; id <= n; id++ {
		first, last := fmt.Sprintf("First%d", id%9973), fmt.Sprintf("Last%d", id)
		created := now - r.Int64N(3*365*day)
		if err := w.add("contacts", []string{"id", "first_name", "last_name", "sort_name", "email", "country", "stage", "created_at", "updated_at"},
			int64(id), first, last, strings.ToLower(last+" "+first), fmt.Sprintf("c%d@example.com", id), countries[r.IntN(len(countries))], stages[r.IntN(len(stages))], created, created); err != nil {
			return err
		}
		if r.Float64() < 0.6 {
			orders := int64(1)
			for orders < 12 && r.Float64() < 0.55 {
				orders++
			}
			lastAt := now - r.Int64N(730*day)
			firstAt := lastAt - r.Int64N(orders)*r.Int64N(120*day+1)
			if err := w.add("customer_facts", []string{"contact_id", "orders", "total_spent", "currency", "first_order_at", "last_order_at", "updated_at"},
				int64(id), orders, orders*(2000+r.Int64N(20000)), "EUR", firstAt, lastAt, now); err != nil {
				return err
			}
		}
		if r.Float64() < 0.3 {
			vid := fmt.Sprintf("v%08d", id)
			events := 2 + r.IntN(13)
			lastSeen := int64(0)
			for e := 0; e < events; e++ {
				at := now - r.Int64N(180*day)
				lastSeen = max(lastSeen, at)
				name, sku := "pageview", ""
				switch x := r.Float64(); {
				case x < 0.5:
					name, sku = "product_view", skus[r.IntN(len(skus))]
				case x < 0.6:
					name, sku = "add_to_cart", skus[r.IntN(len(skus))]
				}
				if err := w.add("events", []string{"site_id", "visitor_id", "session_id", "name", "url", "product_sku", "occurred_at", "received_at"},
					int64(1), vid, fmt.Sprintf("s%d-%d", id, e/3), name, "https://shop.example/p/"+sku, sku, at, at); err != nil {
					return err
				}
			}
			if err := w.add("visitors", []string{"id", "contact_id", "first_seen", "last_seen"}, vid, int64(id), lastSeen-30*day, lastSeen); err != nil {
				return err
			}
		}
		if r.Float64() < 0.7 {
			at := created + r.Int64N(30*day)
			if err := w.add("consents", []string{"contact_id", "purpose", "channel", "status", "legal_basis", "source", "at"},
				int64(id), "marketing", "email", "granted", "consent", "form", at); err != nil {
				return err
			}
			if r.Float64() < 0.1 {
				if err := w.add("consents", []string{"contact_id", "purpose", "channel", "status", "legal_basis", "source", "at"},
					int64(id), "marketing", "email", "withdrawn", "consent", "preference_centre", at+r.Int64N(200*day)+1); err != nil {
					return err
				}
			}
		}
	}
	// Anonymous traffic: events of visitors never linked to a contact.
	for i := 0; i < n; i++ {
		at := now - r.Int64N(180*day)
		vid := fmt.Sprintf("anon%07d", i/5)
		if err := w.add("events", []string{"site_id", "visitor_id", "session_id", "name", "url", "product_sku", "occurred_at", "received_at"},
			int64(1), vid, vid, "product_view", "https://shop.example/p/x", skus[r.IntN(len(skus))], at, at); err != nil {
			return err
		}
		if i%5 == 0 {
			if err := w.add("visitors", []string{"id", "first_seen", "last_seen"}, vid, at, at); err != nil {
				return err
			}
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	if db.Engine() == "postgres" {
		if _, err := db.Pool().Exec(ctx, `SELECT setval('contacts_id_seq', $1)`, n); err != nil {
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

// writer batches rows per table: multi-row INSERTs with anonymous
// placeholders on SQLite (one transaction per flush), COPY on PostgreSQL.
type writer struct {
	ctx  context.Context
	db   *store.DB
	cols map[string][]string
	rows map[string][][]any
	size int
}

func newWriter(ctx context.Context, db *store.DB) *writer {
	return &writer{ctx: ctx, db: db, cols: map[string][]string{}, rows: map[string][][]any{}}
}

func (w *writer) add(table string, cols []string, vals ...any) error {
	key := table + "(" + strings.Join(cols, ",") + ")"
	w.cols[key] = cols
	w.rows[key] = append(w.rows[key], vals)
	w.size++
	if w.size >= 200_000 {
		return w.flush()
	}
	return nil
}

// order is the flush order: contacts before the rows that refer to them.
var order = []string{"contacts", "customer_facts", "visitors", "events", "consents"}

func (w *writer) flush() error {
	var keys []string
	for k := range w.rows {
		keys = append(keys, k)
	}
	rank := func(k string) int { return slices.Index(order, k[:strings.IndexByte(k, '(')]) }
	slices.SortFunc(keys, func(a, b string) int { return rank(a) - rank(b) })
	if w.db.Engine() == "postgres" {
		for _, k := range keys {
			table := k[:strings.IndexByte(k, '(')]
			if _, err := w.db.Pool().CopyFrom(w.ctx, pgx.Identifier{table}, w.cols[k], pgx.CopyFromRows(w.rows[k])); err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
		}
	} else {
		err := w.db.InTx(w.ctx, func(tx *store.Tx) error {
			for _, k := range keys {
				table := k[:strings.IndexByte(k, '(')]
				cols, rows := w.cols[k], w.rows[k]
				per := 2000 / len(cols)
				tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
				for i := 0; i < len(rows); i += per {
					chunk := rows[i:min(i+per, len(rows))]
					args := make([]any, 0, len(chunk)*len(cols))
					for _, r := range chunk {
						args = append(args, r...)
					}
					q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(tuple+", ", len(chunk)), ", ")
					if _, err := tx.ExecContext(w.ctx, q, args...); err != nil {
						return fmt.Errorf("insert %s: %w", table, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	w.rows = map[string][][]any{}
	w.size = 0
	return nil
}
