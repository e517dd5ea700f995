package segment

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var testCustom = []CustomField{
	{Key: "vip", Label: "VIP", Type: "boolean"},
	{Key: "shoe_size", Label: "Shoe size", Type: "number"},
	{Key: "tier", Label: "Tier", Type: "select", Options: []string{"gold", "silver"}},
	{Key: "hobbies", Label: "Hobbies", Type: "multi_select", Options: []string{"golf", "chess"}},
}

// resolver knows segments 1 (static), 2 (dynamic, refers to 3), 3
// (dynamic, refers to 2 when looped) and 4 (dynamic, no references).
func resolver(loop bool) Resolver {
	ref := func(id int64) *Definition {
		return &Definition{Op: And, Groups: []Group{{Op: And, Predicates: []Predicate{{Field: FieldSegment, Op: OpInSegment, Value: []byte(fmt.Sprint(id))}}}}}
	}
	return func(id int64) (*Ref, error) {
		switch id {
		case 1:
			return &Ref{Static: true}, nil
		case 2:
			return &Ref{Definition: ref(3)}, nil
		case 3:
			if loop {
				return &Ref{Definition: ref(2)}, nil
			}
			return &Ref{Definition: &Definition{Op: And}}, nil
		case 4:
			return &Ref{Definition: &Definition{Op: Or, Groups: []Group{{Op: And, Predicates: []Predicate{{Field: "contact.stage", Op: OpEq, Value: []byte(`"lead"`)}}}}}}, nil
		}
		return nil, errors.New("no such segment")
	}
}

func one(pred string) string {
	return `{"op":"and","groups":[{"op":"and","predicates":[` + pred + `]}]}`
}

