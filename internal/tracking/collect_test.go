package tracking

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

const (
	shopOrigin = "https://shop.example"
	visitor    = "0123456789abcdef0123456789abcdef"
	session    = "0123456789abcdef"
)

type env struct {
	db   *store.DB
	c    *Collector
	srv  *httptest.Server
	site *crm.Site
	key  string // identify secret
	reg  *prometheus.Registry
}

func newEnv(t *testing.T, db *store.DB, o Options) *env {
	t.Helper()
	ctx := storetest.System()
	s, secret, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop"), Origins: &[]string{shopOrigin}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, site: s, key: secret, reg: prometheus.NewRegistry()}
	o.Registry = e.reg
	c, err := New(context.Background(), db, db, o)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	mux := http.NewServeMux()
	e.c.Register(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		e.c.Close(context.Background())
	})
	return e
}

func ptr[T any](v T) *T { return &v }

// metric reads a counter or gauge from reg (the series whose first label
// value is label, when given), without test-only dependencies.
func metric(reg *prometheus.Registry, name string, label ...string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if len(label) > 0 && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label[0]) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// post sends a collect request from origin (none when "").
func (e *env) post(t *testing.T, origin, key, body string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/t/collect?k="+key, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("collect set a cookie: %v", c)
	}
	return res
}

