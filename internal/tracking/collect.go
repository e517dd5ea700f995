package tracking

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/ratelimit"
)

// Options tune the collect endpoint; zero values take the defaults.
type Options struct {
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// QueueSize bounds the events and counts waiting to be written; a
	// request that does not fit is answered 503 with Retry-After.
	QueueSize int
	// MaxBatch bounds one group commit.
	MaxBatch int
	// Writers is how many batches are written at once: 1 on SQLite (one
	// writer), a few on PostgreSQL.
	Writers int
	// Durability is when a request is answered 204 (durability.go): the
	// default is DurabilitySpool when SpoolDir is set, else
	// DurabilityCommit.
	Durability Durability
	// SpoolDir is this process's spool directory; no two processes may
	// share one. The sink must be a crm.SpoolLedger too.
	SpoolDir string
	// segmentBytes overrides the spool's segment size (tests).
	segmentBytes int64
	// Requests per second and burst, per client IP and per site key.
	IPRate, SiteRate   float64
	IPBurst, SiteBurst int
	Now                func() time.Time
}

// Defaults: an IP may send a batch every 50 ms for a while (a busy tab
// sends one every few seconds); a site takes 2,000 requests a second
// (about 20,000 events) per server.
const (
	DefaultQueueSize = 20_000
	DefaultMaxBatch  = 2_000
	DefaultIPRate    = 20
	DefaultIPBurst   = 200
	DefaultSiteRate  = 2_000
	DefaultSiteBurst = 10_000
)

// Collector serves /t.js, /t/config and /t/collect. It sets no cookie and
// reads none: the routes sit outside the console's session middleware.
type Collector struct {
	sink    crm.TrackingSink
	svc     crm.TrackingService
	q       *queue
	spool   *spool // nil with DurabilityCommit
	ip      *ratelimit.Keyed
	site    *ratelimit.Keyed
	m       *metrics
	log     *slog.Logger
	now     func() time.Time
	closing chan struct{}
}

// New starts the collector's writers; Close drains them. With a spool it
// first writes what an earlier run acknowledged but did not store, and
// fails when it cannot.
func New(ctx context.Context, sink crm.TrackingSink, svc crm.TrackingService, o Options) (*Collector, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Writers <= 0 {
		o.Writers = 1
	}
	if o.IPRate == 0 {
		o.IPRate, o.IPBurst = DefaultIPRate, DefaultIPBurst
	}
	if o.SiteRate == 0 {
		o.SiteRate, o.SiteBurst = DefaultSiteRate, DefaultSiteBurst
	}
	// A rate without a burst gets ten seconds' worth.
	if o.IPBurst <= 0 {
		o.IPBurst = max(1, int(o.IPRate*10))
	}
	if o.SiteBurst <= 0 {
		o.SiteBurst = max(1, int(o.SiteRate*10))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Durability == "" {
		o.Durability = DurabilityCommit
		if o.SpoolDir != "" {
			o.Durability = DurabilitySpool
		}
	}
	if o.Durability == DurabilityCommit {
		o.SpoolDir = ""
	}
	m := newMetrics()
	c := &Collector{sink: sink, svc: svc, m: m, log: o.Logger, now: o.Now, closing: make(chan struct{}),
		ip: ratelimit.New(rate.Limit(o.IPRate), o.IPBurst), site: ratelimit.New(rate.Limit(o.SiteRate), o.SiteBurst)}
	switch o.Durability {
	case DurabilityCommit:
	case DurabilitySpool:
		ledger, ok := sink.(crm.SpoolLedger)
		if !ok || o.SpoolDir == "" {
			return nil, crm.Errorf(crm.EINVALID, "collect durability spool needs a spool directory and a store that records spooled batches")
		}
		ctx := crm.WithActor(ctx, crm.SystemActor)
		sp, pending, old, err := openSpool(ctx, o.SpoolDir, ledger, o.Logger, m, o.segmentBytes)
		if err != nil {
			return nil, err
		}
		c.spool = sp
		if err := c.replay(ctx, pending, old, o.MaxBatch); err != nil {
			sp.abandon()
			return nil, err
		}
	default:
		return nil, crm.Errorf(crm.EINVALID, "collect durability must be spool or commit, not %q", o.Durability)
	}
	c.q = newQueue(sink, c.spool, o.QueueSize, o.MaxBatch, o.Writers, o.Logger, m)
	if c.spool != nil {
		c.spool.start(c.q)
	}
	if o.Registry != nil {
		m.register(o.Registry, func() float64 { return float64(c.q.depth()) }, o.QueueSize)
	}
	return c, nil
}

// Register mounts the collector's routes.
func (c *Collector) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /t.js", c.script)
	mux.Handle("GET /t/config", c.adapt(c.config))
	mux.Handle("OPTIONS /t/config", c.adapt(c.preflight))
	mux.Handle("POST /t/collect", c.adapt(c.collect))
	mux.Handle("OPTIONS /t/collect", c.adapt(c.preflight))
}

