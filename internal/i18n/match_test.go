package i18n

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct{ header, want string }{
		{"fa-IR,fa;q=0.9,en;q=0.8", "fa"},
		{"ja", "ja"},
		{"ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"},
		{"de-DE", "en"},
		{"de-DE,de;q=0.9", "en"},
		{"de-DE,de;q=0.9,ja;q=0.5", "ja"},
		{"en-US,en;q=0.9,fa;q=0.8", "en"},
		{"en;q=0.5, fa;q=0.7", "fa"},
		{"fa;q=0.5,ja;q=0.5", "fa"}, // a tie goes to the first
		{"fa;q=0", "en"},            // explicitly not acceptable
		{"fa;q=0,ja;q=0.1", "ja"},
		{"FA-ir", "fa"},
		{" ja ; q=0.8 , de", "ja"},
		{"fa-AF;level=1;q=0.9", "fa"},
		{"fa;q=abc,ja;q=0.2", "ja"}, // malformed entry skipped
		{"fa;q=2", "en"},
		{"*", "en"},
		{"*;q=0.5,ja;q=0.1", "ja"},
		{"", "en"},
		{",,;", "en"},
	}
	for _, tt := range tests {
		if got := Match(tt.header); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