func TestParseErrors(t *testing.T) {
	deep := `{"op":"and"}`
	for range MaxDepth + 1 {
		deep = `{"op":"and","groups":[` + deep + `]}`
	}
	many := strings.Repeat(`{"field":"contact.stage","op":"eq","value":"lead"},`, MaxPredicates+1)
	many = one(strings.TrimSuffix(many, ","))
	for _, tc := range []struct {
		name, in, path, key string
		self                int64
		loop                bool
	}{
		{"not json", `{"op":`, "", ErrJSON, 0, false},
		{"bad root op", `{"op":"xor","groups":[]}`, "op", ErrGroupOp, 0, false},
		{"unknown key", `{"op":"and","groups":[],"x":1}`, "x", ErrUnknownKey, 0, false},
		{"unknown field", one(`{"field":"contact.shoe","op":"eq","value":"x"}`), "groups[0].predicates[0].field", ErrUnknownField, 0, false},
		{"unknown custom", one(`{"field":"custom.nope","op":"eq","value":"x"}`), "groups[0].predicates[0].field", ErrUnknownField, 0, false},
		{"wrong op", one(`{"field":"purchase.orders","op":"contains","value":"x"}`), "groups[0].predicates[0].op", ErrOperator, 0, false},
		{"wrong value type", one(`{"field":"purchase.orders","op":"eq","value":"one"}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"fraction for integer", one(`{"field":"purchase.orders","op":"eq","value":1.5}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"out of range", one(`{"field":"score.p_alive","op":"gt","value":2}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"bad date", one(`{"field":"purchase.last_order","op":"before","value":"2026-02-30"}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"missing value", one(`{"field":"contact.stage","op":"eq"}`), "groups[0].predicates[0].value", ErrValueMissing, 0, false},
		{"value not wanted", one(`{"field":"contact.tags","op":"is_empty","value":"x"}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"enum option", one(`{"field":"contact.stage","op":"in","value":["lead","boss"]}`), "groups[0].predicates[0].value[1]", ErrValue, 0, false},
		{"empty list", one(`{"field":"contact.stage","op":"in","value":[]}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"range reversed", one(`{"field":"purchase.orders","op":"between","value":[5,1]}`), "groups[0].predicates[0].value", ErrValue, 0, false},
		{"param of other field", one(`{"field":"purchase.orders","op":"eq","value":1,"skus":["A"]}`), "groups[0].predicates[0].skus", ErrUnknownKey, 0, false},
		{"missing param", one(`{"field":"consent","op":"granted","purpose":"marketing"}`), "groups[0].predicates[0].channel", ErrParamMissing, 0, false},
		{"bad param", one(`{"field":"consent","op":"granted","purpose":"spam","channel":"email"}`), "groups[0].predicates[0].purpose", ErrParam, 0, false},
		{"window twice", one(`{"field":"web.page_views","op":"at_least","value":1,"within_days":3,"since":"2026-01-01"}`), "groups[0].predicates[0].within_days", ErrParam, 0, false},
		{"unknown segment", one(`{"field":"segment","op":"in_segment","value":99}`), "groups[0].predicates[0].value", ErrUnknownSegment, 0, false},
		{"self reference", one(`{"field":"segment","op":"in_segment","value":4}`), "groups[0].predicates[0].value", ErrCycle, 4, false},
		{"cycle through others", one(`{"field":"segment","op":"in_segment","value":2}`), "groups[0].predicates[0].value", ErrCycle, 0, true},
		{"cycle back to self", one(`{"field":"segment","op":"in_segment","value":2}`), "groups[0].predicates[0].value", ErrCycle, 3, false},
		{"too deep", deep, "groups[0].groups[0].groups[0].groups[0].groups[0].groups", ErrTooDeep, 0, false},
		{"too many", many, fmt.Sprintf("groups[0].predicates[%d]", MaxPredicates), ErrTooMany, 0, false},
		{"nested path", `{"op":"or","groups":[{"op":"and","groups":[{"op":"or","predicates":[{"field":"contact.age","op":"gte","value":18},{"field":"contact.age","op":"gte","value":-1}]}]}]}`, "groups[0].groups[0].predicates[1].value", ErrValue, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), Options{Custom: testCustom, Resolve: resolver(tc.loop), Self: tc.self})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			i := slices.IndexFunc(e.Fields, func(f FieldError) bool { return f.Path == tc.path && f.Key == tc.key })
			if i < 0 {
				t.Errorf("errors %+v, want %s at %q", e.Fields, tc.key, tc.path)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	for _, in := range []string{
		`{"op":"and","groups":[]}`,
		`{}`,
		one(`{"field":"purchase.orders","op":"eq","value":1},{"field":"purchase.last_order","op":"more_than_days_ago","value":60},{"field":"web.viewed_product","op":"at_least","value":1,"since_last_order":true},{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}`),
		one(`{"field":"custom.vip","op":"is_true"},{"field":"custom.tier","op":"in","value":["gold"]},{"field":"custom.hobbies","op":"has_all","value":["golf","chess"]}`),
		one(`{"field":"segment","op":"not_in_segment","value":1},{"field":"segment","op":"in_segment","value":2}`),
		one(`{"field":"bought.category","op":"at_least","value":2,"categories":["Shoes"],"since":"2026-01-01","until":"2026-03-31"}`),
		one(`{"field":"score.rfm_cell","op":"in","value":["555","545"]},{"field":"survey.nps_group","op":"eq","value":"promoter","survey_id":3}`),
	} {
		d, err := Parse([]byte(in), Options{Custom: testCustom, Resolve: resolver(false)})
		if err != nil {
			t.Fatalf("Parse(%s): %v", in, err)
		}
		// The canonical form parses to itself.
		d2, err := Parse([]byte(d.JSON()), Options{Custom: testCustom, Resolve: resolver(false)})
		if err != nil || d2.JSON() != d.JSON() {
			t.Errorf("round trip of %s: %v %s", d.JSON(), err, d2.JSON())
		}
	}
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

func TestCompile(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		pred     string
		contains []string
		args     []any
	}{
		{`{"field":"purchase.orders","op":"eq","value":1}`, []string{"c.id IN (SELECT f.contact_id FROM customer_facts f WHERE f.orders = $3)"}, []any{int64(1)}},
		{`{"field":"purchase.orders","op":"lt","value":2}`, []string{"c.id NOT IN (SELECT f.contact_id FROM customer_facts f WHERE NOT (f.orders < $3))"}, []any{int64(2)}},
		{`{"field":"purchase.last_order","op":"more_than_days_ago","value":60}`, []string{"f.last_order_at < $3"}, []any{now.UnixMilli() - 60*day}},
		{`{"field":"contact.age","op":"gte","value":18}`, []string{"c.birth_date <= $3"}, []any{"2008-06-15"}},
		{`{"field":"contact.first_name","op":"contains","value":"A_b%"}`, []string{`lower(c.first_name) LIKE $3 ESCAPE '\'`}, []any{`%a\_b\%%`}},
		{`{"field":"contact.tags","op":"has_all","value":["VIP","vip","gold"]}`, []string{"GROUP BY t.contact_id HAVING COUNT(*) = $6"}, []any{"vip", "vip", "gold", int64(2)}},
		{`{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}`, []string{"k.status = 'granted'", "k.expires_at > $5"}, []any{"marketing", "email", now.UnixMilli()}},
		{`{"field":"web.viewed_product","op":"fewer_than","value":3,"within_days":7,"skus":["S1"]}`, []string{"c.id NOT IN (SELECT v.contact_id FROM events e JOIN visitors v", "HAVING COUNT(*) >= $6"}, []any{"product_view", now.UnixMilli() - 7*day, "S1", int64(3)}},
		{`{"field":"custom.shoe_size","op":"gt","value":40}`, []string{"json_type(c.custom, $3)"}, []any{`$."shoe_size"`, int64(40)}},
		{`{"field":"segment","op":"not_in_segment","value":4}`, []string{"NOT COALESCE(((c.stage = $3)), FALSE)"}, []any{"lead"}},
		{`{"field":"segment","op":"in_segment","value":1}`, []string{"sm.segment_id = $3"}, []any{int64(1)}},
	} {
		in := one(tc.pred)
		opt := Options{Custom: testCustom, Resolve: resolver(false)}
		d, err := Parse([]byte(in), opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.pred, err)
		}
		sql, args, err := Compile(d, Env{Engine: SQLite, Now: now, Options: opt}, 3)
		if err != nil {
			t.Fatalf("%s: %v", tc.pred, err)
		}
		for _, want := range tc.contains {
			if !strings.Contains(sql, want) {
				t.Errorf("%s:\n%s\nlacks %s", tc.pred, sql, want)
			}
		}
		if fmt.Sprint(args) != fmt.Sprint(tc.args) {
			t.Errorf("%s: args %v, want %v", tc.pred, args, tc.args)
		}
		// Every placeholder has an argument and numbering starts at 3.
		for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
			var n int
			fmt.Sscan(m[1], &n)
			if n < 3 || n >= 3+len(args) {
				t.Errorf("%s: placeholder $%d outside $3..$%d", tc.pred, n, 2+len(args))
			}
		}
	}
}

// TestCompileNoUserText checks that no user-supplied text reaches the SQL:
// the same definition with other values compiles to the same text.
func TestCompileNoUserText(t *testing.T) {
	evil := `x'); DROP TABLE contacts; --`
	for _, f := range Catalog() {
		if f.Type != TypeText {
			continue
		}
		in := one(fmt.Sprintf(`{"field":%q,"op":"eq","value":%q}`, f.Key, evil))
		d, err := Parse([]byte(in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, eng := range []string{SQLite, Postgres} {
			sql, _, err := Compile(d, Env{Engine: eng, Now: time.Now()}, 1)
			if err != nil || strings.Contains(sql, "DROP") {
				t.Errorf("%s on %s: %v %s", f.Key, eng, err, sql)
			}
		}
	}
}

// TestEveryFieldCompiles compiles every operator of every field on both engines.
func TestEveryFieldCompiles(t *testing.T) {
	sample := func(f Field, op string) string {
		var s string
		switch f.Type {
		case TypeNumber, TypeMoney:
			s = "1"
		case TypeDate:
			s = `"2026-01-02"`
		case TypeRef:
			s = "1"
		case TypeEnum:
			s = `"x"`
			if len(f.Options) > 0 {
				s = fmt.Sprintf("%q", f.Options[0])
			}
		default:
			s = `"x"`
		}
		switch valueKind(op) {
		case vNone:
			return ""
		case vList:
			return `,"value":[` + s + `]`
		case vRange:
			return `,"value":[` + s + `,` + s + `]`
		case vDays, vCount:
			return `,"value":2`
		case vID:
			return `,"value":1`
		}
		return `,"value":` + s
	}
	fields := append(Catalog(), CustomFields(testCustom)...)
	for _, f := range fields {
		for _, op := range f.Ops {
			extra := ""
			for _, p := range f.Params {
				if p.Required {
					switch p.Key {
					case ParamPurpose:
						extra += `,"purpose":"marketing"`
					case ParamChannel:
						extra += `,"channel":"email"`
					case ParamCategories:
						extra += `,"categories":["c"]`
					case ParamURL:
						extra += `,"url":"/sale"`
					}
				}
			}
			in := one(fmt.Sprintf(`{"field":%q,"op":%q%s%s}`, f.Key, op, sample(f, op), extra))
			opt := Options{Custom: testCustom, Resolve: resolver(false)}
			d, err := Parse([]byte(in), opt)
			if err != nil {
				t.Errorf("%s %s: %v", f.Key, op, err)
				continue
			}
			for _, eng := range []string{SQLite, Postgres} {
				sql, args, err := Compile(d, Env{Engine: eng, Now: time.Now(), Options: opt}, 1)
				if err != nil || strings.Contains(sql, "FALSE)") && !strings.Contains(sql, "COALESCE") {
					t.Errorf("%s %s on %s: %v %s", f.Key, op, eng, err, sql)
				}
				if n := len(placeholder.FindAllString(sql, -1)); n > 0 && len(args) == 0 {
					t.Errorf("%s %s: placeholders without args", f.Key, op)
				}
			}
		}
	}
}

// TestProbeMode: beside a driving event count, per-contact tables are
// probed (EXISTS); alone, or under OR, they are sets (IN).
func TestProbeMode(t *testing.T) {
	compile := func(in string) string {
		d, err := Parse([]byte(in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		sql, _, err := Compile(d, Env{Engine: SQLite, Now: time.Now()}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return sql
	}
	facts := `{"field":"purchase.orders","op":"eq","value":1}`
	consent := `{"field":"consent","op":"granted","purpose":"marketing","channel":"email"}`
	web := `{"field":"web.viewed_product","op":"at_least","value":1}`
	if s := compile(one(facts + "," + consent + "," + web)); !strings.Contains(s, "EXISTS (SELECT 1 FROM customer_facts f WHERE f.contact_id = c.id") ||
		!strings.Contains(s, "FROM consents k WHERE k.contact_id = c.id") || !strings.Contains(s, "c.id IN (SELECT v.contact_id") {
		t.Errorf("with a driver: %s", s)
	}
	if s := compile(one(facts + "," + consent)); strings.Contains(s, "EXISTS (SELECT 1 FROM customer_facts") {
		t.Errorf("without a driver: %s", s)
	}
	or := `{"op":"or","groups":[{"op":"or","predicates":[` + facts + `,` + web + `]}]}`
	if s := compile(or); strings.Contains(s, "EXISTS (SELECT 1 FROM customer_facts") {
		t.Errorf("under OR: %s", s)
	}
}
