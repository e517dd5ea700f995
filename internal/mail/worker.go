package mail

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecrm/ecrm/internal/crm"
)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Logger *slog.Logger
	// Interval between polls of the outbox; two seconds by default.
	Interval time.Duration
	// Batch is how many messages one poll claims and sends at once
	// (one SMTP connection each); 4 by default.
	Batch int
	// Lease is how long a claimed message is this worker's. It outlasts
	// a conversation's Timeout, so a live worker is never overtaken.
	Lease time.Duration
	// Now is the clock of the reminders and clean-ups; tests replace it.
	Now func() time.Time
	// Retention is how long finished messages keep their bodies;
	// crm.MailRetention by default.
	Retention time.Duration
	// Registry receives the worker's metrics (nil: not registered).
	Registry prometheus.Registerer
}

// metrics: attempts by outcome, and whether mail is configured at all
// (0 means messages pile up in the outbox: alert on it).
type metrics struct {
	attempts   *prometheus.CounterVec
	configured prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecrm_mail_attempts_total",
			Help: "SMTP attempts by outcome: sent, temporary (retried) or permanent (refused)."}, []string{"outcome"}),
		configured: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ecrm_mail_configured", Help: "1 when the SMTP server and from address are set; while 0, messages wait."}),
	}
	if reg != nil {
		reg.MustRegister(m.attempts, m.configured)
	}
	return m
}

// Worker drains the mail outbox: it polls, claims due messages with a
// lease, sends them and records each outcome. Several workers (one per
// `ecrm serve`) can share one database. While mail is not configured it
// claims nothing, so waiting messages use up no attempts.
type Worker struct {
	q       crm.MailQueue
	m       crm.Mailer
	opt     WorkerOptions
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	started atomic.Bool
	metrics *metrics
	warned  time.Time // when "not configured" was last logged
	pruned  time.Time // when bodies were last cleared
}

// NewWorker returns a worker over q sending with m; Start runs it.
func NewWorker(q crm.MailQueue, m crm.Mailer, opt WorkerOptions) *Worker {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Interval <= 0 {
		opt.Interval = 2 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 4
	}
	if opt.Lease <= 0 {
		opt.Lease = 3 * Timeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Retention <= 0 {
		opt.Retention = crm.MailRetention
	}
	return &Worker{q: q, m: m, opt: opt, metrics: newMetrics(opt.Registry), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// system is the actor of the worker's store calls.
func system() context.Context { return crm.WithActor(context.Background(), crm.SystemActor) }

// Start runs the worker in the background until Stop.
func (w *Worker) Start() {
	if w.started.Swap(true) {
		return
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(w.opt.Interval)
		defer t.Stop()
		ctx := system()
		for {
			// A full batch means more may be due: poll again at once.
			for w.RunOnce(ctx) == w.opt.Batch {
				select {
				case <-w.stop:
					return
				default:
				}
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			case <-w.wake:
			}
		}
	}()
}

// Wake makes the worker poll now rather than at the next tick.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stop asks the worker to finish the conversations in flight and waits
// for them, or for ctx. Messages it could not finish stay leased and go
// out after the lease from whichever server polls next.
func (w *Worker) Stop(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	if !w.started.Load() {
		return nil
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notConfiguredEvery spaces the reminder that messages are waiting.
const notConfiguredEvery = 10 * time.Minute

// RunOnce reads the settings, claims one batch of due messages, sends
// them concurrently and records the outcomes; it returns how many it
// claimed. Tests drive the outbox with it step by step.
func (w *Worker) RunOnce(ctx context.Context) int {
	w.prune(ctx)
	cfg, err := w.q.MailConfig(ctx)
	if err != nil {
		w.opt.Logger.Error("mail settings not read", "err", err)
		return 0
	}
	if !cfg.Configured {
		w.metrics.configured.Set(0)
		w.remind(ctx)
		return 0
	}
	w.metrics.configured.Set(1)
	jobs, err := w.q.ClaimMail(ctx, w.opt.Lease, w.opt.Batch)
	if err != nil {
		w.opt.Logger.Error("mail claim failed", "err", err)
		return 0
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.send(ctx, cfg, j)
		}()
	}
	wg.Wait()
	return len(jobs)
}

// remind logs, now and then, that messages wait for the settings.
func (w *Worker) remind(ctx context.Context) {
	now := w.opt.Now()
	if !w.warned.IsZero() && now.Sub(w.warned) < notConfiguredEvery {
		return
	}
	n, err := w.q.PendingMail(ctx)
	if err != nil || n == 0 {
		return
	}
	w.warned = now
	w.opt.Logger.Warn("mail is not configured: messages wait in the outbox (set the SMTP server at /admin/mail)", "pending", n)
}

// send makes one attempt and records it.
func (w *Worker) send(ctx context.Context, cfg *crm.MailConfig, j *crm.MailJob) {
	res := w.m.Send(ctx, cfg, j)
	// The log names the message and the outcome, never the body (it
	// holds signed links).
	log := w.opt.Logger.With("mail", j.ID, "kind", j.Message.Kind, "attempt", j.Attempt)
	if err := w.q.RecordMailResult(ctx, res); err != nil {
		log.Error("mail result not recorded", "err", err)
		return
	}
	switch {
	case res.Error == "":
		w.metrics.attempts.WithLabelValues("sent").Inc()
		log.Debug("mail sent")
	case res.Permanent:
		w.metrics.attempts.WithLabelValues("permanent").Inc()
		log.Warn("mail refused", "err", res.Error)
	default:
		w.metrics.attempts.WithLabelValues("temporary").Inc()
		log.Info("mail attempt failed", "err", res.Error)
	}
}

// pruneEvery spaces the clean-ups; every server runs them, and clearing
// nothing is cheap.
const pruneEvery = time.Hour

// prune clears the bodies of finished messages past the retention, at
// most once per pruneEvery.
func (w *Worker) prune(ctx context.Context) {
	now := w.opt.Now()
	if now.Sub(w.pruned) < pruneEvery {
		return
	}
	w.pruned = now
	n, err := w.q.ClearMailBodies(ctx, now.Add(-w.opt.Retention))
	switch {
	case err != nil:
		w.opt.Logger.Error("mail bodies not cleared", "err", err)
	case n > 0:
		w.opt.Logger.Info("mail bodies cleared after the retention", "messages", n)
	}
}
