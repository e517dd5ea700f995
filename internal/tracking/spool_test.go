package tracking

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestSpoolPayloadRoundTrip: a spooled request reads back as the events
// and counts that were accepted, every field of crm.Event included.
func TestSpoolPayloadRoundTrip(t *testing.T) {
	// A new field in crm.Event must be spooled too: encodePayload lists
	// them all, and this count says when it no longer does.
	if n := reflect.TypeOf(crm.Event{}).NumField(); n != 22 {
		t.Fatalf("crm.Event has %d fields; encodePayload and decodePayload know 22", n)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)
	b, err := Parse([]byte(fuzzSeeds[1]), 7, now, true)
	if err != nil {
		t.Fatal(err)
	}
	contact, zero := int64(42), int64(0)
	b.Events[0].ContactID, b.Events[0].ID = &contact, 9
	extra := &crm.Event{SiteID: 7, VisitorID: visitor, Name: "x", Value: &zero, Props: map[string]any{}, OccurredAt: now, ReceivedAt: now}
	events := append(b.Events, extra)
	counts := []crm.PageCountDelta{{SiteID: 7, Day: 20_000, Path: "/ü?x", N: 1}, {SiteID: 8, Day: 1, Path: "", N: 3}}
	gotE, gotC, err := decodePayload(encodePayload(nil, events, counts))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotE, events) {
		t.Errorf("events:\n got %+v\nwant %+v", gotE[0], events[0])
	}
	if !reflect.DeepEqual(gotC, counts) {
		t.Errorf("counts: got %+v, want %+v", gotC, counts)
	}
	// Damage past the CRC's protection is still refused, not mis-read.
	p := encodePayload(nil, events, counts)
	for _, bad := range [][]byte{p[:len(p)-1], append(p, 0), {2}, nil} {
		if _, _, err := decodePayload(bad); err == nil {
			t.Errorf("decodePayload accepted %d damaged bytes", len(bad))
		}
	}
}

// writeSegment writes a segment of records 1..n (payload "rec-N") and
// returns its path and the offset where each record starts.
func writeSegment(t *testing.T, n int, zeroTail int) (string, []int) {
	t.Helper()
	buf := []byte(segmentMagic)
	var offs []int
	for i := 1; i <= n; i++ {
		offs = append(offs, len(buf))
		buf = appendRecord(buf, int64(i), []byte("rec-"+strings.Repeat("x", i)))
	}
	buf = append(buf, make([]byte, zeroTail)...)
	path := filepath.Join(t.TempDir(), segmentName(1))
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, offs
}

func seqs(rs []record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.seq)
	}
	return out
}

// TestSpoolSegmentRead: records end at the segment's zeros or its end; a
// record cut short (the process died inside a write) or failing its CRC
// ends the segment, and the records before it are kept.
func TestSpoolSegmentRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		zeroTail int
		damage   func(b []byte, offs []int) []byte
		want     []int64
		torn     bool
	}{
		{"clean, zero-filled", 4096, nil, []int64{1, 2, 3, 4}, false},
		{"clean, at end of file", 0, nil, []int64{1, 2, 3, 4}, false},
		{"last record's body cut short", 0, func(b []byte, offs []int) []byte { return b[:len(b)-2] }, []int64{1, 2, 3}, true},
		{"last record's header cut short", 0, func(b []byte, offs []int) []byte { return b[:offs[3]+5] }, []int64{1, 2, 3}, true},
		{"last record half written into zeros", 4096, func(b []byte, offs []int) []byte {
			end := len(b) - 4096
			clear(b[end-3 : end])
			return b
		}, []int64{1, 2, 3}, true},
		{"CRC mismatch in the middle", 0, func(b []byte, offs []int) []byte {
			b[offs[1]+recordHeader+8] ^= 0xff
			return b
		}, []int64{1}, true},
		{"absurd length", 0, func(b []byte, offs []int) []byte {
			copy(b[offs[2]:], []byte{0xff, 0xff, 0xff, 0x7f})
			return b
		}, []int64{1, 2}, true},
		{"header never written", 0, func(b []byte, offs []int) []byte { return b[:3] }, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, offs := writeSegment(t, 4, tc.zeroTail)
			if tc.damage != nil {
				b, _ := os.ReadFile(path)
				os.WriteFile(path, tc.damage(b, offs), 0o600)
			}
			rs, tornAt, err := readSegment(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(seqs(rs), tc.want) {
				t.Errorf("records %v, want %v", seqs(rs), tc.want)
			}
			if (tornAt >= 0) != tc.torn {
				t.Errorf("tornAt = %d, want torn %v", tornAt, tc.torn)
			}
			for _, r := range rs {
				if string(r.payload) != "rec-"+strings.Repeat("x", int(r.seq)) {
					t.Errorf("record %d: payload %q", r.seq, r.payload)
				}
			}
		})
	}
}

