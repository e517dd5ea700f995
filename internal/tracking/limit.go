package tracking

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter holds one token bucket per key (a client IP, a site key) in
// this process's memory; with several servers each enforces its own
// quota. Idle buckets are evicted so the map cannot grow without bound.
type limiter struct {
	mu        sync.Mutex
	m         map[string]*bucket
	r         rate.Limit
	burst     int
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const limiterIdle = 10 * time.Minute

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{m: map[string]*bucket{}, r: rate.Limit(perSecond), burst: burst}
}

// allow takes a token for key; when there is none it also says how long
// until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.r <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.m {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.m, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.m[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.r, l.burst)}
		l.m[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