// drain waits until the writer has committed everything queued.
func (e *env) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.c.Depth() > 0 || metric(e.reg, "ecrm_collect_events_written_total") < metric(e.reg, "ecrm_collect_events_accepted_total") {
		if time.Now().After(deadline) {
			t.Fatal("queue did not drain")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the last batch's commit
}

func pageview(url string) string {
	return fmt.Sprintf(`{"n":"pageview","u":%q,"t":"Home","r":"https://search.example/?q=kettle","a":10}`, url)
}

// TestCollectCORS: a preflight and a POST are answered with CORS headers
// for the site's allowed origins only; any other origin (or none) is
// refused without them.
func TestCollectCORS(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"), Options{})
	for _, tc := range []struct {
		origin string
		want   int
	}{{shopOrigin, 204}, {"https://evil.example", 403}, {"", 403}, {"null", 403}, {"https://shop.example.evil.example", 403}} {
		req, _ := http.NewRequest("OPTIONS", e.srv.URL+"/t/collect?k="+e.site.PublicKey, nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		acao := res.Header.Get("Access-Control-Allow-Origin")
		if res.StatusCode != tc.want || (tc.want == 204) != (acao == tc.origin && acao != "") {
			t.Errorf("preflight from %q: %d, ACAO %q", tc.origin, res.StatusCode, acao)
		}
		post := e.post(t, tc.origin, e.site.PublicKey, `{"e":[`+pageview("/")+`]}`)
		if post.StatusCode != tc.want || (tc.want != 204 && post.Header.Get("Access-Control-Allow-Origin") != "") {
			t.Errorf("POST from %q: %d, ACAO %q", tc.origin, post.StatusCode, post.Header.Get("Access-Control-Allow-Origin"))
		}
		if tc.want == 204 && post.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("credentials allowed")
		}
	}
}

// TestCollectBounds: every bound is a 4xx with a message naming what is
// wrong; nothing is queued.
func TestCollectBounds(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	e := newEnv(t, db, Options{})
	off, _, err := db.CreateSite(storetest.System(), crm.SiteInput{Name: ptr("Off"), Origins: &[]string{shopOrigin}, Active: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	many := make([]string, MaxEvents+1)
	for i := range many {
		many[i] = `{"n":"x"}`
	}
	props := make([]string, MaxProps+1)
	for i := range props {
		props[i] = fmt.Sprintf(`"k%d":1`, i)
	}
	v := `"v":"` + visitor + `","s":"` + session + `",`
	cases := []struct {
		name, key, body string
		status          int
		msg             string
	}{
		{"no key", "", `{"e":[]}`, 400, "site key"},
		{"unknown key", "pk_nope", `{"e":[` + pageview("/") + `]}`, 404, "unknown site"},
		{"disabled", off.PublicKey, `{"e":[` + pageview("/") + `]}`, 403, "disabled"},
		{"not json", e.site.PublicKey, `hello`, 400, "not a collect payload"},
		{"unknown field", e.site.PublicKey, `{"e":[],"x":1}`, 400, "unknown field"},
		{"two values", e.site.PublicKey, `{"e":[{"n":"a"}]}{}`, 400, "more than one"},
		{"no events", e.site.PublicKey, `{"e":[]}`, 400, "no events"},
		{"too many events", e.site.PublicKey, `{"e":[` + strings.Join(many, ",") + `]}`, 400, "at most 50"},
		{"bad name", e.site.PublicKey, `{` + v + `"e":[{"n":"<script>"}]}`, 400, "e[0].n"},
		{"long name", e.site.PublicKey, `{` + v + `"e":[{"n":"` + strings.Repeat("a", 49) + `"}]}`, 400, "e[0].n"},
		{"bad visitor", e.site.PublicKey, `{"v":"42","e":[{"n":"a"}]}`, 400, "visitor id"},
		{"session without visitor", e.site.PublicKey, `{"s":"` + session + `","e":[{"n":"a"}]}`, 400, "need a visitor"},
		{"long url", e.site.PublicKey, `{` + v + `"e":[{"n":"a","u":"https://x/` + strings.Repeat("a", MaxURL) + `"}]}`, 400, "e[0].u"},
		{"javascript url", e.site.PublicKey, `{` + v + `"e":[{"n":"a","u":"javascript:alert(1)"}]}`, 400, "e[0].u"},
		{"long title", e.site.PublicKey, `{` + v + `"e":[{"n":"a","t":"` + strings.Repeat("é", MaxTitle+1) + `"}]}`, 400, "e[0].t"},
		{"bad referrer", e.site.PublicKey, `{` + v + `"e":[{"n":"a","r":"data:text/html,x"}]}`, 400, "e[0].r"},
		{"too many props", e.site.PublicKey, `{` + v + `"e":[{"n":"a","p":{` + strings.Join(props, ",") + `}}]}`, 400, "at most 20"},
		{"nested props", e.site.PublicKey, `{` + v + `"e":[{"n":"a","p":{"x":{"y":1}}}]}`, 400, "e[0].p.x"},
		{"bad prop name", e.site.PublicKey, `{` + v + `"e":[{"n":"a","p":{"<b>":1}}]}`, 400, "property names"},
		{"long prop", e.site.PublicKey, `{` + v + `"e":[{"n":"a","p":{"x":"` + strings.Repeat("a", MaxPropValue+1) + `"}}]}`, 400, "e[0].p"},
		{"old event", e.site.PublicKey, `{` + v + `"e":[{"n":"a","a":` + fmt.Sprint(MaxAge.Milliseconds()+1) + `}]}`, 400, "e[0].a"},
		{"bad currency", e.site.PublicKey, `{` + v + `"e":[{"n":"a","cur":"euro"}]}`, 400, "e[0].cur"},
		{"huge value", e.site.PublicKey, `{` + v + `"e":[{"n":"a","val":1e300}]}`, 400, "e[0].val"},
		{"body too large", e.site.PublicKey, `{"e":[{"n":"a","t":"` + strings.Repeat("a", MaxBody) + `"}]}`, 413, "larger than"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", e.srv.URL+"/t/collect?k="+tc.key, strings.NewReader(tc.body))
		req.Header.Set("Origin", shopOrigin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, res.StatusCode, b, tc.status, tc.msg)
		}
	}
	if e.c.Depth() != 0 || metric(e.reg, "ecrm_collect_events_accepted_total") != 0 {
		t.Errorf("a refused request queued something")
	}
}

// TestCollectConsentAndIdentify: without a visitor id only the path of a
// page view is counted (no query string, nothing else kept); with one,
// events are stored; Do Not Track and GPC headers drop the identifiers;
// only a correctly signed identify links the visitor to a contact.
func TestCollectConsentAndIdentify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{})
		ctx := storetest.System()
		k := e.site.PublicKey
		if r := e.post(t, shopOrigin, k, `{"e":[`+pageview("/shoes?email=ada@example.com#x")+`,{"n":"product_view","u":"/p"}]}`); r.StatusCode != 204 {
			t.Fatalf("pre-consent: %d", r.StatusCode)
		}
		v := `"v":"` + visitor + `","s":"` + session + `"`
		prod := `{"n":"product_view","u":"https://shop.example/p/k?utm_source=news&utm_campaign=spring","t":"Kettle","sku":"K-1","pn":"Kettle","val":19.99,"cur":"EUR","p":{"colour":"red","n":2,"ok":true,"x":null}}`
		if r := e.post(t, shopOrigin, k, `{`+v+`,"e":[`+pageview("https://shop.example/?utm_medium=email")+`,`+prod+`]}`); r.StatusCode != 204 {
			t.Fatalf("consented: %d", r.StatusCode)
		}
		// The browser says Do Not Track: identifiers are dropped, the page view counted.
		other := "ffffffffffffffffffffffffffffffff"
		if r := e.post(t, shopOrigin, k, `{"v":"`+other+`","e":[`+pageview("https://shop.example/dnt?q=1")+`]}`, "Sec-GPC", "1"); r.StatusCode != 204 {
			t.Fatalf("gpc: %d", r.StatusCode)
		}
		e.drain(t)
		evs, err := db.FindEvents(ctx, crm.EventFilter{})
		if err != nil || len(evs.Items) != 2 {
			t.Fatalf("events = %d, %v", len(evs.Items), err)
		}
		p := evs.Items[0]
		if p.Name != "product_view" || p.Path != "/p/k" || p.UTMSource != "news" || p.UTMCampaign != "spring" || p.Value == nil || *p.Value != 1999 ||
			p.Currency != "EUR" || p.Props["colour"] != "red" || p.SessionID != session || p.VisitorID != visitor {
			t.Errorf("product event = %+v", p)
		}
		if evs.Items[1].UTMMedium != "email" || evs.Items[1].Referrer != "https://search.example/?q=kettle" {
			t.Errorf("page view = %+v", evs.Items[1])
		}
		if _, err := db.FindVisitor(ctx, other); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("a GPC visitor was stored: %v", err)
		}
		st, err := db.SiteStats(ctx, e.site.ID, time.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		paths := map[string]int64{}
		for _, pc := range st.TopPaths {
			paths[pc.Path] = pc.Count
		}
		if st.PageViews != 2 || paths["/shoes"] != 1 || paths["/dnt"] != 1 {
			t.Errorf("cookieless counts = %d %v", st.PageViews, paths)
		}
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		ident := func(email, sig string) {
			t.Helper()
			if r := e.post(t, shopOrigin, k, fmt.Sprintf(`{%s,"e":[],"id":{"email":%q,"sig":%q}}`, v, email, sig)); r.StatusCode != 204 {
				t.Fatalf("identify: %d", r.StatusCode)
			}
		}
		linked := func() *int64 {
			vis, err := db.FindVisitor(ctx, visitor)
			if err != nil {
				t.Fatal(err)
			}
			return vis.ContactID
		}
		ident("ada@example.com", "")                                                // unsigned
		ident("ada@example.com", IdentifySignature("ids_wrong", "ada@example.com")) // forged
		ident("ada@example.com", strings.Repeat("zz", 32))                          // not hex
		if linked() != nil {
			t.Fatal("an unsigned or forged identify linked the visitor")
		}
		ident("Ada@Example.com", IdentifySignature(e.key, "ada@example.com"))
		if id := linked(); id == nil || *id != c.ID {
			t.Fatalf("signed identify: linked to %v", id)
		}
		mine, _ := db.FindEvents(ctx, crm.EventFilter{ContactID: &c.ID})
		if len(mine.Items) != 2 {
			t.Errorf("past events on the contact: %d", len(mine.Items))
		}
	})
}