// Close stops accepting events and writes what is queued; the spool's
// files go once everything in them is committed.
func (c *Collector) Close(ctx context.Context) error {
	if c.spool == nil {
		return c.q.close(ctx)
	}
	c.spool.closeInput()
	if err := c.q.close(ctx); err != nil {
		// Still writing: the spool keeps the rest for the next start.
		return err
	}
	return c.spool.closeFiles()
}

// Depth is the number of queued items, for tests and the load generator.
func (c *Collector) Depth() int { return c.q.depth() }

// httpError is a refusal: a status and a message for the sender.
type httpError struct {
	status     int
	msg        string
	retryAfter time.Duration
}

func (e *httpError) Error() string { return e.msg }

func refuse(status int, msg string) error { return &httpError{status: status, msg: msg} }

// adapt turns a handler's error into its answer; it is the one place
// collect writes errors. Anything unexpected is a logged 500 without
// detail (the parser and the checks are meant to leave none).
func (c *Collector) adapt(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		err := h(w, r)
		if err == nil {
			return
		}
		var he *httpError
		if !errors.As(err, &he) {
			c.log.Error("tracking: unexpected error", "path", r.URL.Path, "err", err)
			he = &httpError{status: http.StatusInternalServerError, msg: "internal error"}
		}
		if he.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((he.retryAfter+time.Second-1)/time.Second)))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(he.status)
		io.WriteString(w, he.msg+"\n")
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// siteFor finds the request's site (?k=) and checks that it is on and
// that the Origin is one of its allowed origins; it then sets the CORS
// answer for that origin. Unknown origins get no CORS header at all.
func (c *Collector) siteFor(w http.ResponseWriter, r *http.Request) (*crm.TrackedSite, error) {
	now := c.now()
	if ok, wait := c.ip.Reserve(clientIP(r), now); !ok {
		c.m.dropped.WithLabelValues("rate_limited").Inc()
		return nil, &httpError{status: http.StatusTooManyRequests, msg: "too many requests from this address", retryAfter: wait}
	}
	key := r.URL.Query().Get("k")
	if key == "" || len(key) > 64 {
		return nil, refuse(http.StatusBadRequest, "k: the site key is missing")
	}
	ctx := crm.WithActor(r.Context(), crm.SystemActor)
	s, err := c.sink.SiteByKey(ctx, key)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		c.m.dropped.WithLabelValues("unknown_site").Inc()
		return nil, refuse(http.StatusNotFound, "unknown site key")
	}
	if err != nil {
		return nil, err
	}
	if !s.Active {
		c.m.dropped.WithLabelValues("unknown_site").Inc()
		return nil, refuse(http.StatusForbidden, "this site is disabled")
	}
	origin := r.Header.Get("Origin")
	if o, ok := crm.NormalizeOrigin(origin); !ok || !slices.Contains(s.Origins, o) {
		c.m.dropped.WithLabelValues("origin").Inc()
		return nil, refuse(http.StatusForbidden, "origin not allowed for this site")
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if ok, wait := c.site.Reserve(s.Key, now); !ok {
		c.m.dropped.WithLabelValues("rate_limited").Inc()
		return nil, &httpError{status: http.StatusTooManyRequests, msg: "too many requests for this site", retryAfter: wait}
	}
	return s, nil
}

