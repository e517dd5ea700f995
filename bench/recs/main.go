// Command recs measures the recommendation build, lookups and offline
// quality on generated order histories with realistic structure:
//
//	go run ./bench/recs                           # CDNOW-sized and 1,000,000 lines, SQLite
//	go run ./bench/recs -db postgres://…/postgres # the same on PostgreSQL (a fresh database is made and dropped)
//	go run ./bench/recs -existing sqlite:demo.db  # rebuild and evaluate an existing database (the demo's)
//
// The generator writes contacts, products with stock, orders and order
// lines straight into the database in bulk (multi-row inserts on SQLite,
// COPY on PostgreSQL). Customers have tastes: products come in clusters
// of related items (an author's books, a band's records); a customer
// draws most lines from one or two clusters and the rest from the whole
// catalogue by a Zipf law, so both co-purchases and best sellers exist,
// as in real shops. Then it times RebuildRecommendations (read, build,
// write, evaluation) and 2,000 lookups of each kind through the service
// and through the HTTP API, and prints the evaluation (model vs best
// sellers).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecrm/ecrm/internal/api"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/recs"
	"github.com/ecrm/ecrm/internal/wire"
)

func main() {
	dsn := flag.String("db", "", "PostgreSQL server URL to make a fresh database on (default: SQLite files in -work)")
	work := flag.String("work", filepath.Join(os.TempDir(), "ecrm-bench-recs"), "work directory for SQLite files")
	sizes := flag.String("sizes", "cdnow,1m", "datasets: cdnow (23,570 customers, ~69,659 lines, like the full CDNOW file) and/or 1m (1,000,000 lines)")
	existing := flag.String("existing", "", "instead, rebuild and evaluate this database (a DSN)")
	lookups := flag.Int("lookups", 2000, "lookups of each kind")
	flag.Parse()
	ctx := crm.WithActor(context.Background(), crm.SystemActor)
	if *existing != "" {
		db, err := store.Open(ctx, *existing)
		check(err)
		defer db.Close()
		run(ctx, db, "existing database", *lookups)
		return
	}
	for _, size := range strings.Split(*sizes, ",") {
		spec, ok := specs[size]
		if !ok {
			check(fmt.Errorf("unknown size %q", size))
		}
		db, cleanup := open(ctx, *dsn, *work, size)
		t0 := time.Now()
		n := generate(ctx, db, spec)
		fmt.Printf("\n## %s on %s: %d customers, %d products, %d orders, %d order lines (generated and written in %v)\n",
			size, db.Engine(), n.customers, spec.products, n.orders, n.lines, time.Since(t0).Round(time.Millisecond))
		run(ctx, db, size, *lookups)
		db.Close()
		cleanup()
	}
}

type spec struct {
	customers, lines, products, cluster int
}

var specs = map[string]spec{
	"cdnow": {customers: 23_570, lines: 69_659, products: 2_000, cluster: 20},
	"1m":    {customers: 340_000, lines: 1_000_000, products: 10_000, cluster: 25},
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/recs:", err)
		os.Exit(1)
	}
}

// open makes a fresh database: a new SQLite file, or a new PostgreSQL
// database on the server of dsn (dropped by cleanup).
func open(ctx context.Context, dsn, work, size string) (*store.DB, func()) {
	if dsn == "" {
		check(os.MkdirAll(work, 0o755))
		path := filepath.Join(work, "recs-"+size+".db")
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
		db, err := store.Open(ctx, "sqlite:"+path)
		check(err)
		return db, func() {}
	}
	admin, err := pgx.Connect(ctx, dsn)
	check(err)
	b := make([]byte, 4)
	rand.Read(b)
	name := "ecrm_bench_recs_" + hex.EncodeToString(b)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	check(err)
	u, err := url.Parse(dsn)
	check(err)
	u.Path = "/" + name
	db, err := store.Open(ctx, u.String())
	check(err)
	return db, func() {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close(context.Background())
	}
}

type counts struct{ customers, orders, lines int }

// zipf draws 0..n-1 with P(k) ∝ 1/(k+1)^s by inverting a table.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) *zipf {
	z := &zipf{cdf: make([]float64, n)}
	sum := 0.0
	for k := range n {
		sum += 1 / math.Pow(float64(k+1), s)
		z.cdf[k] = sum
	}
	for k := range z.cdf {
		z.cdf[k] /= sum
	}
	return z
}

func (z *zipf) draw(r *mrand.Rand) int {
	i, _ := slices.BinarySearch(z.cdf, r.Float64())
	return min(i, len(z.cdf)-1)
}