// TestCollectRateLimit: per IP and per site key, 429 with Retry-After.
func TestCollectRateLimit(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"), Options{IPRate: 0.5, IPBurst: 2})
	body := `{"e":[` + pageview("/") + `]}`
	for i, want := range []int{204, 204, 429} {
		r := e.post(t, shopOrigin, e.site.PublicKey, body)
		if r.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, r.StatusCode, want)
		}
		if want == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	e2 := newEnv(t, storetest.Open(t, "sqlite"), Options{SiteRate: 0.5, SiteBurst: 1})
	if r := e2.post(t, shopOrigin, e2.site.PublicKey, body); r.StatusCode != 204 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	if r := e2.post(t, shopOrigin, e2.site.PublicKey, body); r.StatusCode != 429 || r.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Fatalf("site over its rate: %d (a 429 for an allowed origin carries CORS so the page can read it)", r.StatusCode)
	}
}

// blockingSink holds every write until released, to fill the queue.
type blockingSink struct {
	site    *crm.TrackedSite
	release chan struct{}
	wrote   chan int
}

func (b *blockingSink) SiteByKey(ctx context.Context, key string) (*crm.TrackedSite, error) {
	if key != b.site.Key {
		return nil, crm.Errorf(crm.ENOTFOUND, "unknown")
	}
	return b.site, nil
}

