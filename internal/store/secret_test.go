package store

import "testing"

// TestDummyHashCostsAsMuchAsARealOne: the hash checked for an unknown email
// is written rather than computed, so check it has the shape of a real one
// made with the same costs (the check then derives a key of the same
// length with the same costs) and that no password matches it.
func TestDummyHashCostsAsMuchAsARealOne(t *testing.T) {
	for _, p := range []PasswordParams{TestPasswordParams, {Memory: 128, Time: 2, Threads: 2}} {
		real, dummy := hashPassword(p, "pw"), dummyHash(p)
		rp, rsalt, rkey, ok := parseHash(real)
		if !ok {
			t.Fatalf("real hash %q does not parse", real)
		}
		dp, dsalt, dkey, ok := parseHash(dummy)
		if !ok {
			t.Fatalf("dummy hash %q does not parse", dummy)
		}
		if dp != p || rp != p || len(dsalt) != len(rsalt) || len(dkey) != len(rkey) {
			t.Errorf("dummy %+v salt %d key %d, real %+v salt %d key %d", dp, len(dsalt), len(dkey), rp, len(rsalt), len(rkey))
		}
		for _, pw := range []string{"", "pw", "not a password"} {
			if checkPassword(dummy, pw) {
				t.Errorf("password %q matches the dummy hash", pw)
			}
		}
	}
}
