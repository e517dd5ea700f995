package sign

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTripAndRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := New([]byte("0123456789abcdef0123456789abcdef"))
	tok := s.Token("optin", "42:7", now.Add(time.Hour))
	if got, err := s.Verify("optin", tok, now); err != nil || got != "42:7" {
		t.Fatalf("Verify = %q, %v", got, err)
	}
	if _, err := s.Verify("prefs", tok, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("other purpose: %v, want ErrInvalid", err)
	}
	if _, err := s.Verify("optin", tok, now.Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("after expiry: %v, want ErrExpired", err)
	}
	other := New([]byte("another key, another key, another"))
	if _, err := other.Verify("optin", tok, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("other key: %v, want ErrInvalid", err)
	}
	// A forged payload (another subject) with the old MAC.
	_, mac, _ := strings.Cut(tok, ".")
	forged := b64.EncodeToString([]byte("43:7|zzzzzz")) + "." + mac
	if _, err := s.Verify("optin", forged, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("forged: %v, want ErrInvalid", err)
	}
	for _, bad := range []string{"", ".", "abc", "a.b", strings.Repeat("a", 2000) + ".b"} {
		if _, err := s.Verify("optin", bad, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := s.Verify("optin", s.Token("optin", "x", time.Time{}), now.Add(100*365*24*time.Hour)); err != nil {
		t.Errorf("no expiry: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	s := New([]byte("0123456789abcdef0123456789abcdef"))
	f.Add(s.Token("p", "1", time.Unix(1, 0)))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, tok string) {
		s.Verify("p", tok, time.Unix(0, 0))
	})
}
