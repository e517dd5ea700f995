package i18n

import (
	"strings"
	"testing"
	"testing/fstest"
)

// validFS returns a catalogue tree with one file per language, so each test
// case changes only what it is about.
func validFS() fstest.MapFS {
	return fstest.MapFS{
		"l/en/core.json": {Data: []byte(`{"a": "A", "b": "B {0}"}`)},
		"l/fa/core.json": {Data: []byte(`{"a": "آ", "b": "ب {0}"}`)},
		"l/ja/core.json": {Data: []byte(`{"a": "あ", "b": "ぶ{0}"}`)},
	}
}

func TestLoadMergesFiles(t *testing.T) {
	fsys := validFS()
	fsys["l/en/console.json"] = &fstest.MapFile{Data: []byte(`{"console.title": "Contacts"}`)}
	cats, err := load(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "A", "b": "B {0}", "console.title": "Contacts"} {
		if got := cats["en"][key]; got != want {
			t.Errorf("en[%q] = %q, want %q", key, got, want)
		}
	}
	if got, want := len(cats["fa"]), 2; got != want {
		t.Errorf("len(fa) = %d, want %d", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    string // file to add or replace
		data    string
		wantErr string
	}{
		{"duplicate across files", "l/en/console.json", `{"a": "Again"}`, `key "a" defined in both l/en/console.json and l/en/core.json`},
		{"duplicate in one file", "l/ja/core.json", `{"a": "あ", "a": "い"}`, `key "a" defined twice`},
		{"not an object", "l/fa/core.json", `["a"]`, "want a JSON object"},
		{"not a string", "l/fa/core.json", `{"a": 1}`, `key "a"`},
		{"empty text", "l/fa/core.json", `{"a": " "}`, "empty key or text"},
		{"bad JSON", "l/en/core.json", `{"a": "A",}`, "l/en/core.json"},
		{"trailing data", "l/en/core.json", `{"a": "A"} {}`, "trailing data"},
		{"unknown language", "l/de/core.json", `{"a": "A"}`, `"de" is not in Langs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := validFS()
			fsys[tt.path] = &fstest.MapFile{Data: []byte(tt.data)}
			_, err := load(fsys, "l")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("load: err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadMissingLanguage(t *testing.T) {
	fsys := validFS()
	delete(fsys, "l/ja/core.json")
	if _, err := load(fsys, "l"); err == nil || !strings.Contains(err.Error(), `"ja"`) {
		t.Fatalf("load: err = %v, want one naming ja", err)
	}
}

func TestMustLoadPanicsOnDuplicate(t *testing.T) {
	fsys := validFS()
	fsys["l/fa/extra.json"] = &fstest.MapFile{Data: []byte(`{"b": "دوباره {0}"}`)}
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if !strings.Contains(msg, `key "b" defined in both`) {
			t.Fatalf("recovered %v, want a duplicate-key panic", r)
		}
	}()
	mustLoad(fsys, "l")
	t.Fatal("mustLoad did not panic")
}

// TestEmbeddedCatalogueLoads guards the real files: the package would not
// start otherwise, but this names the problem.
func TestEmbeddedCatalogueLoads(t *testing.T) {
	if _, err := load(files, "locales"); err != nil {
		t.Fatal(err)
	}
}
