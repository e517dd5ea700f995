// Package sign makes and checks the tokens behind links that act without a
// login: double opt-in confirmations, the preference centre, survey links.
// A token is "payload.mac": the payload (purpose-free subject and expiry)
// in base64url and an HMAC-SHA256 over the purpose and payload, so a token
// made for one purpose (a survey) never opens another (the preference
// centre), and no field of it can be changed without the key.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify. Callers show both as "this link is invalid or has
// expired" to visitors, but tests and logs tell them apart.
var (
	ErrInvalid = errors.New("sign: invalid token")
	ErrExpired = errors.New("sign: token expired")
)

// Signer holds the key. The key lives in the database (store.SigningKey),
// so every server of a cluster checks the others' links.
type Signer struct{ key []byte }

// New returns a signer; key should be at least 32 random bytes.
func New(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

// b64 decodes strictly: a token's last character carries unused bits,
// and without Strict four spellings of it decode to the same bytes, so one
// link would have four valid forms (a replay filter keyed on the token
// text would see four links).
var b64 = base64.RawURLEncoding.Strict()

// Token signs subject for purpose until exp. A zero exp never expires.
// The subject must not contain "|"; it is readable by whoever holds the
// token (it is signed, not encrypted), so put ids in it, not secrets.
func (s *Signer) Token(purpose, subject string, exp time.Time) string {
	var e int64
	if !exp.IsZero() {
		e = exp.Unix()
	}
	payload := b64.EncodeToString([]byte(subject + "|" + strconv.FormatInt(e, 36)))
	return payload + "." + b64.EncodeToString(s.mac(purpose, payload))
}

// Verify checks a token made for purpose and returns its subject.
func (s *Signer) Verify(purpose, token string, now time.Time) (string, error) {
	payload, mac64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return "", ErrInvalid
	}
	mac, err := b64.DecodeString(mac64)
	if err != nil || !hmac.Equal(mac, s.mac(purpose, payload)) {
		return "", ErrInvalid
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return "", ErrInvalid
	}
	subject, exp36, ok := strings.Cut(string(raw), "|")
	if !ok {
		return "", ErrInvalid
	}
	exp, err := strconv.ParseInt(exp36, 36, 64)
	if err != nil {
		return "", ErrInvalid
	}
	if exp != 0 && now.Unix() > exp {
		return subject, ErrExpired
	}
	return subject, nil
}

func (s *Signer) mac(purpose, payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(payload))
	return h.Sum(nil)
}
