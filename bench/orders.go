package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runOrders measures order placement with stock reservation through the
// API, as a shop posts orders: each worker sends POST /api/v1/orders with
// an Idempotency-Key, one to three lines over 200 products. One product
// has only scarceUnits units and every tenth order asks for it, so the run
// also shows that no unit is sold twice under load.
func runOrders(dsn, work string, d time.Duration, workers int) error {
	const products, scarceUnits = 200, 500
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(work, "ecrm")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ecrm").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	engine := "SQLite"
	if dsn == "" {
		db := filepath.Join(work, "orders.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
		dsn = "sqlite:" + db
	} else {
		engine = "PostgreSQL"
	}
	env := append(os.Environ(), "ECRM_DB="+dsn, "ECRM_LOG_LEVEL=warn")
	if _, err := ecrm(env, bin, "migrate"); err != nil {
		return err
	}
	keyOut, err := ecrm(env, bin, "apikey", "create", "--name", "shop", "--scope", "*")
	if err != nil {
		return err
	}
	key := strings.SplitN(keyOut, "\n", 2)[0]
	srv, base, err := startServer(bin, env)
	if err != nil {
		return err
	}
	defer srv.Process.Kill()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	post := func(path string, body any, idem string) (int, []byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, out, err
	}
	for i := range products {
		stock := 1_000_000
		if i == 0 {
			stock = scarceUnits
		}
		st, body, err := post("/api/v1/products", map[string]any{"sku": fmt.Sprintf("SKU-%03d", i), "name": fmt.Sprintf("Product %d", i),
			"price": 500 + i*10, "currency": "EUR", "tax_rate_bp": 1900, "stock": stock}, "")
		if err != nil || st != 201 {
			return fmt.Errorf("create product: %d %s %v", st, body, err)
		}
	}
	var placed, refused, failed, scarceSold atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			var local []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				var lines []map[string]any
				scarce := i%10 == 0
				if scarce {
					lines = append(lines, map[string]any{"sku": "SKU-000", "quantity": 1})
				}
				for range 1 + r.IntN(3) {
					lines = append(lines, map[string]any{"sku": fmt.Sprintf("SKU-%03d", 1+r.IntN(products-1)), "quantity": 1 + r.IntN(3)})
				}
				order := map[string]any{"email": fmt.Sprintf("c%d@example.com", r.IntN(20000)), "currency": "EUR", "status": "paid", "lines": lines}
				t := time.Now()
				st, _, err := post("/api/v1/orders", order, fmt.Sprintf("w%d-%d", w, i))
				local = append(local, time.Since(t))
				switch {
				case err != nil || (st != 201 && st != 409):
					failed.Add(1)
				case st == 201:
					placed.Add(1)
					if scarce {
						scarceSold.Add(1)
					}
				default:
					refused.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The scarce product's stock as the server sees it after the run.
	req, _ := http.NewRequest("GET", base+"/api/v1/products?sku=SKU-000", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	var page struct {
		Items []struct {
			OnHand, Reserved, Available int64
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Items) != 1 {
		return fmt.Errorf("scarce product not found")
	}
	sc := page.Items[0]
	oversold := scarceSold.Load() > scarceUnits || sc.Reserved != scarceSold.Load() || sc.Available < 0
	host, _ := os.Hostname()
	fmt.Printf("\n### Order placement through the API, %s — %s (%s), %s\n\n| measure | result |\n|---|---|\n", engine, cpuModel(), host, time.Now().Format("2006-01-02"))
	fmt.Printf("| orders placed (201), %d clients, %v | %d (%.0f orders/s) |\n", workers, d, placed.Load(), float64(placed.Load())/elapsed.Seconds())
	fmt.Printf("| refused for stock (409) | %d |\n", refused.Load())
	fmt.Printf("| other failures | %d |\n", failed.Load())
	fmt.Printf("| latency p50 / p99 / max | %s / %s / %s |\n", pct(lat, 50), pct(lat, 99), pct(lat, 100))
	fmt.Printf("| scarce product: %d units, sold %d, reserved %d, available %d | oversold: %v |\n", scarceUnits, scarceSold.Load(), sc.Reserved, sc.Available, oversold)
	if oversold {
		return fmt.Errorf("oversold the scarce product")
	}
	return nil
}
