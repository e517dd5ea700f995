package csvx

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNeutralize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "Sara Ahmadi", "Sara Ahmadi"},
		{"equals", "=1+1", "'=1+1"},
		{"plus", "+98 912 000 0000", "'+98 912 000 0000"},
		{"minus", "-cmd", "'-cmd"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"DDE payload", `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{"negative number", "-12.5", "'-12.5"},
		{"positive number", "12.5", "12.5"},
		{"tab first", "\tabc", "'\tabc"},
		{"CR first", "\rabc", "'\rabc"},
		{"tab alone", "\t", "'\t"},
		{"after spaces", "   =1+1", "'   =1+1"},
		{"after tab", "\t=1", "'\t=1"},
		{"after NUL", "\x00=1", "'\x00=1"},
		{"after LF", "\n+1", "'\n+1"},
		{"after other control", "\x1f\x7f@x", "'\x1f\x7f@x"},
		{"after no-break space", "\u00a0=1", "'\u00a0=1"},
		{"after ideographic space", "\u3000=1", "'\u3000=1"},
		{"after right-to-left mark", "\u200f=1", "'\u200f=1"},
		{"after zero-width space", "\u200b-1", "'\u200b-1"},
		{"after BOM", "\ufeff=1", "'\ufeff=1"},
		{"after invalid byte", "\xff=1", "'\xff=1"},
		{"after replacement character", "\ufffd=1", "'\ufffd=1"},
		{"spaces only", "   ", "   "},
		{"LF then text", "\nabc", "\nabc"},
		{"formula char later", "a=1", "a=1"},
		{"email", "sara@example.com", "sara@example.com"},
		{"hyphenated later", "Jean-Luc", "Jean-Luc"},
		{"already quoted", "'=1", "'=1"},
		{"persian", "سارا احمدی", "سارا احمدی"},
		{"persian digits negative sign later", "۱۲-۳", "۱۲-۳"},
		{"japanese", "山田 太郎", "山田 太郎"},
		{"full-width equals is not a formula", "＝1", "＝1"},
		{"invalid byte then text", "\xffabc", "\xffabc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Neutralize(tt.in); got != tt.want {
				t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUnneutralize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"'+98 912", "+98 912"},
		{"'-12.5", "-12.5"},
		{"'=1", "=1"},
		{"'\tabc", "\tabc"},
		{"'90s", "'90s"},
		{"'", "'"},
		{"plain", "plain"},
		{"''=1", "''=1"},
	}
	for _, tt := range tests {
		if got := Unneutralize(tt.in); got != tt.want {
			t.Errorf("Unneutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// stripLeading removes what a spreadsheet or a reader may ignore before a
// formula, written independently of the code under test.
func stripLeading(s string) string {
	return strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
	})
}

func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{"", "=1+1", " -2", "\t", "\r=", "abc", "'=x", "\u200f@a", "\xff+", "\ufffd=", "سارا", "山田"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralize(s)
		if rest := stripLeading(got); rest != "" && strings.ContainsRune("=+-@", rune(rest[0])) {
			t.Fatalf("Neutralize(%q) = %q: starts with a formula character after %q", s, got, got[:len(got)-len(rest)])
		}
		if got != s && got != "'"+s {
			t.Fatalf("Neutralize(%q) = %q: changed other than by a leading quote", s, got)
		}
		rest := stripLeading(s)
		dangerous := strings.HasPrefix(s, "\t") || strings.HasPrefix(s, "\r") ||
			(rest != "" && strings.ContainsRune("=+-@", rune(rest[0])))
		if !dangerous && got != s {
			t.Fatalf("Neutralize(%q) = %q: safe value changed", s, got)
		}
		if dangerous && got == s {
			t.Fatalf("Neutralize(%q) left a dangerous value unchanged", s)
		}
		if Neutralize(got) != got {
			t.Fatalf("Neutralize is not idempotent on %q", s)
		}
		if !strings.HasPrefix(s, "'") && Unneutralize(got) != s {
			t.Fatalf("Unneutralize(Neutralize(%q)) = %q", s, Unneutralize(got))
		}
	})
}
