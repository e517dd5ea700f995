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

// TestOneSpellingPerToken: the last base64 character of the MAC and of
// the payload carries bits the bytes do not use; only the spelling with
// those bits zero (the one Token writes) is accepted, so a link has one
// valid form, not four.
func TestOneSpellingPerToken(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	now := time.Unix(1_800_000_000, 0)
	s := New([]byte("0123456789abcdef0123456789abcdef"))
	tested := 0
	for _, subject := range []string{"42:7", "1", "contact:123456"} {
		tok := s.Token("optin", subject, time.Time{})
		payload, mac, _ := strings.Cut(tok, ".")
		respell := func(part string) []string {
			last := strings.IndexByte(alphabet, part[len(part)-1])
			unused := 0
			switch (len(part) * 6) % 8 { // bits the final character adds beyond whole bytes
			case 2:
				unused = 3
			case 4:
				unused = 15
			}
			var out []string
			for k := 0; k <= unused; k++ {
				if c := last&^unused | k; c != last {
					out = append(out, part[:len(part)-1]+string(alphabet[c]))
				}
			}
			return out
		}
		for _, m := range respell(mac) {
			tested++
			if _, err := s.Verify("optin", payload+"."+m, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("MAC spelled %q accepted (token %q)", m, tok)
			}
		}
		for _, p := range respell(payload) {
			// A respelled payload needs its own MAC to get past the HMAC
			// check; only strict decoding refuses it then.
			tested++
			forged := p + "." + b64.EncodeToString(s.mac("optin", p))
			if _, err := s.Verify("optin", forged, now); !errors.Is(err, ErrInvalid) {
				t.Errorf("payload spelled %q accepted", p)
			}
		}
	}
	if tested == 0 {
		t.Fatal("no alternative spellings generated")
	}
}
