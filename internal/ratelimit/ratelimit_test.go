package ratelimit

import (
	"testing"
	"time"
)

// TestKeyed: a burst per key, refills at the rate, says how long to wait,
// refused calls cost nothing, idle buckets go, and a zero rate is off.
func TestKeyed(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := Every(10*time.Second, 2)
	if !l.Allow("a", now) || !l.Allow("a", now) {
		t.Fatal("the burst was refused")
	}
	ok, wait := l.Reserve("a", now)
	if ok || wait != 10*time.Second {
		t.Fatalf("third call = %v, wait %v; want refused, 10s", ok, wait)
	}
	if ok, wait := l.Reserve("a", now.Add(5*time.Second)); ok || wait != 5*time.Second {
		t.Errorf("a refusal took a token: %v %v", ok, wait)
	}
	if !l.Allow("b", now) {
		t.Error("another key shares the bucket")
	}
	if !l.Allow("a", now.Add(10*time.Second)) {
		t.Error("no refill after the interval")
	}
	l.Allow("c", now.Add(Idle+2*time.Minute))
	if n := l.Len(); n != 1 {
		t.Errorf("%d buckets after the others went idle, want 1", n)
	}
	var off *Keyed
	if !off.Allow("x", now) || !New(0, 0).Allow("x", now) {
		t.Error("a switched-off limiter refused")
	}
}
