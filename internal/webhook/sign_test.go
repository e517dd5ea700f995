package webhook

import (
	"strings"
	"testing"
	"time"
)

// The test vector published with the Standard Webhooks reference
// libraries (libraries/go/webhook_test.go, TestWebhookSign).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardWebhooksVector(t *testing.T) {
	got, err := Sign([]string{vectorSecret}, vectorMsgID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSignature {
		t.Errorf("Sign = %q, want %q", got, vectorSignature)
	}
	// The prefix is optional in the reference libraries.
	bare, _ := Sign([]string{strings.TrimPrefix(vectorSecret, "whsec_")}, vectorMsgID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	if bare != vectorSignature {
		t.Errorf("Sign without prefix = %q, want %q", bare, vectorSignature)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	ts := "1614265330"
	body := []byte(vectorPayload)
	other := "whsec_" + strings.Repeat("A", 32)
	two, err := Sign([]string{other, vectorSecret}, vectorMsgID, at, body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(two, " ") || !strings.HasSuffix(two, vectorSignature) {
		t.Errorf("two secrets sign as %q, want two space-separated signatures", two)
	}
	cases := []struct {
		name, secret, id, ts, sig, body string
		now                             time.Time
		ok                              bool
	}{
		{"valid", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, at, true},
		{"one of several signatures", vectorSecret, vectorMsgID, ts, two, vectorPayload, at, true},
		{"other secret", other, vectorMsgID, ts, vectorSignature, vectorPayload, at, false},
		{"body changed", vectorSecret, vectorMsgID, ts, vectorSignature, `{"test": 2432232315}`, at, false},
		{"id changed", vectorSecret, "msg_other", ts, vectorSignature, vectorPayload, at, false},
		{"too old", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, at.Add(Tolerance + time.Second), false},
		{"from the future", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, at.Add(-Tolerance - time.Second), false},
		{"unknown version", vectorSecret, vectorMsgID, ts, "v2," + strings.TrimPrefix(vectorSignature, "v1,"), vectorPayload, at, false},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.id, c.ts, c.sig, []byte(c.body), c.now)
		if (err == nil) != c.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	if _, err := Sign([]string{"whsec_not base64!"}, "m", at, body); err == nil {
		t.Error("a malformed secret signed")
	}
	if _, err := Sign(nil, "m", at, body); err == nil {
		t.Error("no secret signed")
	}
}
