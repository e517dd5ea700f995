package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Options configure a Worker.
type Options struct {
	Logger *slog.Logger
	// AllowPrivate turns the SSRF guard off, for self-hosted setups whose
	// webhooks must reach internal services (ECRM_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Interval between polls of the queue; one second by default.
	Interval time.Duration
	// Batch is how many deliveries one poll claims, and how many are sent
	// at once; 8 by default.
	Batch int
	// Lease is how long a claimed delivery is this worker's. It outlasts
	// an attempt's Timeout so a live worker is never overtaken.
	Lease time.Duration
	// Now is the clock of webhook-timestamp; tests replace it.
	Now func() time.Time
	// Client replaces the guarded client (tests).
	Client *http.Client
	// Retention is how long finished deliveries stay in the log;
	// crm.WebhookRetention by default.
	Retention time.Duration
}

// Worker drains the delivery queue: it polls, claims due deliveries with
// a lease, sends them concurrently and records each outcome. Several
// workers (one per `ecrm serve`) can share one database.
type Worker struct {
	q       crm.WebhookQueue
	opt     Options
	client  *http.Client
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	started atomic.Bool
	pruned  time.Time // when the log was last pruned
}

// NewWorker returns a worker over q; Start runs it.
func NewWorker(q crm.WebhookQueue, opt Options) *Worker {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 8
	}
	if opt.Lease <= 0 {
		opt.Lease = 4 * Timeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Retention <= 0 {
		opt.Retention = crm.WebhookRetention
	}
	w := &Worker{q: q, opt: opt, client: opt.Client, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if w.client == nil {
		w.client = NewClient(opt.AllowPrivate)
	}
	return w
}

// system is the actor of the worker's store calls.
func system() context.Context { return crm.WithActor(context.Background(), crm.SystemActor) }

// Start runs the worker in the background until Stop. Up to Batch
// deliveries are in flight at once, and a free slot is filled as soon as
// an attempt ends, so one endpoint timing out does not hold back the
// deliveries to all the others until its batch is done.
func (w *Worker) Start() {
	if w.started.Swap(true) {
		return
	}
	go func() {
		defer close(w.done)
		// In-flight requests finish even when Stop is called: their
		// context is not the stop signal, so an attempt is recorded
		// rather than abandoned half-sent.
		var inflight sync.WaitGroup
		defer inflight.Wait()
		slots := make(chan struct{}, w.opt.Batch)
		t := time.NewTicker(w.opt.Interval)
		defer t.Stop()
		ctx := system()
		for {
			w.prune(ctx)
			if free := cap(slots) - len(slots); free > 0 {
				jobs, err := w.q.ClaimWebhookJobs(ctx, w.opt.Lease, free)
				if err != nil {
					w.opt.Logger.Error("webhook claim failed", "err", err)
				}
				for _, j := range jobs {
					slots <- struct{}{}
					inflight.Add(1)
					go func() {
						defer inflight.Done()
						w.deliver(ctx, j)
						<-slots
						w.Wake()
					}()
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

// Stop asks the worker to finish the attempts in flight and waits for them, or
// for ctx. Deliveries it could not finish are leased and go out after the
// lease from whichever server polls next.
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

// RunOnce claims one batch of due deliveries, sends them concurrently and
// records the outcomes; it returns how many it claimed. Tests drive the
// queue with it step by step.
func (w *Worker) RunOnce(ctx context.Context) int {
	jobs, err := w.q.ClaimWebhookJobs(ctx, w.opt.Lease, w.opt.Batch)
	if err != nil {
		w.opt.Logger.Error("webhook claim failed", "err", err)
		return 0
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliver(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs)
}

// deliver makes one attempt and records it.
func (w *Worker) deliver(ctx context.Context, j *crm.WebhookJob) {
	res := Send(ctx, w.client, j, w.opt.Now())
	// The log names the delivery and the outcome, never the secret, the
	// payload or the URL (whose query string may hold a token).
	log := w.opt.Logger.With("delivery", j.DeliveryID, "endpoint", j.EndpointID, "attempt", j.Attempt, "status", res.ResponseCode)
	if err := w.q.RecordWebhookResult(ctx, res); err != nil {
		log.Error("webhook result not recorded", "err", err)
		return
	}
	if res.OK() {
		log.Debug("webhook delivered", "ms", res.Duration.Milliseconds())
	} else {
		log.Info("webhook attempt failed", "err", res.Error)
	}
}

// pruneEvery spaces the delivery log's clean-ups; every server prunes,
// and a delete of nothing is cheap.
const pruneEvery = time.Hour

// prune deletes finished deliveries older than the retention, at most
// once per pruneEvery.
func (w *Worker) prune(ctx context.Context) {
	now := w.opt.Now()
	if now.Sub(w.pruned) < pruneEvery {
		return
	}
	w.pruned = now
	n, err := w.q.PruneWebhookDeliveries(ctx, now.Add(-w.opt.Retention))
	switch {
	case err != nil:
		w.opt.Logger.Error("webhook log prune failed", "err", err)
	case n > 0:
		w.opt.Logger.Info("webhook log pruned", "deliveries", n)
	}
}
