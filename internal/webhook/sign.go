// Package webhook sends ecrm's outbound webhooks: it signs them per the
// Standard Webhooks specification (https://www.standardwebhooks.com),
// calls endpoints through a client that refuses internal addresses at
// dial time, and runs the worker that drains the store's delivery queue.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

const secretPrefix = "whsec_"

// decodeSecret returns the HMAC key of a whsec_ secret: the base64 after
// the prefix, decoded (the prefix is optional, as in the reference
// libraries).
func decodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook: malformed signing secret")
	}
	return key, nil
}

// Sign returns the webhook-signature value for a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, separated
// by spaces (several while a rotated-out secret is still honoured).
func Sign(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	var sigs []string
	for _, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)))
	}
	if len(sigs) == 0 {
		return "", errors.New("webhook: no signing secret")
	}
	return strings.Join(sigs, " "), nil
}

func mac(key []byte, msgID string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Tolerance is how far a webhook-timestamp may be from now in Verify.
const Tolerance = 5 * time.Minute

// Verify checks a received webhook as a receiver would: one v1
// signature must match under secret and the timestamp must be within
// Tolerance of now. ecrm only sends; Verify exists so the tests (and
// anyone reading them) check the signature the way receivers do.
func Verify(secret, msgID, timestamp, signature string, body []byte, now time.Time) error {
	key, err := decodeSecret(secret)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return errors.New("webhook: timestamp outside tolerance")
	}
	want := mac(key, msgID, ts, body)
	for _, s := range strings.Fields(signature) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("webhook: no matching signature")
}
