// Command bench measures ecrm against the foundation targets on this
// machine and prints a Markdown table for BENCHMARKS.md:
//
//	go run ./bench -contacts 1000000                      # SQLite
//	go run ./bench -contacts 1000000 -db postgres://…     # PostgreSQL
//	go run ./bench -orders 20s [-db postgres://…]         # order placement
//	go run ./bench -collect 20s [-db postgres://…]        # tracking collect endpoint
//
// It builds the real binary, generates a deterministic CSV with
// internal/demo, times `ecrm import`, then runs `ecrm serve` as a
// separate process and drives it over loopback HTTP like a user or a
// shop would. Request loops are bounded in count and time.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/demo"
)

func main() {
	contacts := flag.Int("contacts", 1_000_000, "contacts to generate and import")
	dsn := flag.String("db", "", "database (default: a fresh SQLite file in the work dir)")
	work := flag.String("work", filepath.Join(os.TempDir(), "ecrm-bench"), "work directory (CSV and SQLite file)")
	duration := flag.Duration("load", 10*time.Second, "duration of the GET-by-id load test")
	workers := flag.Int("workers", 8, "concurrent clients in the load test")
	orders := flag.Duration("orders", 0, "instead of the contact benchmarks, place orders through the API for this long")
	collect := flag.Duration("collect", 0, "instead, send tracking events to /t/collect for this long (10 per request)")
	collectClients := flag.Int("collect-clients", 8, "concurrent clients of the collect load")
	flag.Parse()
	if *collect > 0 {
		if err := runCollect(*dsn, *work, *collect, *collectClients); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *orders > 0 {
		if err := runOrders(*dsn, *work, *orders, *workers); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*contacts, *dsn, *work, *duration, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, dsn, work string, loadFor time.Duration, workers int) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(work, "ecrm")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ecrm").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	if dsn == "" {
		db := filepath.Join(work, "bench.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
		dsn = "sqlite:" + db
	}
	env := append(os.Environ(), "ECRM_DB="+dsn, "ECRM_LOG_LEVEL=warn")

	csvPath := filepath.Join(work, fmt.Sprintf("contacts-%d.csv", n))
	if _, err := os.Stat(csvPath); err != nil {
		start := time.Now()
		f, err := os.Create(csvPath)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := demo.New(1).WriteContactsCSV(w, n); err != nil {
			return err
		}
		w.Flush()
		f.Close()
		fmt.Fprintf(os.Stderr, "generated %s in %v\n", csvPath, time.Since(start).Round(time.Millisecond))
	}

	results := [][2]string{}
	add := func(k, v string) {
		results = append(results, [2]string{k, v})
		fmt.Fprintf(os.Stderr, "%s: %s\n", k, v)
	}
	engine := "SQLite"
	if strings.HasPrefix(dsn, "postgres") {
		engine = "PostgreSQL"
	}
	if _, err := ecrm(env, bin, "migrate"); err != nil {
		return err
	}
	start := time.Now()
	out, err := ecrm(env, bin, "import", "contacts", csvPath)
	if err != nil {
		return err
	}
	add(fmt.Sprintf("import %d contacts from CSV (%s)", n, engine), fmt.Sprintf("%.2f s — %s", time.Since(start).Seconds(), strings.TrimSpace(lastLine(out))))

	ecrm(env, bin, "user", "add", "--email", "bench@example.com", "--role", "admin", "--password-stdin")
	keyOut, err := ecrm(env, bin, "apikey", "create", "--name", "bench", "--scope", "*")
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
	rng := rand.New(rand.NewPCG(7, 7))

	// Contact list page: 50 rows, one filter, sorted, walking pages.
	filters := []string{"country=JP", "country=IR", "country=US", "stage=customer", "stage=lead", "tag=vip", "tag=newsletter", "country=GB"}
	sorts := []string{"name", "-name", "created_at", "-updated_at"}
	var lat []time.Duration
	for i := range 200 {
		u := fmt.Sprintf("%s/api/v1/contacts?limit=50&%s&sort=%s", base, filters[i%len(filters)], sorts[(i/len(filters))%len(sorts)])
		d, body, err := timedGet(client, u, key)
		if err != nil {
			return err
		}
		lat = append(lat, d)
		// Follow the next page half of the time: deep pages must be as fast.
		if next := jsonField(body, "next_cursor"); next != "" && i%2 == 0 {
			d, _, err := timedGet(client, u+"&after="+next, key)
			if err != nil {
				return err
			}
			lat = append(lat, d)
		}
	}
	add("contact list, API (50 rows, one filter, sorted; p50 / p95 / max)", pcts(lat))

	// The console's list page, as a signed-in user sees it.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(base+"/login", url.Values{"email": {"bench@example.com"}, "password": {"bench password 123"}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("console login: %d", resp.StatusCode)
	}
	lat = lat[:0]
	for i := range 200 {
		u := fmt.Sprintf("%s/contacts?%s&sort=%s", base, filters[i%len(filters)], sorts[(i/len(filters))%len(sorts)])
		d, _, err := timedGet(browser, u, "")
		if err != nil {
			return err
		}
		lat = append(lat, d)
	}
	add("contact list page, console HTML (50 rows, one filter, sorted; p50 / p95 / max)", pcts(lat))

	// Name search.
	queries := []string{"yamada", "山田", "احمدی", "smith", "rez", "hanako", "سارا", "佐藤", "john", "kar", "ali", "tan"}
	lat = lat[:0]
	for i := range 200 {
		q := queries[i%len(queries)]
		d, _, err := timedGet(client, base+"/api/v1/contacts?limit=50&q="+urlq(q), key)
		if err != nil {
			return err
		}
		lat = append(lat, d)
	}
	add("name search, API (50 rows; p50 / p95 / max)", pcts(lat))
	add("RSS of ecrm serve after list and search", rss(srv.Process.Pid))

	// GET by id under load.
	rps, l := load(client, base, key, n, loadFor, workers, rng)
	add(fmt.Sprintf("GET /api/v1/contacts/{id}, %d clients, %v (requests/s; p50 / p99)", workers, loadFor), fmt.Sprintf("%.0f req/s; %s / %s", rps, pct(l, 50), pct(l, 99)))
	add("RSS of ecrm serve after load", rss(srv.Process.Pid))

	host, _ := os.Hostname()
	cpu := cpuModel()
	fmt.Printf("\n### %s, %d contacts — %s (%s), %s\n\n| measure | result |\n|---|---|\n", engine, n, cpu, host, time.Now().Format("2006-01-02"))
	for _, r := range results {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
	return nil
}

// startServer runs `ecrm serve` on a free loopback port and waits until
// it answers /readyz; the caller kills the process.
func startServer(bin string, env []string) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(bin, "serve", "--addr", addr)
	srv.Env, srv.Stderr = env, os.Stderr
	if err := srv.Start(); err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		srv.Process.Kill()
		return nil, "", err
	}
	return srv, base, nil
}

