package tracking

import (
	"context"
	"sync"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// withdrawnTTL is how long the endpoint trusts what it learnt about a
// visitor's consent. It bounds only how soon a browser is told: the store
// refuses a withdrawn visitor's events in the transaction that would write
// them, on every server, whatever this cache says.
const withdrawnTTL = time.Second

// maxWithdrawnEntries bounds the cache; past it, stale entries are swept.
const maxWithdrawnEntries = 100_000

// withdrawnCache remembers, per visitor, whether its person withdrew
// analytics consent (or was erased), for withdrawnTTL. An active browser
// sends a batch every few seconds, so most requests cost one indexed
// read; a visitor that sends several batches a second costs one.
type withdrawnCache struct {
	mu sync.Mutex
	m  map[string]withdrawnEntry
}

type withdrawnEntry struct {
	withdrawn bool
	until     time.Time
}

// visitorWithdrawn answers from the cache or asks the store. A failed
// lookup counts as not withdrawn: the writer's own check still holds.
func (c *Collector) visitorWithdrawn(ctx context.Context, visitor string, now time.Time) bool {
	wc := &c.withdrawn
	wc.mu.Lock()
	e, ok := wc.m[visitor]
	wc.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.withdrawn
	}
	w, err := c.sink.VisitorWithdrawn(crm.WithActor(ctx, crm.SystemActor), visitor)
	if err != nil {
		c.log.Warn("tracking: consent lookup failed", "err", err)
		return false
	}
	wc.mu.Lock()
	if wc.m == nil {
		wc.m = map[string]withdrawnEntry{}
	}
	if len(wc.m) >= maxWithdrawnEntries {
		for k, e := range wc.m {
			if !now.Before(e.until) {
				delete(wc.m, k)
			}
		}
		if len(wc.m) >= maxWithdrawnEntries {
			clear(wc.m)
		}
	}
	wc.m[visitor] = withdrawnEntry{w, now.Add(withdrawnTTL)}
	wc.mu.Unlock()
	return w
}
