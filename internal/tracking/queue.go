package tracking

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// queue is the bounded in-memory buffer between the collect handler and
// the database. A request's events and counts are one item; writers take
// everything waiting, up to maxBatch events, and store it in one
// transaction — a group commit whose size grows with the load, so a busy
// endpoint costs few commits. When the handler answers depends on the
// durability (durability.go): once the item is in the spool on disk, or
// once its batch is committed. A request that does not fit is answered
// 503 at once.
type queue struct {
	mu     sync.Mutex
	items  []item
	n      int // events and counts queued or reserved
	queued int // events and counts queued
	cap    int
	closed bool
	wake   chan struct{}
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	sink     crm.TrackingSink
	spool    *spool // nil when durability is commit
	maxBatch int
	// linger is how long a writer waits for a fuller batch. With a spool
	// no request waits for the commit, and fewer, larger transactions
	// leave the CPU to the requests.
	linger time.Duration
	log    *slog.Logger
	m      *metrics
}

// item is one accepted request.
type item struct {
	seq    int64 // its spool record; 0 without a spool
	events []*crm.Event
	counts []crm.PageCountDelta
	// done, when set, is told the outcome of the item's commit (the
	// commit durability answers the request then).
	done chan error
}

func (it item) size() int { return len(it.events) + len(it.counts) }

func newQueue(sink crm.TrackingSink, sp *spool, capacity, maxBatch, writers int, log *slog.Logger, m *metrics) *queue {
	q := &queue{cap: capacity, maxBatch: maxBatch, sink: sink, spool: sp, log: log, m: m, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if sp != nil {
		q.linger = 20 * time.Millisecond
	}
	for range writers {
		q.wg.Add(1)
		go q.run()
	}
	return q
}

// reserve makes room for k events and counts; false when the queue is
// full or closing.
func (q *queue) reserve(k int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.n+k > q.cap {
		return false
	}
	q.n += k
	return true
}

// release gives back a reservation that will not be pushed.
func (q *queue) release(k int) {
	q.mu.Lock()
	q.n -= k
	q.mu.Unlock()
}

// push queues a reserved item. The spool pushes in record order, so a
// batch is always a run of consecutive records.
func (q *queue) push(it item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.queued += it.size()
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// offer reserves and pushes, all or nothing.
func (q *queue) offer(it item) bool {
	if !q.reserve(it.size()) {
		return false
	}
	q.push(it)
	return true
}

func (q *queue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// take removes the oldest items, up to maxBatch events and counts (at
// least one item); done reports that the queue is closed and empty.
func (q *queue) take() (its []item, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, q.closed
	}
	k, size := 0, 0
	for k < len(q.items) && (k == 0 || size+q.items[k].size() <= q.maxBatch) {
		size += q.items[k].size()
		k++
	}
	its = append([]item(nil), q.items[:k]...)
	// Shift rather than reslice, so the backing array does not grow forever.
	n := copy(q.items, q.items[k:])
	clear(q.items[n:])
	q.items = q.items[:n]
	q.n -= size
	q.queued -= size
	return its, false
}

func (q *queue) run() {
	defer q.wg.Done()
	ctx := crm.WithActor(context.Background(), crm.SystemActor)
	for {
		q.gather()
		its, done := q.take()
		if done {
			return
		}
		if len(its) == 0 {
			select {
			case <-q.wake:
			case <-q.stop:
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		q.write(ctx, its)
	}
}

// gather waits, up to linger, until half a batch is queued.
func (q *queue) gather() {
	if q.linger == 0 {
		return
	}
	deadline := time.Now().Add(q.linger)
	for {
		q.mu.Lock()
		n, closed := q.queued, q.closed
		q.mu.Unlock()
		wait := time.Until(deadline)
		if n == 0 || n >= q.maxBatch/2 || closed || wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-q.wake:
		case <-q.stop:
		case <-t.C:
		}
		t.Stop()
	}
}

// writeRetries are the waits before writing a failed batch again (the
// database restarting, a lock timeout, a failover): about a minute in
// all, during which the queue fills and further requests are refused
// rather than acknowledged. After the last the batch is dropped and
// counted: a batch the database never takes must not stop collection.
var writeRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second, 5 * time.Second,
	10 * time.Second, 20 * time.Second, 30 * time.Second}

func (q *queue) write(ctx context.Context, its []item) {
	var b crm.EventBatch
	for _, it := range its {
		b.Events = append(b.Events, it.events...)
		b.Counts = append(b.Counts, it.counts...)
	}
	if q.spool != nil {
		b.Spool = &crm.SpoolRange{Spool: q.spool.id, First: its[0].seq, Last: its[len(its)-1].seq}
	}
	err := q.writeBatch(ctx, b)
	for _, it := range its {
		if it.done != nil {
			it.done <- err
		}
	}
	if q.spool != nil {
		// Committed, or given up for good: either way no longer the
		// spool's to keep.
		q.spool.finished(b.Spool.First, b.Spool.Last)
	}
}

// writeBatch stores a batch, retrying; the last error when it gives up.
func (q *queue) writeBatch(ctx context.Context, b crm.EventBatch) error {
	n := len(b.Events) + len(b.Counts)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := q.sink.WriteEvents(ctx, b)
		q.m.batchSeconds.Observe(time.Since(start).Seconds())
		if err == nil {
			q.m.batchSize.Observe(float64(n))
			q.m.written.Add(float64(len(b.Events)))
			// Events are queued in arrival order, stamped on arrival:
			// the first one waited longest between arriving and here.
			if len(b.Events) > 0 {
				q.m.commitDelay.Observe(time.Since(b.Events[0].ReceivedAt).Seconds())
			}
			return nil
		}
		q.m.writeErrors.Inc()
		if attempt == len(writeRetries) {
			q.log.Error("tracking: dropping a batch the database refused", "events", len(b.Events), "counts", len(b.Counts), "err", err)
			q.m.dropped.WithLabelValues("write_failed").Add(float64(n))
			return err
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
