// Package server composes ecrm's HTTP surfaces — the console at /, the
// REST API at /api/v1 and the operational endpoints — behind one set of
// middleware, and runs them with timeouts and graceful shutdown.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ecrm/ecrm/internal/api"
	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/tracking"
	"github.com/ecrm/ecrm/internal/transfer"
	"github.com/ecrm/ecrm/internal/web"
	"github.com/ecrm/ecrm/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is what a server needs.
type Config struct {
	Addr          string
	DB            *store.DB
	Logger        *slog.Logger
	SecureCookies bool
	Version       string
	// Tracking tunes the collect endpoint (queue, writers, rate limits);
	// the zero value takes its defaults.
	Tracking tracking.Options
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on a listener of its own
	// (an address only the monitoring network reaches) and not beside the
	// console and the API.
	MetricsAddr string
	// ReadTimeout bounds reading a whole request, body included (zero:
	// DefaultReadTimeout). Signed-in uploads get UploadReadTimeout instead.
	ReadTimeout time.Duration
}

// DefaultReadTimeout is how long a client may take to send a request,
// headers and body: every public body (login, forms, collect batches) is
// a few kilobytes, so a minute is generous and a slow-body flood holds a
// connection no longer than that. The console's CSV upload and the API's
// order import extend it to web.UploadReadTimeout once the request is
// authenticated, so large imports on slow links still work.
const DefaultReadTimeout = time.Minute

// Server is a running ecrm HTTP server.
type Server struct {
	cfg  Config
	http *http.Server
	ln   net.Listener
	done chan error
	// metricsHTTP serves /metrics alone when Config.MetricsAddr is set.
	metricsHTTP *http.Server
	metricsLn   net.Listener
	// collect is the tracking endpoint, drained on shutdown.
	collect *tracking.Collector
	// reg is /metrics' registry, for workers beside the server (mail).
	reg prometheus.Registerer
	// stopSweep stops the sweeper of abandoned import uploads.
	stopSweep func()
}

// MaxBody bounds every request body; the CSV import is the largest
// legitimate upload. The API applies its own, tighter limit.
const MaxBody = 64 << 20

// New builds the handler tree.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	svc := wire.Services(cfg.DB)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)

	console, err := web.New(svc, web.Options{Logger: cfg.Logger, SecureCookies: cfg.SecureCookies, Transfer: consoleTransfer{transfer.New(svc, cfg.DB)}, Routed: routed})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(svc, api.Options{Logger: cfg.Logger, Version: cfg.Version, Routed: routed}))
	mux.Handle("/", console)
	// Passive collection (/t.js, /t/config, /t/collect) sits outside the
	// console's session and CSRF middleware: public, cross-origin by
	// design (CORS per site), and never a cookie in or out.
	topts := cfg.Tracking
	topts.Logger, topts.Registry = cfg.Logger, reg
	if topts.Writers == 0 && cfg.DB.Engine() == "postgres" {
		topts.Writers = 4
	}
	// Durability: on SQLite a spool beside the database file (same disk,
	// same fate); on PostgreSQL the commit itself unless a spool directory
	// is configured, since a server there often runs on a disk that does
	// not outlive it.
	if topts.SpoolDir == "" && topts.Durability != tracking.DurabilityCommit {
		if cfg.DB.Engine() == "sqlite" {
			topts.SpoolDir = cfg.DB.Path() + "-spool"
		} else if topts.Durability == tracking.DurabilitySpool {
			return nil, crm.Errorf(crm.EINVALID, "collect durability spool on PostgreSQL needs a spool directory (ECRM_COLLECT_SPOOL_DIR)")
		}
	}
	if topts.Durability == tracking.DurabilityCommit {
		topts.SpoolDir = ""
	}
	collect, err := tracking.New(context.Background(), cfg.DB, svc.Tracking, topts)
	if err != nil {
		return nil, err
	}
	collect.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := cfg.DB.Ping(ctx); err != nil {
			cfg.Logger.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
	metricsHandler := metricsAuth(cfg.MetricsToken, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", metricsHandler)
	}

	h := recoverPanics(cfg.Logger, m.instrument(logRequests(cfg.Logger, limitBody(mux))))
	s := &Server{cfg: cfg, done: make(chan error, 1), collect: collect, reg: reg}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	s.http = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      10 * time.Minute, // full exports stream for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	if cfg.MetricsAddr != "" {
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metricsHandler)
		s.metricsHTTP = &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: time.Minute, ErrorLog: s.http.ErrorLog}
	}
	return s, nil
}

// metricsAuth asks for "Authorization: Bearer <token>" when a token is
// configured: the metrics name routes, error rates and the Go runtime's
// state, which is no business of the public.
func metricsAuth(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler exposes the handler tree for tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return crm.Errorf(crm.EINVALID, "cannot listen on %s: %v", s.cfg.Addr, err)
	}
	s.ln = ln
	s.stopSweep = web.SweepUploads(s.cfg.Logger)
	if s.metricsHTTP != nil {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return crm.Errorf(crm.EINVALID, "cannot listen on %s: %v", s.cfg.MetricsAddr, err)
		}
		s.metricsLn = mln
		go func() {
			if err := s.metricsHTTP.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.cfg.Logger.Error("metrics listener", "err", err)
			}
		}()
	}
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return nil
}

// URL is the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// MetricsURL is the base URL of the metrics listener ("" when /metrics is
// served beside the console).
func (s *Server) MetricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return "http://" + s.metricsLn.Addr().String()
}

// Wait blocks until the server stops by itself (a listener error).
func (s *Server) Wait() <-chan error { return s.done }

// Shutdown stops accepting requests, waits for those in flight, then
// writes the events still queued by the collect endpoint.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.stopSweep != nil {
		s.stopSweep()
	}
	var merr error
	if s.metricsHTTP != nil {
		merr = s.metricsHTTP.Shutdown(ctx)
	}
	return errors.Join(s.http.Shutdown(ctx), merr, s.collect.Close(ctx))
}

// Registry is the registry /metrics serves, so background workers started
// next to the server (the mail worker) report there too.
func (s *Server) Registry() prometheus.Registerer { return s.reg }

// Collector exposes the collect endpoint (queue depth) for tests and the
// load generator.
func (s *Server) Collector() *tracking.Collector { return s.collect }