// TestCommittedSet: overlapping and adjacent ranges (a replay's range
// covers records committed before) answer membership right.
func TestCommittedSet(t *testing.T) {
	c := mergeRanges([]crm.SpoolRange{{First: 10, Last: 20}, {First: 1, Last: 3}, {First: 12, Last: 14}, {First: 21, Last: 25}, {First: 40, Last: 40}})
	for seq, want := range map[int64]bool{0: false, 1: true, 3: true, 4: false, 9: false, 10: true, 13: true, 22: true, 25: true, 26: false, 39: false, 40: true, 41: false} {
		if got := c.has(seq); got != want {
			t.Errorf("has(%d) = %v, want %v", seq, got, want)
		}
	}
}

// crashSink stands for a database write when the process dies: with
// before set, writes never start; otherwise each commits and the writer
// then never returns, so the spool is never told.
type crashSink struct {
	*store.DB
	before    bool
	committed chan struct{}
}

func (s *crashSink) WriteEvents(ctx context.Context, b crm.EventBatch) error {
	if s.before {
		select {}
	}
	if err := s.DB.WriteEvents(ctx, b); err != nil {
		return err
	}
	s.committed <- struct{}{}
	select {}
}

// crash abandons c as kill -9 would: nothing more is written or deleted,
// and the spool's lock is let go. Its goroutines stay blocked.
func crash(c *Collector) {
	c.spool.preparing.Wait()
	c.spool.lock.Close()
}

func serve(t *testing.T, c *Collector) string {
	t.Helper()
	mux := http.NewServeMux()
	c.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func postTo(t *testing.T, url, key, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/t/collect?k="+key, strings.NewReader(body))
	req.Header.Set("Origin", shopOrigin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// tearLast writes half a record where the spool's next write would have
// gone, as a process killed inside write(2) might leave it.
func tearLast(t *testing.T, dir string) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no segment")
	}
	path := segs[len(segs)-1]
	rs, tornAt, err := readSegment(path)
	if err != nil || tornAt >= 0 || len(rs) == 0 {
		t.Fatalf("newest segment: %d records, torn at %d, %v", len(rs), tornAt, err)
	}
	end := int64(len(segmentMagic))
	for _, r := range rs {
		end += recordHeader + 8 + int64(len(r.payload))
	}
	half := appendRecord(nil, rs[len(rs)-1].seq+1, []byte("never acknowledged"))[:11]
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(half, end); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolReplay: events acknowledged by a process that dies are stored
// when the next one starts on the same spool — exactly once, whether the
// crash came before their batch's commit or after it (before the spool
// learnt of it); cookieless counts too, which adding twice would inflate;
// and a torn record at the end of the spool is ignored.
func TestSpoolReplay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool
		torn   bool
	}{
		{"crash before the commit", true, false},
		{"crash after a commit, before the spool is told", false, false},
		{"crash inside a write: torn last record", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := storetest.System()
				site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{shopOrigin}})
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				sink := &crashSink{DB: db, before: tc.before, committed: make(chan struct{}, 1)}
				c, err := New(ctx, sink, db, Options{IPRate: -1, SiteRate: -1, SpoolDir: dir, Registry: prometheus.NewRegistry()})
				if err != nil {
					t.Fatal(err)
				}
				url := serve(t, c)
				v := `"v":"` + visitor + `","s":"` + session + `"`
				send := func(i int) {
					// Three consented events and, without a visitor, two counted views.
					consented := `{` + v + `,"e":[` + pageview("https://shop.example/a") + `,` + pageview("https://shop.example/b") + `,` + pageview("https://shop.example/c") + `]}`
					cookieless := `{"e":[` + pageview("https://shop.example/p") + `,` + pageview("https://shop.example/q") + `]}`
					for _, body := range []string{consented, cookieless} {
						if st := postTo(t, url, site.PublicKey, body); st != http.StatusNoContent {
							t.Fatalf("request %d: %d", i, st)
						}
					}
				}
				send(0)
				if !tc.before {
					<-sink.committed // the first batch is in; its writer hangs
				}
				for i := 1; i < 5; i++ {
					send(i)
				}
				crash(c)
				if tc.torn {
					tearLast(t, dir)
				}

				reg := prometheus.NewRegistry()
				c2, err := New(ctx, db, db, Options{IPRate: -1, SiteRate: -1, SpoolDir: dir, Registry: reg})
				if err != nil {
					t.Fatal(err)
				}
				defer c2.Close(context.Background())
				all, err := db.FindEvents(ctx, crm.EventFilter{Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				if len(all.Items) != 15 {
					t.Errorf("%d events stored, want 15 (5 requests of 3)", len(all.Items))
				}
				stats, err := db.SiteStats(ctx, site.ID, time.Now().Add(-48*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if stats.PageViews != 10 {
					t.Errorf("%d page views counted, want 10 (5 requests of 2)", stats.PageViews)
				}
				want := 15.0
				if !tc.before {
					want = 12 // the first request's events were committed before the crash
				}
				if got := metric(reg, "ecrm_collect_spool_replayed_total"); got != want {
					t.Errorf("replayed %v events, want %v", got, want)
				}
				// The old segments are gone, and their ranges with them.
				segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
				if len(segs) != 1 {
					t.Errorf("segments after replay: %v", segs)
				}
				rs, err := db.SpoolRanges(ctx, c2.spool.id)
				if err != nil || len(rs) != 0 {
					t.Errorf("ranges after replay: %v, %v", rs, err)
				}
				// The spool goes on: a new request after the replay is stored once.
				url2 := serve(t, c2)
				if st := postTo(t, url2, site.PublicKey, `{`+v+`,"e":[`+pageview("https://shop.example/z")+`]}`); st != http.StatusNoContent {
					t.Fatalf("after replay: %d", st)
				}
				if err := c2.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				all, _ = db.FindEvents(ctx, crm.EventFilter{Limit: 500})
				if len(all.Items) != 16 {
					t.Errorf("%d events after one more, want 16", len(all.Items))
				}
				// A clean close leaves no segment and no range behind.
				segs, _ = filepath.Glob(filepath.Join(dir, "*.seg"))
				rs, _ = db.SpoolRanges(ctx, c2.spool.id)
				if len(segs) != 0 || len(rs) != 0 {
					t.Errorf("after Close: segments %v, ranges %v", segs, rs)
				}
			})
		})
	}
}