func (b *blockingSink) WriteEvents(ctx context.Context, batch crm.EventBatch) error {
	<-b.release
	b.wrote <- len(batch.Events) + len(batch.Counts)
	return nil
}

func (*blockingSink) VisitorWithdrawn(context.Context, string) (bool, error) { return false, nil }

func (b *blockingSink) SpoolRanges(ctx context.Context, spool string) ([]crm.SpoolRange, error) {
	return nil, nil
}

func (b *blockingSink) ForgetSpoolRanges(ctx context.Context, spool string, below int64) error {
	return nil
}

// TestCollectQueueFull: when the writer falls behind, a request that does
// not fit the bounded queue is refused with 503 and Retry-After (before
// anything is spooled), counted in the metrics; Close drains what was
// accepted.
func TestCollectQueueFull(t *testing.T) {
	sink := &blockingSink{site: &crm.TrackedSite{ID: 1, Key: "pk_test", Active: true, Origins: []string{shopOrigin}}, release: make(chan struct{}), wrote: make(chan int, 10)}
	reg := prometheus.NewRegistry()
	c, err := New(context.Background(), sink, nil, Options{QueueSize: 5, Registry: reg, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	e := &env{c: c, srv: srv}
	three := `{"e":[` + pageview("/a") + `,` + pageview("/b") + `,` + pageview("/c") + `]}`
	if r := e.post(t, shopOrigin, "pk_test", three); r.StatusCode != 204 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	for c.Depth() != 0 { // the writer took the first batch and blocks
		time.Sleep(time.Millisecond)
	}
	if r := e.post(t, shopOrigin, "pk_test", three); r.StatusCode != 204 {
		t.Fatalf("second: %d", r.StatusCode)
	}
	r := e.post(t, shopOrigin, "pk_test", three)
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("third: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if got := metric(reg, "ecrm_collect_dropped_total", "queue_full"); got != 3 {
		t.Errorf("dropped = %v", got)
	}
	if got := metric(reg, "ecrm_collect_queue_depth"); got != 3 {
		t.Errorf("queue depth metric = %v", got)
	}
	close(sink.release)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for len(sink.wrote) > 0 {
		total += <-sink.wrote
	}
	if total != 6 {
		t.Errorf("drained %d of 6", total)
	}
	if r := e.post(t, shopOrigin, "pk_test", three); r.StatusCode != 503 {
		t.Errorf("after Close: %d", r.StatusCode)
	}
}

// TestSnippetServed: /t.js is the minified snippet within its 6 KB
// budget, gzip when asked, cacheable, no cookie; /t/config answers the
// banner texts in the asked language with CORS for allowed origins.
func TestSnippetServed(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"), Options{})
	if len(Script) > 6*1024 {
		t.Errorf("t.js is %d bytes minified, over 6 KB", len(Script))
	}
	t.Logf("t.js: %d bytes minified, %d gzipped (source %d)", len(Script), len(scriptGzip), len(snippetSource))
	req, _ := http.NewRequest("GET", e.srv.URL+"/t.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
		res.Header.Get("Set-Cookie") != "" || res.Header.Get("ETag") == "" {
		t.Errorf("t.js: %d %v", res.StatusCode, res.Header)
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/t/config?k="+e.site.PublicKey+"&l=fa", nil)
	req.Header.Set("Origin", shopOrigin)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != shopOrigin || !strings.Contains(string(b), `"dir":"rtl"`) || !strings.Contains(string(b), "پذیرفتن همه") {
		t.Errorf("config: %d %s", res.StatusCode, b)
	}
}

// TestCloseDrains: everything acknowledged before Close is committed.
func TestCloseDrains(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	e := newEnv(t, db, Options{IPRate: -1, SiteRate: -1})
	v := `"v":"` + visitor + `","s":"` + session + `"`
	for range 30 {
		if r := e.post(t, shopOrigin, e.site.PublicKey, `{`+v+`,"e":[`+pageview("https://shop.example/")+`,`+pageview("https://shop.example/b")+`]}`); r.StatusCode != 204 {
			t.Fatal(r.StatusCode)
		}
	}
	if err := e.c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	p, err := db.FindEvents(storetest.System(), crm.EventFilter{Limit: 500})
	if err != nil || len(p.Items) != 60 {
		t.Fatalf("after Close: %d events, %v", len(p.Items), err)
	}
}