// generate writes the shop. Products are numbered 1..P in clusters of
// spec.cluster; the global popularity order is a fixed shuffle, so the
// best sellers are spread over the clusters.
func generate(ctx context.Context, db *store.DB, sp spec) counts {
	r := mrand.New(mrand.NewPCG(42, uint64(sp.lines)))
	now := time.Now().UTC()
	start := now.AddDate(-2, 0, 0)
	w := newWriter(ctx, db)
	for p := 1; p <= sp.products; p++ {
		w.add("products", []string{"id", "sku", "name", "sort_name", "category", "price", "currency", "created_at", "updated_at"},
			int64(p), fmt.Sprintf("P-%05d", p), fmt.Sprintf("Product %d", p), fmt.Sprintf("product %05d", p), fmt.Sprintf("Cluster %d", (p-1)/sp.cluster),
			int64(500+r.IntN(5000)), "USD", store.MS(start), store.MS(start))
		onHand := int64(1000)
		if p%50 == 0 {
			onHand = 0 // a few sold out
		}
		w.add("stock_levels", []string{"product_id", "location", "on_hand", "reserved", "updated_at"}, int64(p), "main", onHand, int64(0), store.MS(start))
	}
	pop := r.Perm(sp.products)
	global := newZipf(sp.products, 1.0)
	inCluster := newZipf(sp.cluster, 0.8)
	clusters := sp.products / sp.cluster
	clusterPop := newZipf(clusters, 0.7)
	var n counts
	orderID, lineID := int64(0), int64(0)
	day := 24 * time.Hour
	for c := 1; c <= sp.customers && n.lines < sp.lines; c++ {
		ms := store.MS(start)
		w.add("contacts", []string{"id", "first_name", "sort_name", "created_at", "updated_at"}, int64(c), fmt.Sprintf("Customer %d", c), fmt.Sprintf("customer %07d", c), ms, ms)
		n.customers++
		tastes := []int{clusterPop.draw(r)}
		if r.Float64() < 0.3 {
			tastes = append(tastes, clusterPop.draw(r))
		}
		orders := 1
		for orders < 30 && r.Float64() < 0.47 {
			orders++
		}
		at := start.Add(time.Duration(r.Int64N(int64(700 * day))))
		for range orders {
			if at.After(now) || n.lines >= sp.lines {
				break
			}
			orderID++
			n.orders++
			placed := store.MS(at)
			w.add("orders", []string{"id", "contact_id", "status", "currency", "total", "placed_at", "created_at", "updated_at"},
				orderID, int64(c), "delivered", "USD", int64(1000), placed, placed, placed)
			lines := 1 // 1, 2 or 3 lines: 50, 35 and 15 %
			if f := r.Float64(); f > 0.85 {
				lines = 3
			} else if f > 0.5 {
				lines = 2
			}
			for k := range lines {
				var p int
				if r.Float64() < 0.7 {
					t := tastes[r.IntN(len(tastes))]
					p = t*sp.cluster + inCluster.draw(r) + 1
				} else {
					p = pop[global.draw(r)] + 1
				}
				lineID++
				n.lines++
				w.add("order_lines", []string{"id", "order_id", "position", "product_id", "sku", "name", "quantity", "unit_price", "total"},
					lineID, orderID, int64(k+1), int64(p), fmt.Sprintf("P-%05d", p), fmt.Sprintf("Product %d", p), int64(1), int64(1000), int64(1000))
			}
			at = at.Add(time.Duration(r.ExpFloat64() * float64(60*day)))
		}
	}
	w.flush()
	if db.Engine() == "postgres" {
		// Autovacuum would analyze the new rows soon; a live shop's
		// statistics are current, so the lookups are timed with them.
		_, err := db.Pool().Exec(ctx, "ANALYZE")
		check(err)
	}
	return n
}

// writer buffers rows per table and writes them in bulk.
type writer struct {
	ctx  context.Context
	db   *store.DB
	cols map[string][]string
	rows map[string][][]any
	// order keeps parents before children.
	order []string
}

func newWriter(ctx context.Context, db *store.DB) *writer {
	return &writer{ctx: ctx, db: db, cols: map[string][]string{}, rows: map[string][][]any{},
		order: []string{"products", "stock_levels", "contacts", "orders", "order_lines"}}
}

func (w *writer) add(table string, cols []string, vals ...any) {
	w.cols[table] = cols
	w.rows[table] = append(w.rows[table], vals)
	if len(w.rows["order_lines"]) >= 100_000 {
		w.flush()
	}
}

func (w *writer) flush() {
	for _, t := range w.order {
		rows := w.rows[t]
		if len(rows) == 0 {
			continue
		}
		if pool := w.db.Pool(); pool != nil {
			_, err := pool.CopyFrom(w.ctx, pgx.Identifier{t}, w.cols[t], pgx.CopyFromRows(rows))
			check(err)
		} else {
			cols := w.cols[t]
			tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			const per = 400
			for from := 0; from < len(rows); from += per * 25 {
				chunk := rows[from:min(len(rows), from+per*25)]
				check(w.db.InTx(w.ctx, func(tx *store.Tx) error {
					for k := 0; k < len(chunk); k += per {
						part := chunk[k:min(len(chunk), k+per)]
						args := make([]any, 0, len(part)*len(cols))
						for _, r := range part {
							args = append(args, r...)
						}
						q := "INSERT INTO " + t + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(tuple+", ", len(part)), ", ")
						if _, err := tx.ExecContext(w.ctx, q, args...); err != nil {
							return err
						}
					}
					return nil
				}))
			}
		}
		w.rows[t] = w.rows[t][:0]
	}
}

