package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id costs. The defaults follow RFC 9106's second
// recommendation scaled for a 2-core server (19 MiB, t=2, as OWASP lists);
// tests use cheaper ones.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams are used in production.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// TestPasswordParams keep test suites fast.
var TestPasswordParams = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func hashPassword(p PasswordParams, password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func checkPassword(hash, password string) bool {
	p, salt, want, ok := parseHash(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// parseHash reads a hash written by hashPassword.
func parseHash(hash string) (p PasswordParams, salt, key []byte, ok bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || p.Memory > 1<<20 || p.Time > 10 || p.Threads == 0 {
		return p, nil, nil, false
	}
	return p, salt, key, true
}

// dummyHash is checked when an email is unknown, so a failed login takes
// as long whether or not the account exists: it has the costs p of a hash
// made now and a key of zeros, which no password derives to. It is
// written, not computed: hashing one at package start cost every process
// importing the store a full argon2 run (seconds under the race detector).
func dummyHash(p PasswordParams) string {
	zeros := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, zeros(make([]byte, 16)), zeros(make([]byte, 32)))
}

// newToken returns a random URL-safe secret of n bytes from crypto/rand.
func newToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash is how sessions and API keys are looked up: the database never
// holds a usable secret. The secrets are 256-bit random, so a plain SHA-256
// suffices (no password-style stretching needed).
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ph returns the placeholder for argument n.
func ph(n int) string { return fmt.Sprintf("$%d", n) }
