package web

import (
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/ratelimit"
)

// formLimiter bounds public form traffic against list bombing: one token
// bucket per client IP and one per form (internal/ratelimit: per process,
// idle buckets evicted). Page views have their own, looser per-IP budget
// so reading a form never uses up submitting.
type formLimiter struct {
	ip, form, view *ratelimit.Keyed
	now            func() time.Time
}

// Per IP: 5 submissions, then one every 20 s (a family or an office
// behind one NAT can still sign up). Per form: 60, then one a second,
// which outpaces any real sign-up rate but caps a flood. Views: 60 per
// IP, then one a second.
func newFormLimiter() *formLimiter {
	return &formLimiter{ip: ratelimit.Every(20*time.Second, 5), form: ratelimit.Every(time.Second, 60),
		view: ratelimit.Every(time.Second, 60), now: time.Now}
}

// allowSubmit takes a token from the IP's and the form's bucket. The
// form's token is only taken when the IP had one, so one noisy address
// cannot drain a form's budget for everyone else.
func (l *formLimiter) allowSubmit(ip string, formID int64) bool {
	now := l.now()
	return l.ip.Allow(ip, now) && l.form.Allow(strconv.FormatInt(formID, 10), now)
}

// allowView reports whether a page view from ip is counted.
func (l *formLimiter) allowView(ip string) bool { return l.view.Allow(ip, l.now()) }

// size is the number of live buckets, for tests of the eviction.
func (l *formLimiter) size() int { return l.ip.Len() + l.form.Len() + l.view.Len() }
