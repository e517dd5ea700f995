package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runCollect measures the tracking endpoint as many browsers would use
// it: workers POST /t/collect batches of 10 consented events (page views
// and product views of 10,000 visitors) for d, from an allowed origin.
// The per-IP and per-site rate limits are switched off for the run (one
// loopback client would otherwise be one very busy visitor); they are
// tested in internal/tracking. While the load runs, a probe linked to a
// contact sends one event every 100 ms and polls the contact's events
// until it is there: accepted → visible on the timeline.
func runCollect(dsn, work string, d time.Duration, workers int) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(work, "ecrm")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ecrm").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	engine := "SQLite"
	if dsn == "" {
		db := filepath.Join(work, "collect.db")
		for _, suffix := range []string{"", "-wal", "-shm", "-spool"} {
			os.RemoveAll(db + suffix)
		}
		dsn = "sqlite:" + db
	} else {
		engine = "PostgreSQL"
	}
	env := append(os.Environ(), "ECRM_DB="+dsn, "ECRM_LOG_LEVEL=warn", "ECRM_COLLECT_IP_RATE=-1", "ECRM_COLLECT_SITE_RATE=-1")
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: 30 * time.Second}
	api := func(method, path string, body any, out any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, rb)
		}
		if out != nil {
			return json.Unmarshal(rb, out)
		}
		return nil
	}
	const origin = "https://shop.example"
	var site struct {
		Site struct {
			PublicKey string `json:"public_key"`
		} `json:"site"`
	}
	if err := api("POST", "/api/v1/sites", map[string]any{"name": "Bench shop", "allowed_origins": []string{origin}}, &site); err != nil {
		return err
	}
	var contact struct {
		ID int64 `json:"id"`
	}
	if err := api("POST", "/api/v1/contacts", map[string]any{"first_name": "Probe", "email": "probe@example.com"}, &contact); err != nil {
		return err
	}
	probeVisitor := randHex(16)
	if err := api("POST", "/api/v1/identify", map[string]any{"visitor_id": probeVisitor, "contact_id": contact.ID}, nil); err != nil {
		return err
	}
	collectURL := base + "/t/collect?k=" + site.Site.PublicKey

	// 2,000 ready bodies of 10 events from 10,000 visitors, so the load
	// generator spends its CPU on requests, not on building them.
	visitors := make([]string, 10_000)
	for i := range visitors {
		visitors[i] = randHex(16)
	}
	bodies := make([][]byte, 2000)
	for i := range bodies {
		v := visitors[(i*7)%len(visitors)]
		var evs []string
		for j := range 10 {
			if j%3 == 2 {
				evs = append(evs, fmt.Sprintf(`{"n":"product_view","u":"https://shop.example/p/%d?utm_source=news","t":"Product %d","sku":"SKU-%d","pn":"Product %d","val":19.99,"cur":"EUR","a":%d}`, j, j, j, j, j*100))
			} else {
				evs = append(evs, fmt.Sprintf(`{"n":"pageview","u":"https://shop.example/c/%d/%d","t":"Category %d","r":"https://www.example.org/","a":%d}`, i%50, j, j, j*100))
			}
		}
		bodies[i] = []byte(`{"v":"` + v + `","s":"` + v[:16] + `","e":[` + strings.Join(evs, ",") + `]}`)
	}
	post := func(body []byte) (int, time.Duration, error) {
		req, _ := http.NewRequest("POST", collectURL, bytes.NewReader(body))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t), nil
	}

	var accepted, full, failed atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for i := w; time.Now().Before(deadline); i += workers {
				st, dt, err := post(bodies[i%len(bodies)])
				switch {
				case err != nil:
					failed.Add(1)
					continue
				case st == http.StatusNoContent:
					accepted.Add(10)
				case st == http.StatusServiceUnavailable:
					full.Add(1)
					time.Sleep(50 * time.Millisecond)
				default:
					failed.Add(1)
				}
				local = append(local, dt)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	// The probe: accepted → visible among the contact's events.
	var visible []time.Duration
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for n := 0; time.Now().Add(3 * time.Second).Before(deadline); n++ {
			title := fmt.Sprintf("probe-%d", n)
			body := fmt.Sprintf(`{"v":"%s","s":"%s","e":[{"n":"pageview","u":"https://shop.example/probe","t":"%s"}]}`, probeVisitor, probeVisitor[:16], title)
			st, _, err := post([]byte(body))
			if err != nil || st != http.StatusNoContent {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			t := time.Now()
			for time.Since(t) < 30*time.Second {
				var page struct {
					Items []struct {
						Title string `json:"title"`
					} `json:"items"`
				}
				if err := api("GET", fmt.Sprintf("/api/v1/events?contact_id=%d&limit=1", contact.ID), nil, &page); err == nil && len(page.Items) > 0 && page.Items[0].Title == title {
					visible = append(visible, time.Since(t))
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	wg.Wait()
	loadEnd := time.Now()
	<-probeDone
	// Drain: wait until everything accepted is committed.
	var written float64
	for time.Since(loadEnd) < 2*time.Minute {
		m := scrape(client, base)
		written = m["ecrm_collect_events_written_total"]
		if m["ecrm_collect_queue_depth"] == 0 && written >= m["ecrm_collect_events_accepted_total"] {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Now()
	m := scrape(client, base)
	elapsed := loadEnd.Sub(start)

	raw, gz := snippetSizes(client, base)
	host, _ := os.Hostname()
	fmt.Printf("\n### Tracking collect endpoint, %s — %s (%s), %s\n\n| measure | result |\n|---|---|\n", engine, cpuModel(), host, time.Now().Format("2006-01-02"))
	fmt.Printf("| requests of 10 events, %d clients, %v | %d accepted (204), %d refused as busy (503), %d failed |\n", workers, d, accepted.Load()/10, full.Load(), failed.Load())
	fmt.Printf("| events accepted per second during the run | %.0f |\n", float64(accepted.Load())/elapsed.Seconds())
	fmt.Printf("| events committed per second, until the queue was empty (%.1f s after the run) | %.0f |\n", drained.Sub(loadEnd).Seconds(), written/drained.Sub(start).Seconds())
	fmt.Printf("| accept latency p50 / p99 / max | %s / %s / %s |\n", pct(lat, 50), pct(lat, 99), pct(lat, 100))
	fmt.Printf("| group commit: mean batch, mean write time | %.0f events, %.1f ms |\n", m["ecrm_collect_batch_size_sum"]/max(1, m["ecrm_collect_batch_size_count"]), 1000*m["ecrm_collect_batch_seconds_sum"]/max(1, m["ecrm_collect_batch_seconds_count"]))
	fmt.Printf("| arrival → commit: mean; 99th percentile bucket | %.0f ms; ≤ %s |\n", 1000*m["ecrm_collect_commit_delay_seconds_sum"]/max(1, m["ecrm_collect_commit_delay_seconds_count"]), bucketPct(client, base, "ecrm_collect_commit_delay_seconds", 0.99))
	if n := m["ecrm_collect_spool_sync_seconds_count"]; n > 0 {
		fmt.Printf("| spool (durable before the 204): write + fdatasync, mean; 99th percentile bucket; requests per sync | %.2f ms; ≤ %s; %.1f |\n",
			1000*m["ecrm_collect_spool_sync_seconds_sum"]/n, bucketPct(client, base, "ecrm_collect_spool_sync_seconds", 0.99), float64(accepted.Load()/10)/n)
	} else {
		fmt.Printf("| durability | %s |\n", "commit before the 204")
	}
	fmt.Printf("| accepted → visible on the contact's timeline, %d probes under load: p50 / p95 / max | %s / %s / %s |\n", len(visible), pct(visible, 50), pct(visible, 95), pct(visible, 100))
	fmt.Printf("| RSS of ecrm serve after the run | %s |\n", rss(srv.Process.Pid))
	fmt.Printf("| /t.js minified / gzipped | %d B / %d B |\n", raw, gz)
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// scrape reads the unlabelled samples of /metrics (histogram _sum and
// _count included).
func scrape(c *http.Client, base string) map[string]float64 {
	out := map[string]float64{}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = f
		}
	}
	return out
}

// bucketPct is the upper bound of the histogram bucket holding the q
// quantile.
func bucketPct(c *http.Client, base, name string, q float64) string {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	type bucket struct {
		le string
		n  float64
	}
	var bs []bucket
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+`_bucket{le="`) {
			continue
		}
		rest := strings.TrimPrefix(line, name+`_bucket{le="`)
		le, v, _ := strings.Cut(rest, `"} `)
		n, _ := strconv.ParseFloat(v, 64)
		bs = append(bs, bucket{le, n})
	}
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "?"
	}
	total := bs[len(bs)-1].n
	for _, b := range bs {
		if b.n >= q*total {
			if b.le == "+Inf" {
				return "more than the largest bucket"
			}
			f, _ := strconv.ParseFloat(b.le, 64)
			return fmt.Sprintf("%.0f ms", f*1000)
		}
	}
	return "?"
}

func snippetSizes(c *http.Client, base string) (int, int) {
	resp, err := c.Get(base + "/t.js")
	if err != nil {
		return 0, 0
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	return len(raw), gz.Len()
}