// preflight answers a CORS preflight for an allowed origin only.
func (c *Collector) preflight(w http.ResponseWriter, r *http.Request) error {
	if _, err := c.siteFor(w, r); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, GET")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// trackingRefused: the browser asked not to be tracked (Do Not Track,
// Global Privacy Control). The snippet honours it; the server does too,
// in case a page sends identifiers anyway.
func trackingRefused(r *http.Request) bool {
	return r.Header.Get("DNT") == "1" || r.Header.Get("Sec-GPC") == "1"
}

func (c *Collector) collect(w http.ResponseWriter, r *http.Request) error {
	s, err := c.siteFor(w, r)
	if err != nil {
		return err
	}
	if r.ContentLength > MaxBody {
		c.m.dropped.WithLabelValues("invalid").Inc()
		return refuse(http.StatusRequestEntityTooLarge, "body larger than "+strconv.Itoa(MaxBody)+" bytes")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		c.m.dropped.WithLabelValues("invalid").Inc()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return refuse(http.StatusRequestEntityTooLarge, "body larger than "+strconv.Itoa(MaxBody)+" bytes")
		}
		return refuse(http.StatusBadRequest, "could not read the body")
	}
	now := c.now().UTC()
	b, err := Parse(body, s.ID, now, !trackingRefused(r))
	if err != nil {
		c.m.dropped.WithLabelValues("invalid").Inc()
		var pe *ParseError
		if errors.As(err, &pe) {
			return refuse(http.StatusBadRequest, pe.Msg)
		}
		return err
	}
	// A visitor whose person withdrew analytics consent on the ledger (the
	// preference centre, staff, the API) or was erased: nothing is stored
	// (the writer refuses it in any case), and 410 tells the snippet to
	// forget its identifiers, as if the person had withdrawn in the banner.
	if b.VisitorID != "" && c.visitorWithdrawn(r.Context(), b.VisitorID) {
		c.m.dropped.WithLabelValues("withdrawn").Add(float64(len(b.Events)))
		return refuse(http.StatusGone, "consent withdrawn: events of this visitor are not stored; forget its identifiers")
	}
	var counts []crm.PageCountDelta
	if len(b.Paths) > 0 {
		day := now.UnixMilli() / 86_400_000
		for _, p := range b.Paths {
			counts = append(counts, crm.PageCountDelta{SiteID: s.ID, Day: day, Path: p, N: 1})
		}
	}
	if len(b.Events)+len(counts) > 0 {
		if err := c.accept(r.Context(), b.Events, counts); err != nil {
			return err
		}
	}
	c.m.accepted.Add(float64(len(b.Events)))
	c.m.counted.Add(float64(len(counts)))
	if b.Identify != nil {
		c.identify(r.Context(), s, b.VisitorID, b.Identify)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// visitorWithdrawn asks the store, which answers from what its writer
// refused (no query for other visitors). A failed lookup counts as not
// withdrawn: the writer's own check still holds.
func (c *Collector) visitorWithdrawn(ctx context.Context, visitor string) bool {
	w, err := c.sink.VisitorWithdrawn(crm.WithActor(ctx, crm.SystemActor), visitor)
	if err != nil {
		c.log.Warn("tracking: consent lookup failed", "err", err)
		return false
	}
	return w
}

// IdentifySignature is what a shop's server computes for a browser
// identify: hex HMAC-SHA256 of the lowercased email, keyed with the
// site's identify secret.
func IdentifySignature(secret, email string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil))
}

// identify links the visitor when the signature holds; an unsigned or
// badly signed identify is ignored (the browser learns nothing either way).
func (c *Collector) identify(ctx context.Context, s *crm.TrackedSite, visitor string, id *wireIdent) {
	if s.IdentifySecret == "" || id.Sig == "" {
		return
	}
	want, _ := hex.DecodeString(IdentifySignature(s.IdentifySecret, id.Email))
	got, err := hex.DecodeString(id.Sig)
	if err != nil || !hmac.Equal(want, got) {
		c.m.dropped.WithLabelValues("bad_signature").Inc()
		return
	}
	sys := crm.WithActor(context.WithoutCancel(ctx), crm.SystemActor)
	if _, err := c.svc.IdentifyVisitor(sys, visitor, id.Email, crm.LinkIdentifySigned); err != nil {
		c.log.Warn("tracking: signed identify failed", "site", s.ID, "err", err)
	}
}
