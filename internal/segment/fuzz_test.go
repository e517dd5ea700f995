package segment

import (
	"errors"
	"regexp"
	"testing"
	"time"
)

// pathRe is the shape of a path in an error: keys and indexes from the
// root, or empty for the whole document.
var pathRe = regexp.MustCompile(`^([a-z_][a-z0-9_]*(\[\d+\])*(\.[a-z_][a-z0-9_]*(\[\d+\])*)*)?$`)

// FuzzParse asserts that no input panics and that every input is either a
// valid definition that compiles on both engines or an *Error naming
// paths.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"op":"and","groups":[]}`,
		one(`{"field":"purchase.orders","op":"eq","value":1},{"field":"purchase.last_order","op":"more_than_days_ago","value":60},{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}`),
		one(`{"field":"custom.tier","op":"in","value":["gold"]},{"field":"segment","op":"in_segment","value":2}`),
		one(`{"field":"contact.age","op":"between","value":[18,30]},{"field":"bought.category","op":"exactly","value":2,"categories":["Shoes"],"within_days":30}`),
		`{"op":"or","groups":[{"op":"and","groups":[{"op":"or","predicates":[{"field":"survey.nps_group","op":"in","value":["promoter"]}]}]}]}`,
		`{"op":"and","groups":[{"predicates":[{"field":"contact.tags","op":"has_any","value":["a",1]}]}]}`,
		`[]`, `null`, `"x"`, `{"groups":{}}`, `{"op":"and","groups":[{"op":"and","predicates":[{"field":1}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := Options{Custom: testCustom, Resolve: resolver(true)}
		d, err := Parse(data, opt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Fields) == 0 {
				t.Fatalf("error %v is not a *Error with fields", err)
			}
			for _, fe := range e.Fields {
				if !pathRe.MatchString(fe.Path) || fe.Key == "" {
					t.Fatalf("bad error path %q key %q", fe.Path, fe.Key)
				}
			}
			return
		}
		for _, eng := range []string{SQLite, Postgres} {
			if _, _, err := Compile(d, Env{Engine: eng, Now: time.Unix(1.7e9, 0), Options: opt}, 1); err != nil {
				t.Fatalf("valid definition %s does not compile: %v", d.JSON(), err)
			}
		}
	})
}
