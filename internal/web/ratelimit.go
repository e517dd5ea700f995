package web

import (
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/ratelimit"
)

// loginLimiter slows password guessing: one token bucket per client IP and
// one per email address (internal/ratelimit: per process, idle buckets
// evicted). The preference centre uses one too, keyed by IP and link.
type loginLimiter struct {
	ip, email *ratelimit.Keyed
	now       func() time.Time
}

// Per IP: bursts of 20 then one try every 3 s (an office behind one NAT
// still signs in). Per email: 5 then one a minute.
const (
	ipEvery, ipBurst       = 3 * time.Second, 20
	emailEvery, emailBurst = time.Minute, 5
	limiterIdle            = ratelimit.Idle
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{ip: ratelimit.Every(ipEvery, ipBurst), email: ratelimit.Every(emailEvery, emailBurst), now: time.Now}
}

// allow takes one token from both buckets and reports whether both had
// one; both are taken either way, so guessing many passwords for one
// email from many IPs, or many emails from one IP, both run dry.
func (l *loginLimiter) allow(ip, email string) bool {
	now := l.now()
	okIP := l.ip.Allow(ip, now)
	okEmail := l.email.Allow(strings.ToLower(strings.TrimSpace(email)), now)
	return okIP && okEmail
}

// size is the number of live buckets, for tests of the eviction.
func (l *loginLimiter) size() int { return l.ip.Len() + l.email.Len() }
