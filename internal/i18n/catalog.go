package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// files holds every catalogue. Each language is a directory of JSON files so
// that packages can own their strings (en/console.json, en/api.json, …)
// without several people editing one file.
//
//go:embed locales
var files embed.FS

// catalogs maps language → key → text. It is built once at start; a broken
// catalogue (bad JSON, a key defined twice) stops the program at init rather
// than showing the wrong words later.
var catalogs = mustLoad(files, "locales")

func mustLoad(fsys fs.FS, root string) map[string]map[string]string {
	cats, err := load(fsys, root)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	return cats
}

// load reads root/<lang>/*.json for every language in Langs and merges the
// files of each language. A key defined in two files, or twice in one file,
// is an error: with several owners a silent "last one wins" would hide
// whose text is shown.
func load(fsys fs.FS, root string) (map[string]map[string]string, error) {
	dirs, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, err
	}
	cats := make(map[string]map[string]string)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if !slices.Contains(Langs, d.Name()) {
			return nil, fmt.Errorf("locale directory %q is not in Langs", d.Name())
		}
	}
	for _, lang := range Langs {
		names, err := fs.Glob(fsys, path.Join(root, lang, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no catalogue files for %q", lang)
		}
		sort.Strings(names) // deterministic error messages
		msgs := make(map[string]string)
		origin := make(map[string]string)
		for _, name := range names {
			f, err := fsys.Open(name)
			if err != nil {
				return nil, err
			}
			entries, err := decodeFlat(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, e := range entries {
				if prev, dup := origin[e.key]; dup {
					return nil, fmt.Errorf("key %q defined in both %s and %s", e.key, prev, name)
				}
				origin[e.key] = name
				msgs[e.key] = e.text
			}
		}
		cats[lang] = msgs
	}
	return cats, nil
}

type entry struct{ key, text string }

// decodeFlat reads a flat {"key": "text"} object token by token, because
// encoding/json into a map would silently keep only the last of two equal
// keys in one file.
func decodeFlat(r io.Reader) ([]entry, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object of strings")
	}
	var out []entry
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // object keys are always strings
		var text string
		if err := dec.Decode(&text); err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		switch {
		case seen[key]:
			return nil, fmt.Errorf("key %q defined twice", key)
		case strings.TrimSpace(key) == "" || strings.TrimSpace(text) == "":
			return nil, fmt.Errorf("key %q: empty key or text", key)
		}
		seen[key] = true
		out = append(out, entry{key, text})
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the object")
	}
	return out, nil
}