func ecrm(env []string, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader("bench password 123\n")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("ecrm %s: %v\n%s", strings.Join(args, " "), err, tail(errb.String()))
	}
	return out.String(), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func waitReady(base string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("server at %s not ready", base)
}

func timedGet(c *http.Client, url, key string) (time.Duration, string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != 200 {
		return d, "", fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return d, string(b), err
}

// jsonField pulls a top-level string field without decoding the page.
func jsonField(body, name string) string {
	i := strings.Index(body, `"`+name+`":"`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(name)+4:]
	return rest[:strings.IndexByte(rest, '"')]
}

func urlq(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func load(c *http.Client, base, key string, n int, d time.Duration, workers int, rng *rand.Rand) (float64, []time.Duration) {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	seeds := make([]uint64, workers)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seeds[w], 1))
			var local []time.Duration
			for i := 0; i < 5_000_000 && time.Now().Before(deadline); i++ {
				id := r.IntN(n) + 1
				req, _ := http.NewRequest("GET", base+"/api/v1/contacts/"+strconv.Itoa(id), nil)
				req.Header.Set("Authorization", "Bearer "+key)
				t := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t))
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(len(all)) / time.Since(start).Seconds(), all
}

func pct(l []time.Duration, p int) string {
	if len(l) == 0 {
		return "-"
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return fmt.Sprintf("%.1f ms", float64(s[i].Microseconds())/1000)
}

func pcts(l []time.Duration) string {
	return pct(l, 50) + " / " + pct(l, 95) + " / " + pct(l, 100)
}

func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.Atoi(f[1])
			return fmt.Sprintf("%.0f MB", float64(kb)/1024)
		}
	}
	return "?"
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return fmt.Sprintf("%s, %d cores", strings.TrimSpace(v), countCPU(string(b)))
		}
	}
	return "unknown CPU"
}

func countCPU(info string) int { return strings.Count(info, "processor\t:") }