// run rebuilds, evaluates and times lookups.
func run(ctx context.Context, db *store.DB, label string, lookups int) {
	s := recs.New(db)
	t0 := time.Now()
	b, err := s.RebuildRecommendations(ctx, "manual", true)
	check(err)
	total := time.Since(t0)
	evalMS := int64(0)
	if b.Evaluation != nil {
		evalMS = b.Evaluation.EvalMS
	}
	fmt.Printf("\nrebuild (%s, %s): %d purchases, %d views, %d customers, %d products, %d pairs, %d rows kept\n",
		label, db.Engine(), b.Purchases, b.Views, b.Customers, b.Products, b.Pairs, b.SimilarRows)
	fmt.Printf("| step | time |\n|---|---|\n| read + similarity build | %d ms |\n| write (%d similarity rows) | %d ms |\n| similar-items build total (read + build + write) | **%d ms** (target ≤ 30,000 ms for 1,000,000 lines) |\n| offline evaluation (refit before the cutoff + scoring) | %d ms |\n| whole RebuildRecommendations call | %d ms |\n",
		b.BuildMS, b.SimilarRows, b.WriteMS, b.BuildMS+b.WriteMS, evalMS, total.Milliseconds())
	if e := b.Evaluation; e != nil {
		fmt.Printf("\nevaluation: cutoff %s, %d customers evaluated, %d purchases before, %d after\n", e.Cutoff.Format(time.DateOnly), e.Customers, e.TrainPurchases, e.TestPurchases)
		fmt.Printf("| | hit rate @5 | hit rate @10 | precision @5 | precision @10 |\n|---|---|---|---|---|\n")
		for _, m := range []struct {
			name string
			m    crm.RecsMetrics
		}{{"item-to-item model", e.Model}, {"best sellers", e.Popularity}} {
			fmt.Printf("| %s | %.1f %% | %.1f %% | %.2f %% | %.2f %% |\n", m.name, 100*m.m.HitRate5, 100*m.m.HitRate10, 100*m.m.Precision5, 100*m.m.Precision10)
		}
	}
	// Lookup targets: customers with orders and products, at random.
	var contacts, skus []string
	rows, err := db.Read().QueryContext(ctx, `SELECT DISTINCT contact_id FROM orders WHERE contact_id IS NOT NULL ORDER BY contact_id LIMIT 50000`)
	check(err)
	for rows.Next() {
		var id int64
		check(rows.Scan(&id))
		contacts = append(contacts, fmt.Sprint(id))
	}
	rows.Close()
	rows, err = db.Read().QueryContext(ctx, `SELECT sku FROM products ORDER BY id LIMIT 50000`)
	check(err)
	for rows.Next() {
		var sku string
		check(rows.Scan(&sku))
		skus = append(skus, sku)
	}
	rows.Close()
	if len(contacts) == 0 || len(skus) == 0 {
		return
	}
	r := mrand.New(mrand.NewPCG(7, 7))
	lookup := func(name string, f func(i int) error) {
		// Warm the connections and their prepared statements first.
		for i := range min(lookups, 200) {
			check(f(i))
		}
		var d []time.Duration
		for i := range lookups {
			t := time.Now()
			check(f(i))
			d = append(d, time.Since(t))
		}
		slices.Sort(d)
		q := func(p float64) string {
			return fmt.Sprintf("%.2f ms", float64(d[int(p*float64(len(d)-1))].Microseconds())/1000)
		}
		fmt.Printf("| %s | %s | %s | %s |\n", name, q(0.5), q(0.99), q(1))
	}
	fmt.Printf("\n%d lookups each after 200 to warm up, one at a time (target p99 ≤ 5 ms):\n| lookup | p50 | p99 | max |\n|---|---|---|---|\n", lookups)
	lookup("service: next best for a contact (10)", func(int) error {
		var id int64
		fmt.Sscan(contacts[r.IntN(len(contacts))], &id)
		_, err := s.Recommend(ctx, crm.RecommendationQuery{ContactID: id, Limit: 10})
		return err
	})
	lookup("service: similar to a SKU (10)", func(int) error {
		_, err := s.Recommend(ctx, crm.RecommendationQuery{SKU: skus[r.IntN(len(skus))], Limit: 10})
		return err
	})
	svc := wire.Services(db)
	_, secret, err := svc.APIKeys.CreateAPIKey(ctx, "bench-recs", []string{"analytics:read"})
	check(err)
	srv := httptest.NewServer(api.New(svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"}))
	defer srv.Close()
	get := func(path string) error {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("GET %s: %d", path, res.StatusCode)
		}
		return nil
	}
	lookup("API: GET /api/v1/recommendations?contact_id=", func(int) error {
		return get("/api/v1/recommendations?contact_id=" + contacts[r.IntN(len(contacts))])
	})
	lookup("API: GET /api/v1/recommendations?sku=", func(int) error {
		return get("/api/v1/recommendations?sku=" + skus[r.IntN(len(skus))])
	})
}
