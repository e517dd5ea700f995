package tracking

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestMain lets the test binary run a collect server of its own when
// re-executed by TestKillNine, so that it can be killed like a real one.
func TestMain(m *testing.M) {
	if dsn := os.Getenv("ECRM_TEST_COLLECT_CHILD"); dsn != "" {
		if err := collectChild(dsn); err != nil {
			fmt.Fprintln(os.Stderr, "collect child:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// collectChild serves /t/collect on a loopback port, printed once the
// spool (if any) is replayed, until killed.
func collectChild(dsn string) error {
	ctx := crm.WithActor(context.Background(), crm.SystemActor)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	o := Options{IPRate: -1, SiteRate: -1, Durability: Durability(os.Getenv("ECRM_TEST_COLLECT_DURABILITY")), SpoolDir: os.Getenv("ECRM_TEST_COLLECT_SPOOL")}
	if db.Engine() == "postgres" {
		o.Writers = 4 // as the server runs it: batches commit out of order
	}
	c, err := New(ctx, db, db, o)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	c.Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening http://%s\n", ln.Addr())
	return http.Serve(ln, mux)
}

// startChild runs the collect server and waits until it listens.
func startChild(t *testing.T, dsn string, durability Durability, spool string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ECRM_TEST_COLLECT_CHILD="+dsn, "ECRM_TEST_COLLECT_DURABILITY="+string(durability), "ECRM_TEST_COLLECT_SPOOL="+spool)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				got <- u
				io.Copy(io.Discard, out)
				return
			}
		}
		got <- "" // it exited
	}()
	select {
	case u := <-got:
		if u == "" {
			t.Fatal("collect child exited before listening")
		}
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatal("collect child did not start")
	}
	return nil, ""
}

// TestKillNine: a collect server killed with SIGKILL while saturated loses
// none of the events it acknowledged. Clients send batches of ten events,
// each with its own title, and note those answered 204; the server is
// killed mid-load and started again on the same database (and spool);
// then every acknowledged event is stored, and no event twice.
func TestKillNine(t *testing.T) {
	for _, engine := range storetest.Engines() {
		for _, durability := range []Durability{DurabilitySpool, DurabilityCommit} {
			t.Run(engine+"/"+string(durability), func(t *testing.T) {
				killNine(t, engine, durability)
			})
		}
	}
}

func killNine(t *testing.T, engine string, durability Durability) {
	dsn := storetest.DSN(t, engine)
	ctx := storetest.System()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{shopOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	spool := ""
	if durability == DurabilitySpool {
		spool = t.TempDir()
	}
	child, base := startChild(t, dsn, durability, spool)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	var mu sync.Mutex
	acked := map[string]bool{}
	sent := map[string]bool{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := fmt.Sprintf("%032x", w+1)
			for i := 0; ; i++ {
				var titles, evs []string
				for j := range 10 {
					title := fmt.Sprintf("w%d-%d-%d", w, i, j)
					titles = append(titles, title)
					evs = append(evs, fmt.Sprintf(`{"n":"pageview","u":"https://shop.example/%d","t":%q}`, j, title))
				}
				mu.Lock()
				for _, tt := range titles {
					sent[tt] = true
				}
				mu.Unlock()
				body := `{"v":"` + v + `","s":"` + v[:16] + `","e":[` + strings.Join(evs, ",") + `]}`
				req, _ := http.NewRequest("POST", base+"/t/collect?k="+site.PublicKey, strings.NewReader(body))
				req.Header.Set("Origin", shopOrigin)
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusNoContent {
					mu.Lock()
					for _, tt := range titles {
						acked[tt] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once the load has run a second and plenty is acknowledged
	// (or after ten seconds on a very slow machine).
	start := time.Now()
	for {
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 5000 && time.Since(start) > time.Second || time.Since(start) > 10*time.Second {
			break
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	// Start again: the spool is replayed before the server listens.
	child, _ = startChild(t, dsn, durability, spool)
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()

	stored := map[string]int{}
	f := crm.EventFilter{SiteID: &site.ID, Limit: 500}
	for {
		p, err := db.FindEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			stored[e.Title]++
		}
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	var lost, twice, unknown, unacked int
	for title, n := range stored {
		if n > 1 {
			twice++
		}
		if !sent[title] {
			unknown++
		}
		if !acked[title] {
			unacked++
		}
	}
	for title := range acked {
		if stored[title] == 0 {
			lost++
		}
	}
	t.Logf("%s, %s: %d events acknowledged, %d stored (%d of them sent but not answered before the kill)", engine, durability, len(acked), len(stored), unacked)
	if lost > 0 || twice > 0 || unknown > 0 {
		t.Errorf("%d acknowledged events lost, %d stored twice, %d stored that were never sent", lost, twice, unknown)
	}
}
