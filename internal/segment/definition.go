package segment

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits keep a definition cheap to validate, compile and run.
const (
	MaxDepth      = 5   // nesting of groups below the root
	MaxPredicates = 100 // predicates in a whole definition
	MaxList       = 500 // items of a list value or parameter
	MaxText       = 500 // characters of a text value
	MaxBytes      = 1 << 16
)

// Group combiners.
const (
	And = "and"
	Or  = "or"
)

// Definition is the root of a segment: groups combined by Op.
type Definition struct {
	Op     string  `json:"op"`
	Groups []Group `json:"groups"`
}

// Group combines its predicates and subgroups by Op.
type Group struct {
	Op         string      `json:"op"`
	Predicates []Predicate `json:"predicates,omitempty"`
	Groups     []Group     `json:"groups,omitempty"`
}

// Predicate is one condition. Value is kept as raw JSON (its shape depends
// on the operator, see the package doc); the parameters a field takes are
// the remaining fields.
type Predicate struct {
	Field string          `json:"field"`
	Op    string          `json:"op"`
	Value json.RawMessage `json:"value,omitempty"`

	WithinDays     *int     `json:"within_days,omitempty"`
	Since          string   `json:"since,omitempty"`
	Until          string   `json:"until,omitempty"`
	SinceLastOrder bool     `json:"since_last_order,omitempty"`
	SKUs           []string `json:"skus,omitempty"`
	Categories     []string `json:"categories,omitempty"`
	URL            string   `json:"url,omitempty"`
	Forms          []int64  `json:"forms,omitempty"`
	SurveyID       *int64   `json:"survey_id,omitempty"`
	Purpose        string   `json:"purpose,omitempty"`
	Channel        string   `json:"channel,omitempty"`
}

// FieldError is one problem with a definition: the JSON path of the part
// at fault (relative to the definition) and a message-catalogue key
// ("error.<Key>") with its arguments.
type FieldError struct {
	Path string
	Key  string
	Args []any
}

// Error lists every problem found in a definition.
type Error struct {
	Fields []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return "invalid segment definition"
	}
	f := e.Fields[0]
	return fmt.Sprintf("invalid segment definition: %s: %s", f.Path, f.Key)
}

// Error keys (i18n "error.<key>").
const (
	ErrJSON           = "segment_json"
	ErrUnknownKey     = "segment_unknown_key"
	ErrGroupOp        = "segment_group_op"
	ErrUnknownField   = "segment_unknown_field"
	ErrOperator       = "segment_operator"
	ErrValue          = "segment_value"
	ErrValueMissing   = "segment_value_missing"
	ErrParam          = "segment_param"
	ErrParamMissing   = "segment_param_missing"
	ErrTooDeep        = "segment_too_deep"
	ErrTooMany        = "segment_too_many"
	ErrCycle          = "segment_cycle"
	ErrUnknownSegment = "segment_unknown_segment"
	ErrTooLarge       = "segment_too_large"
)

// Ref is what a Resolver knows of a referenced segment.
type Ref struct {
	Static     bool
	Definition *Definition // nil for static lists
}

// Resolver finds a segment by id for membership predicates; it returns
// an error (any) when there is no such segment.
type Resolver func(id int64) (*Ref, error)

// CustomField is a contact custom field as the catalog offers it:
// Type is crm's custom field type (text, number, date, select,
// multi_select, boolean).
type CustomField struct {
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
}

// Options are what validation and compilation need from outside.
type Options struct {
	// Custom are the contact custom fields ("custom.<key>" predicates).
	Custom []CustomField
	// Resolve finds referenced segments; nil refuses every reference.
	Resolve Resolver
	// Self is the id of the segment being validated (0 when new), so a
	// reference back to it is reported as a cycle.
	Self int64
}

// Parse decodes and validates a definition. Any problem is an *Error whose
// paths are relative to the definition ("groups[0].predicates[2].value").
func Parse(data []byte, opt Options) (*Definition, error) {
	if len(data) > MaxBytes {
		return nil, &Error{Fields: []FieldError{{Path: "", Key: ErrTooLarge, Args: []any{MaxBytes}}}}
	}
	var raw any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, &Error{Fields: []FieldError{{Path: "", Key: ErrJSON}}}
	}
	return FromValue(raw, opt)
}

// FromValue validates a definition already decoded into generic JSON
// values (map[string]any, []any, json.Number or float64, string, bool), as
// an API body field arrives.
func FromValue(raw any, opt Options) (*Definition, error) {
	v := &validator{opt: opt}
	def := v.root(raw)
	if len(v.errs) > 0 {
		return nil, &Error{Fields: v.errs}
	}
	return def, nil
}

// Validate checks a definition built in Go (or decoded without Parse).
func (d *Definition) Validate(opt Options) error {
	b, err := json.Marshal(d)
	if err != nil {
		return &Error{Fields: []FieldError{{Key: ErrJSON}}}
	}
	_, err = Parse(b, opt)
	return err
}

// JSON is the definition's canonical JSON, as stored.
func (d *Definition) JSON() string {
	if d == nil {
		return `{"op":"and","groups":[]}`
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// SegmentRefs lists the segment ids the definition's membership
// predicates name (not those of the segments it names).
func (d *Definition) SegmentRefs() []int64 {
	var out []int64
	var walk func(gs []Group)
	walk = func(gs []Group) {
		for _, g := range gs {
			for _, p := range g.Predicates {
				if p.Field == FieldSegment {
					var id int64
					if json.Unmarshal(p.Value, &id) == nil {
						out = append(out, id)
					}
				}
			}
			walk(g.Groups)
		}
	}
	if d != nil {
		walk(d.Groups)
	}
	return out
}

// Predicates counts the predicates of the definition.
func (d *Definition) Predicates() int {
	n := 0
	var walk func(gs []Group)
	walk = func(gs []Group) {
		for _, g := range gs {
			n += len(g.Predicates)
			walk(g.Groups)
		}
	}
	if d != nil {
		walk(d.Groups)
	}
	return n
}
