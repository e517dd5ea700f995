// Package ratelimit is ecrm's one per-key rate limiter: a token bucket per
// key (a client IP, an email address, a form, a site key) in this
// process's memory, with idle buckets evicted so the map cannot grow
// without bound. Every public endpoint (login, collect, forms, surveys,
// the preference centre) uses it. With several servers each enforces its
// own quota, so N servers allow N times the rate: that still bounds abuse
// to a small multiple and keeps these paths free of database writes.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Idle is how long a bucket may go unused before it is dropped; a
// dropped bucket comes back full, which an idle key has earned anyway.
const Idle = 15 * time.Minute

// Keyed holds one bucket per key. The zero rate (or a nil *Keyed)
// allows everything, for limits switched off by configuration.
type Keyed struct {
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

// New returns a limiter allowing bursts of burst, refilled at r.
func New(r rate.Limit, burst int) *Keyed {
	return &Keyed{m: map[string]*bucket{}, r: r, burst: burst}
}

// Every is shorthand for New(rate.Every(d), burst).
func Every(d time.Duration, burst int) *Keyed { return New(rate.Every(d), burst) }

// Allow takes a token for key at now and reports whether there was one.
func (k *Keyed) Allow(key string, now time.Time) bool {
	ok, _ := k.Reserve(key, now)
	return ok
}

// Hold takes a token for key like Allow and, when there was one, returns
// a function that gives it back. Limits that count only failures use it:
// the token is taken before the attempt, so concurrent attempts cannot all
// slip past an almost empty bucket, and returned when the attempt
// succeeded.
func (k *Keyed) Hold(key string, now time.Time) (ok bool, giveBack func()) {
	if k == nil || k.r <= 0 {
		return true, func() {}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.bucket(key, now)
	res := b.lim.ReserveN(now, 1)
	if res.DelayFrom(now) > 0 {
		res.CancelAt(now)
		return false, func() {}
	}
	return true, func() { res.CancelAt(now) }
}

// Reserve is Allow that also says, when there is no token, how long until
// there is one (for a Retry-After header). A refused call takes nothing.
func (k *Keyed) Reserve(key string, now time.Time) (bool, time.Duration) {
	if k == nil || k.r <= 0 {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.bucket(key, now)
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bucket returns key's bucket, made full when new, after dropping idle
// ones once a minute. k.mu is held.
func (k *Keyed) bucket(key string, now time.Time) *bucket {
	if now.Sub(k.lastSweep) > time.Minute {
		for key, b := range k.m {
			if now.Sub(b.seen) > Idle {
				delete(k.m, key)
			}
		}
		k.lastSweep = now
	}
	b, ok := k.m[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(k.r, k.burst)}
		k.m[key] = b
	}
	b.seen = now
	return b
}

// Len is the number of live buckets, for tests of the eviction.
func (k *Keyed) Len() int {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}
