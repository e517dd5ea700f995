package web

import (
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/ratelimit"
)

// loginLimiter is two token buckets per request, one per client IP and one
// per second key (internal/ratelimit: per process, idle buckets evicted);
// the preference centre uses it keyed by IP and link. Sign-in uses
// loginFailures instead.
type loginLimiter struct {
	ip, email *ratelimit.Keyed
	now       func() time.Time
}

// Per IP: bursts of 20 then one every 3 s. Per key: 5 then one a minute.
const (
	keyEvery, keyBurst = time.Minute, 5
	limiterIdle        = ratelimit.Idle
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{ip: ratelimit.Every(ipEvery, ipBurst), email: ratelimit.Every(keyEvery, keyBurst), now: time.Now}
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

// loginFailures slows password guessing without letting anyone lock an
// account: it counts failed sign-ins only, per client IP and per
// (email, IP) pair. A per-email limit would let five wrong passwords from
// anywhere keep the real user out; keyed by the pair, others' failures
// never touch the user's own address, and a source that fails across many
// accounts runs out of its IP bucket. Guessing one account from many
// addresses is left to the password hash's cost and to NIST-style
// password rules (no common passwords).
type loginFailures struct {
	ip, pair *ratelimit.Keyed
	now      func() time.Time
}

// Per IP: 20 failures, then one every 3 s (an office behind one NAT still
// signs in). Per email and IP: 5, then one a minute.
const (
	ipEvery, ipBurst     = 3 * time.Second, 20
	pairEvery, pairBurst = time.Minute, 5
)

func newLoginFailures() *loginFailures {
	return &loginFailures{ip: ratelimit.Every(ipEvery, ipBurst), pair: ratelimit.Every(pairEvery, pairBurst), now: time.Now}
}

// begin reports whether a sign-in from ip for email may be tried, taking
// a token from both buckets; succeeded gives them back, so only failures
// cost. A refused attempt costs nothing and checks no password.
func (l *loginFailures) begin(ip, email string) (ok bool, succeeded func()) {
	now := l.now()
	email = strings.ToLower(strings.TrimSpace(email))
	okIP, backIP := l.ip.Hold(ip, now)
	if !okIP {
		return false, nil
	}
	okPair, backPair := l.pair.Hold(email+"\x00"+ip, now)
	if !okPair {
		backIP()
		return false, nil
	}
	return true, func() { backIP(); backPair() }
}
