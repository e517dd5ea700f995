package tracking

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Durability is what a 204 from /t/collect promises.
type Durability string

const (
	// DurabilitySpool: the request's events are in the server's spool
	// file, fsync'd; they reach the database within about a second and,
	// after a crash, when the server starts again. Accepting costs an
	// fsync shared by all the requests of the moment.
	DurabilitySpool Durability = "spool"
	// DurabilityCommit: the events are committed to the database. Nothing
	// is kept on the server's disk (for servers on ephemeral disks), but
	// a request waits for its batch's commit.
	DurabilityCommit Durability = "commit"
)

// ParseDurability reads a configured durability; "" is the default.
func ParseDurability(s string) (Durability, error) {
	switch d := Durability(s); d {
	case "", DurabilitySpool, DurabilityCommit:
		return d, nil
	}
	return "", crm.Errorf(crm.EINVALID, "collect durability must be spool or commit, not %q", s)
}

// busy is the answer to a request that is not accepted: nothing of it is
// kept, and the browser may send it again.
func busy() error {
	return &httpError{status: http.StatusServiceUnavailable, msg: "busy: events not accepted, send them again later", retryAfter: 2 * time.Second}
}

// accept makes a request's events and counts as durable as configured,
// or refuses them whole.
func (c *Collector) accept(ctx context.Context, events []*crm.Event, counts []crm.PageCountDelta) error {
	it := item{events: events, counts: counts}
	k := it.size()
	if c.spool == nil {
		it.done = make(chan error, 1)
		if !c.q.offer(it) {
			c.m.dropped.WithLabelValues("queue_full").Add(float64(k))
			return busy()
		}
		select {
		case err := <-it.done:
			if err != nil {
				// Counted as write_failed by the writer.
				return busy()
			}
			return nil
		case <-ctx.Done():
			// The sender left; its events are still written.
			return busy()
		}
	}
	payload := encodePayload(nil, events, counts)
	if !c.q.reserve(k) {
		c.m.dropped.WithLabelValues("queue_full").Add(float64(k))
		return busy()
	}
	if err := c.spool.append(it, payload); err != nil {
		c.q.release(k)
		c.m.dropped.WithLabelValues("spool_failed").Add(float64(k))
		return busy()
	}
	return nil
}

// replay writes the records an earlier process spooled but did not
// commit, in batches whose ranges the database records like any other,
// then deletes the old segments. It runs before the endpoint accepts
// anything, so the server starts only once nothing acknowledged is
// missing.
func (c *Collector) replay(ctx context.Context, pending []record, old []string, maxBatch int) error {
	ctx = crm.WithActor(ctx, crm.SystemActor)
	var b crm.EventBatch
	var first, last int64
	var events int
	flush := func() error {
		if len(b.Events)+len(b.Counts) == 0 {
			return nil
		}
		b.Spool = &crm.SpoolRange{Spool: c.spool.id, First: first, Last: last}
		var err error
		for attempt := 0; attempt <= len(writeRetries); attempt++ {
			if err = c.sink.WriteEvents(ctx, b); err == nil {
				break
			}
			if attempt < len(writeRetries) {
				time.Sleep(writeRetries[attempt])
			}
		}
		if err != nil {
			return fmt.Errorf("collect spool: replay records %d–%d: %w", first, last, err)
		}
		c.m.replayed.Add(float64(len(b.Events)))
		events += len(b.Events)
		b = crm.EventBatch{}
		return nil
	}
	for _, r := range pending {
		evs, cs, err := decodePayload(r.payload)
		if err != nil {
			// The CRC held, so this is a format this version cannot read.
			return fmt.Errorf("collect spool: record %d: %w", r.seq, err)
		}
		if len(b.Events)+len(b.Counts) == 0 {
			first = r.seq
		}
		last = r.seq
		b.Events = append(b.Events, evs...)
		b.Counts = append(b.Counts, cs...)
		if len(b.Events)+len(b.Counts) >= maxBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if len(pending) > 0 {
		c.log.Info("collect spool: replayed what the last run acknowledged but had not stored", "records", len(pending), "events", events, "dir", c.spool.dir)
	}
	var gone []segment
	for _, p := range old {
		gone = append(gone, segment{path: p})
	}
	if len(gone) > 0 {
		c.spool.forget(gone, c.spool.next)
	}
	return nil
}
