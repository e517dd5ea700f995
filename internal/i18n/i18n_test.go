package i18n

import (
	"slices"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

func TestGet(t *testing.T) {
	tests := []struct{ in, wantLang, wantDir string }{
		{"en", "en", "ltr"},
		{"fa", "fa", "rtl"},
		{"ja", "ja", "ltr"},
		{"fa-IR", "fa", "rtl"},
		{"JA_jp", "ja", "ltr"},
		{"de", "en", "ltr"},
		{"", "en", "ltr"},
		{"*", "en", "ltr"},
	}
	for _, tt := range tests {
		l := Get(tt.in)
		if got := l.Lang(); got != tt.wantLang {
			t.Errorf("Get(%q).Lang() = %q, want %q", tt.in, got, tt.wantLang)
		}
		if got := l.Dir(); got != tt.wantDir {
			t.Errorf("Get(%q).Dir() = %q, want %q", tt.in, got, tt.wantDir)
		}
	}
}

type stringer struct{}

func (stringer) String() string { return "str" }

func TestT(t *testing.T) {
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"en", "stage.lead", nil, "Lead"},
		{"fa", "stage.lead", nil, "سرنخ"},
		{"ja", "stage.lead", nil, "リード"},
		{"en", "error.too_long", []any{1000}, "Use at most 1,000 characters."},
		{"fa", "error.too_long", []any{1000}, "حداکثر ۱٬۰۰۰ نویسه مجاز است."},
		{"ja", "error.too_long", []any{int64(1000)}, "1,000文字以内で入力してください。"},
		// User data is inserted as typed, digits included.
		{"fa", "error.invalid_tag", []any{"vip-2024"}, "برچسب «vip-2024» بیش از حد طولانی است یا ویرگول دارد."},
		{"ja", "error.invalid_option", []any{"A,B"}, "選択肢「A,B」が空、重複、長すぎる、またはカンマを含んでいます。"},
		// A key missing everywhere comes back as itself, args ignored.
		{"fa", "no.such.key", []any{1}, "no.such.key"},
		{"en", "", nil, ""},
	}
	for _, tt := range tests {
		if got := Get(tt.lang).T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
		}
	}
}

func TestTPlaceholders(t *testing.T) {
	ls := newLocales(map[string]map[string]string{
		"en": {
			"two":     "{1} before {0}, {0} again",
			"odd":     "{} {x} {+1} {-1} {9} {0",
			"en.only": "English only {0}",
			"kinds":   "{0}|{1}|{2}|{3}|{4}|{5}",
		},
		"fa": {"two": "{1} پیش از {0}"},
	})
	en, fa := ls["en"], ls["fa"]
	tests := []struct {
		l    *Locale
		key  string
		args []any
		want string
	}{
		{en, "two", []any{"a", "b"}, "b before a, a again"},
		// Malformed or unmatched placeholders stay visible.
		{en, "odd", []any{"a"}, "{} {x} {+1} {-1} {9} {0"},
		{en, "two", []any{"a"}, "{1} before a, a again"},
		{en, "two", nil, "{1} before {0}, {0} again"},
		// Missing in Persian: English text, Persian numbers.
		{fa, "en.only", []any{12345}, "English only ۱۲٬۳۴۵"},
		{fa, "two", []any{uint8(3), "x"}, "x پیش از ۳"},
		{en, "kinds", []any{-5, uint64(1 << 63), 2.5, float32(0.25), stringer{}, true}, "-5|9,223,372,036,854,775,808|2.5|0.25|str|true"},
		{fa, "kinds", []any{-5, uint64(1 << 63), 2.5, float32(0.25), stringer{}, true}, "\u200e−۵|۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۸|۲٫۵|۰٫۲۵|str|true"},
	}
	for _, tt := range tests {
		if got := tt.l.T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q, %v) = %q, want %q", tt.l.Lang(), tt.key, tt.args, got, tt.want)
		}
	}
	if en.Has("nope") || !fa.Has("two") || fa.Has("en.only") {
		t.Errorf("Has: want only keys of the locale's own catalogue")
	}
}

func TestFieldError(t *testing.T) {
	var v crm.Validation
	v.Add("password", "password_length", 10)
	v.Add("email", "invalid_email")
	fes := crm.FieldErrors(v.Err())
	tests := []struct {
		lang string
		want []string
	}{
		{"en", []string{"The password must be at least 10 characters long.", "Enter a valid email address."}},
		{"fa", []string{"گذرواژه باید دست\u200cکم ۱۰ نویسه باشد.", "یک نشانی ایمیل معتبر وارد کنید."}},
		{"ja", []string{"パスワードは10文字以上にしてください。", "有効なメールアドレスを入力してください。"}},
	}
	for _, tt := range tests {
		var got []string
		for _, fe := range fes {
			got = append(got, Get(tt.lang).FieldError(fe))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s FieldError = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	if !slices.IsSorted(keys) {
		t.Error("Keys() is not sorted")
	}
	if got, want := len(keys), len(catalogs["en"]); got != want {
		t.Errorf("len(Keys()) = %d, want %d", got, want)
	}
	for _, k := range []string{"error.required", "code.internal", "role.read-only", "month.jalali.12"} {
		if !slices.Contains(keys, k) {
			t.Errorf("Keys() lacks %q", k)
		}
	}
	// Callers may modify the slice without touching the catalogue.
	keys[0] = "changed"
	if Keys()[0] == "changed" {
		t.Error("Keys() shares its slice")
	}
}

func TestConcurrentUse(t *testing.T) {
	done := make(chan string)
	for _, lang := range Langs {
		go func() {
			l := Get(lang)
			done <- l.T("error.too_many", 20) + l.DateTime(time.Unix(0, 0).UTC())
		}()
	}
	for range Langs {
		if s := <-done; s == "" {
			t.Error("empty result")
		}
	}
}
