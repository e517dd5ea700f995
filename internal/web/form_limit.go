package web

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// formLimiter bounds public form traffic against list bombing: one token
// bucket per client IP and one per form, in this process's memory like
// the login limiter (N servers allow N times the quota). Idle buckets are
// evicted so the maps cannot grow without bound. Page views have their
// own, looser per-IP budget so reading a form never uses up submitting.
type formLimiter struct {
	mu        sync.Mutex
	ip, form  map[string]*bucket
	view      map[string]*bucket
	lastSweep time.Time
	now       func() time.Time

	ipRate, formRate, viewRate    rate.Limit
	ipBurst, formBurst, viewBurst int
}

// Per IP: 5 submissions, then one every 20 s (a family or an office
// behind one NAT can still sign up). Per form: 60, then one a second,
// which outpaces any real sign-up rate but caps a flood. Views: 60 per
// IP, then one a second.
func newFormLimiter() *formLimiter {
	return &formLimiter{ip: map[string]*bucket{}, form: map[string]*bucket{}, view: map[string]*bucket{}, now: time.Now,
		ipRate: rate.Every(20 * time.Second), ipBurst: 5,
		formRate: rate.Every(time.Second), formBurst: 60,
		viewRate: rate.Every(time.Second), viewBurst: 60}
}

// allowSubmit takes a token from the IP's and the form's bucket. The
// form's token is only taken when the IP had one, so one noisy address
// cannot drain a form's budget for everyone else.
func (l *formLimiter) allowSubmit(ip string, formID int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.tick()
	if !take(l.ip, ip, l.ipRate, l.ipBurst, now) {
		return false
	}
	return take(l.form, strconv.FormatInt(formID, 10), l.formRate, l.formBurst, now)
}

// allowView reports whether a page view from ip is counted.
func (l *formLimiter) allowView(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return take(l.view, ip, l.viewRate, l.viewBurst, l.tick())
}

func (l *formLimiter) tick() time.Time {
	now := l.now()
	if now.Sub(l.lastSweep) > time.Minute {
		for _, m := range []map[string]*bucket{l.ip, l.form, l.view} {
			for k, b := range m {
				if now.Sub(b.seen) > limiterIdle {
					delete(m, k)
				}
			}
		}
		l.lastSweep = now
	}
	return now
}

func take(m map[string]*bucket, key string, r rate.Limit, burst int, now time.Time) bool {
	b, ok := m[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		m[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// size is the number of live buckets, for tests of the eviction.
func (l *formLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ip) + len(l.form) + len(l.view)
}
