// Package jobs runs the scheduled work every server shares (score fits,
// segment refreshes, recommendation builds): each job is claimed through a
// lease in the database (store.ClaimJob), so of several `ecrm serve`
// processes exactly one runs it at a time, and a server that dies mid-run
// hands the job on when its lease runs out.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// Job is one scheduled task.
type Job struct {
	Name string
	// Every is the time from the end of one run to the next.
	Every time.Duration
	// Lease is how long a claim lasts; it is renewed every third of it
	// while Run works, so only a dead server loses it.
	Lease time.Duration
	// Run does the work as the system actor. It should stop when ctx ends
	// (shutdown, or the lease was lost).
	Run func(ctx context.Context) error
}

// Options tune a Runner.
type Options struct {
	Logger *slog.Logger
	// Tick is how often due jobs are checked (default 15 s); an on-demand
	// request (store.RequestJob) waits at most this long.
	Tick time.Duration
}

// Runner checks registered jobs and runs the due ones it wins.
type Runner struct {
	db     *store.DB
	holder string
	opt    Options
	mu     sync.Mutex
	jobs   []Job
	stop   context.CancelFunc
	done   chan struct{}
}

// New makes a runner whose holder name is unique to this process.
func New(db *store.DB, opt Options) *Runner {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Tick <= 0 {
		opt.Tick = 15 * time.Second
	}
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &Runner{db: db, opt: opt, holder: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))}
}

// Holder names this runner in the jobs table.
func (r *Runner) Holder() string { return r.holder }

// Add registers a job; call before Start.
func (r *Runner) Add(j Job) {
	if j.Lease <= 0 {
		j.Lease = 2 * time.Minute
	}
	r.mu.Lock()
	r.jobs = append(r.jobs, j)
	r.mu.Unlock()
}

// RunDue runs, one after another, every registered job that is due and
// that this runner wins. It returns the names of the jobs it ran.
func (r *Runner) RunDue(ctx context.Context) []string {
	r.mu.Lock()
	list := append([]Job(nil), r.jobs...)
	r.mu.Unlock()
	var ran []string
	for _, j := range list {
		if ctx.Err() != nil {
			break
		}
		won, err := r.db.ClaimJob(ctx, j.Name, r.holder, j.Lease)
		if err != nil {
			r.opt.Logger.Warn("job claim failed", "job", j.Name, "err", err)
			continue
		}
		if !won {
			continue
		}
		ran = append(ran, j.Name)
		r.run(ctx, j)
	}
	return ran
}

func (r *Runner) run(parent context.Context, j Job) {
	ctx, cancel := context.WithCancel(crm.WithActor(parent, crm.SystemActor))
	defer cancel()
	// Renew the lease while the job works; losing it cancels the run.
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(j.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ok, err := r.db.ExtendJob(ctx, j.Name, r.holder, j.Lease)
				if err == nil && !ok {
					r.opt.Logger.Warn("job lease lost", "job", j.Name)
					cancel()
					return
				}
			}
		}
	}()
	start := time.Now()
	err := safeRun(ctx, j.Run)
	cancel()
	<-renewed
	msg := ""
	if err != nil {
		msg = err.Error()
		r.opt.Logger.Warn("job failed", "job", j.Name, "err", err, "took", time.Since(start))
	} else {
		r.opt.Logger.Info("job done", "job", j.Name, "took", time.Since(start).Round(time.Millisecond))
	}
	// The finish must be written even when the run was cancelled.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
	defer fcancel()
	if err := r.db.FinishJob(fctx, j.Name, r.holder, r.db.Now().Add(j.Every), msg); err != nil {
		r.opt.Logger.Warn("job finish failed", "job", j.Name, "err", err)
	}
}

// safeRun turns a panicking job into an error, so one bad job cannot take
// the server down or keep its lease.
func safeRun(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx)
}

// Start checks for due jobs every tick until Stop.
func (r *Runner) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.opt.Tick)
		defer t.Stop()
		for {
			r.RunDue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop cancels a running job and waits for the loop to end (or ctx).
func (r *Runner) Stop(ctx context.Context) error {
	if r.stop == nil {
		return nil
	}
	r.stop()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
