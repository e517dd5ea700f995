package web

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter slows password guessing: one token bucket per client IP and
// one per email address. The buckets live in this process's memory, so with
// several console processes each enforces its own limit; that still bounds
// guessing to a small multiple, and keeps logins free of database writes.
// Idle buckets are evicted so the map cannot grow without bound.
type loginLimiter struct {
	mu        sync.Mutex
	ip, email map[string]*bucket
	lastSweep time.Time
	now       func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// Per IP: bursts of 20 then one try every 3 s (an office behind one NAT
// still signs in). Per email: 5 then one a minute.
var (
	ipRate, ipBurst       = rate.Every(3 * time.Second), 20
	emailRate, emailBurst = rate.Every(time.Minute), 5
	limiterIdle           = 15 * time.Minute
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{ip: map[string]*bucket{}, email: map[string]*bucket{}, now: time.Now}
}

// allow takes one token from both buckets and reports whether both had one.
func (l *loginLimiter) allow(ip, email string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	okIP := l.take(l.ip, ip, ipRate, ipBurst, now)
	okEmail := l.take(l.email, strings.ToLower(strings.TrimSpace(email)), emailRate, emailBurst, now)
	return okIP && okEmail
}

func (l *loginLimiter) take(m map[string]*bucket, key string, r rate.Limit, burst int, now time.Time) bool {
	b, ok := m[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		m[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

func (l *loginLimiter) sweep(now time.Time) {
	for _, m := range []map[string]*bucket{l.ip, l.email} {
		for k, b := range m {
			if now.Sub(b.seen) > limiterIdle {
				delete(m, k)
			}
		}
	}
	l.lastSweep = now
}

// size is the number of live buckets, for tests of the eviction.
func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ip) + len(l.email)
}
