package tracking

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// queue is the bounded in-memory buffer between the collect handler and
// the database. The handler answers 204 as soon as its events are in the
// queue (or 503 when it is full); writers take everything waiting, up to
// maxBatch events, and store it in one transaction — a group commit whose
// size grows with the load, so a busy endpoint costs few commits. Events
// acknowledged but not yet committed are lost if the process dies: that
// window is the time a batch waits plus the time it takes to write, and is
// measured by ecrm_collect_commit_delay_seconds.
type queue struct {
	mu     sync.Mutex
	events []*crm.Event
	counts []crm.PageCountDelta
	n      int
	cap    int
	closed bool
	wake   chan struct{}
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	sink     crm.TrackingSink
	maxBatch int
	log      *slog.Logger
	m        *metrics
}

func newQueue(sink crm.TrackingSink, capacity, maxBatch, writers int, log *slog.Logger, m *metrics) *queue {
	q := &queue{cap: capacity, maxBatch: maxBatch, sink: sink, log: log, m: m, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	for range writers {
		q.wg.Add(1)
		go q.run()
	}
	return q
}

// offer adds a request's events and counts, all or nothing; false when
// the queue is full or closing.
func (q *queue) offer(events []*crm.Event, counts []crm.PageCountDelta) bool {
	k := len(events) + len(counts)
	q.mu.Lock()
	if q.closed || q.n+k > q.cap {
		q.mu.Unlock()
		return false
	}
	q.events = append(q.events, events...)
	q.counts = append(q.counts, counts...)
	q.n += k
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *queue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// take removes up to maxBatch items; done reports that the queue is
// closed and empty.
func (q *queue) take() (b crm.EventBatch, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return b, q.closed
	}
	ne := min(len(q.events), q.maxBatch)
	nc := min(len(q.counts), q.maxBatch-ne)
	b.Events = append([]*crm.Event(nil), q.events[:ne]...)
	b.Counts = append([]crm.PageCountDelta(nil), q.counts[:nc]...)
	// Shift rather than reslice, so the backing arrays do not grow forever.
	q.events = append(q.events[:0], q.events[ne:]...)
	q.counts = append(q.counts[:0], q.counts[nc:]...)
	q.n -= ne + nc
	return b, false
}

func (q *queue) run() {
	defer q.wg.Done()
	ctx := crm.WithActor(context.Background(), crm.SystemActor)
	for {
		b, done := q.take()
		if done {
			return
		}
		if len(b.Events)+len(b.Counts) == 0 {
			select {
			case <-q.wake:
			case <-q.stop:
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		q.write(ctx, b)
	}
}

// writeRetries are the waits before writing a failed batch again (the
// database restarting, a lock timeout); after the last the batch is
// dropped and counted.
var writeRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

func (q *queue) write(ctx context.Context, b crm.EventBatch) {
	n := len(b.Events) + len(b.Counts)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := q.sink.WriteEvents(ctx, b)
		q.m.batchSeconds.Observe(time.Since(start).Seconds())
		if err == nil {
			q.m.batchSize.Observe(float64(n))
			q.m.written.Add(float64(len(b.Events)))
			// Events are queued in arrival order, stamped on arrival:
			// the first one waited longest between its 204 and here.
			if len(b.Events) > 0 {
				q.m.commitDelay.Observe(time.Since(b.Events[0].ReceivedAt).Seconds())
			}
			return
		}
		q.m.writeErrors.Inc()
		if attempt == len(writeRetries) {
			q.log.Error("tracking: dropping a batch the database refused", "events", len(b.Events), "counts", len(b.Counts), "err", err)
			q.m.dropped.WithLabelValues("write_failed").Add(float64(n))
			return
		}
		q.log.Warn("tracking: writing a batch failed; retrying", "err", err, "attempt", attempt+1)
		time.Sleep(writeRetries[attempt])
	}
}

// close refuses new items, lets the writers drain what is queued and
// waits for them (or for ctx).
func (q *queue) close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.once.Do(func() { close(q.stop) })
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
