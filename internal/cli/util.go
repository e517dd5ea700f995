package cli

import (
	"crypto/rand"
	"encoding/base64"
)

// randomPassword returns 128 random bits, URL-safe.
func randomPassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