// TestSpoolOneProcessPerDir: a second collector on a spool directory in
// use is refused with a message naming the setting, not allowed to
// replay (and delete) the first one's records.
func TestSpoolOneProcessPerDir(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	dir := t.TempDir()
	c, err := New(storetest.System(), db, db, Options{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	_, err = New(storetest.System(), db, db, Options{SpoolDir: dir})
	if err == nil || !strings.Contains(err.Error(), "ECRM_COLLECT_SPOOL_DIR") {
		t.Fatalf("second collector on one spool: %v", err)
	}
}

// TestSpoolSegmentsRotate: the spool moves to a new segment as one fills
// and deletes those whose records are all committed, trimming their
// ranges from the database as it goes.
func TestSpoolSegmentsRotate(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{shopOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := New(ctx, db, db, Options{IPRate: -1, SiteRate: -1, SpoolDir: dir, segmentBytes: 4 << 10}) // a few requests a segment
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	url := serve(t, c)
	v := `"v":"` + visitor + `","s":"` + session + `"`
	body := `{` + v + `,"e":[` + pageview("https://shop.example/"+strings.Repeat("x", 500)) + `]}`
	for i := range 60 {
		if st := postTo(t, url, site.PublicKey, body); st != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, st)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		rs, _ := db.SpoolRanges(ctx, c.spool.id)
		c.spool.segMu.Lock()
		oldest := c.spool.segs[0].first
		c.spool.segMu.Unlock()
		trimmed := len(rs) > 0 && rs[0].Last >= oldest
		all, _ := db.FindEvents(ctx, crm.EventFilter{Limit: 500})
		if len(segs) <= 2 && trimmed && len(all.Items) == 60 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events stored of 60; segments %d, ranges %v (oldest record kept %d)", len(all.Items), len(segs), rs, oldest)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failSink refuses every write, as a database that is down.
type failSink struct{ *store.DB }

func (failSink) WriteEvents(ctx context.Context, b crm.EventBatch) error {
	return crm.Errorf(crm.EINTERNAL, "database down")
}

// TestSpoolReplayFails: when the replay cannot write, the server does not
// start, and the spool keeps its segments and the database its ranges,
// so the next start stores each acknowledged event once.
func TestSpoolReplayFails(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{shopOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sink := &crashSink{DB: db, committed: make(chan struct{}, 1)}
	c, err := New(ctx, sink, db, Options{IPRate: -1, SiteRate: -1, SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, c)
	body := `{"v":"` + visitor + `","s":"` + session + `","e":[` + pageview("https://shop.example/a") + `,` + pageview("https://shop.example/b") + `]}`
	if st := postTo(t, url, site.PublicKey, body); st != http.StatusNoContent {
		t.Fatal(st)
	}
	<-sink.committed // in, but the spool was never told
	if st := postTo(t, url, site.PublicKey, body); st != http.StatusNoContent {
		t.Fatal(st)
	}
	crash(c)

	saved := writeRetries
	writeRetries = []time.Duration{time.Millisecond}
	defer func() { writeRetries = saved }()
	if _, err := New(ctx, failSink{db}, db, Options{SpoolDir: dir}); err == nil {
		t.Fatal("started although the replay could not write")
	}
	c3, err := New(ctx, db, db, Options{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close(context.Background())
	all, err := db.FindEvents(ctx, crm.EventFilter{Limit: 500})
	if err != nil || len(all.Items) != 4 {
		t.Errorf("%d events stored, want 4 (two requests of 2), %v", len(all.Items), err)
	}
}
