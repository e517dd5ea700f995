package crm

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Field length limits, shared by the API schema and the console forms.
const (
	MaxName  = 200
	MaxText  = 500
	MaxBody  = 20000
	MaxEmail = 254
	MaxTags  = 50
	MaxTag   = 60
)

// Languages a contact or user may have.
var Languages = []string{"en", "fa", "ja", "ar", "de", "fr", "es", "zh", "ko", "tr", "ru", "it", "pt", "nl"}

var (
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	keyRe     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

func cleanString(v *Validation, field string, p *string, max int, required bool) {
	if p == nil {
		if required {
			v.Add(field, "required")
		}
		return
	}
	*p = strings.TrimSpace(*p)
	switch {
	case !utf8.ValidString(*p):
		v.Add(field, "invalid_utf8")
	case strings.ContainsRune(*p, 0):
		v.Add(field, "invalid_utf8")
	case utf8.RuneCountInString(*p) > max:
		v.Add(field, "too_long", max)
	case required && *p == "":
		v.Add(field, "required")
	}
}

// NormalizeEmail lowercases and checks an address; it returns "" and false
// when it is not a plain addr-spec.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > MaxEmail {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", false
	}
	return s, true
}

// NormalizePhone returns the E.164 form of s, reading national numbers
// in the given country (ISO alpha-2, may be empty).
func NormalizePhone(s, country string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return "", false
	}
	if country == "" {
		country = "ZZ"
	}
	n, err := phonenumbers.Parse(s, country)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// NormalizeTags trims, lowercases and de-duplicates tags.
func NormalizeTags(v *Validation, field string, tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if utf8.RuneCountInString(t) > MaxTag || strings.ContainsAny(t, ",\x00") {
			v.Add(field, "invalid_tag", t)
			continue
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		v.Add(field, "too_many", MaxTags)
	}
	return out
}

func normalizeCountry(v *Validation, field string, p *string) {
	if p == nil {
		return
	}
	*p = strings.ToUpper(strings.TrimSpace(*p))
	if *p != "" && !countryRe.MatchString(*p) {
		v.Add(field, "invalid_country")
	}
}

// Validate normalises the input in place and checks it. country is the
// contact's country for reading national phone numbers; defs are the
// custom fields of contacts.
func (in *ContactInput) Validate(create bool, defs []*CustomField) error {
	var v Validation
	cleanString(&v, "first_name", in.FirstName, MaxName, false)
	cleanString(&v, "last_name", in.LastName, MaxName, false)
	if create && empty(in.FirstName) && empty(in.LastName) && empty(in.Email) {
		v.Add("last_name", "name_or_email_required")
	}
	for _, f := range []struct {
		name string
		p    *string
		max  int
	}{{"title", in.Title, MaxText}, {"street", in.Street, MaxText}, {"city", in.City, MaxName},
		{"region", in.Region, MaxName}, {"postal_code", in.PostalCode, 20}, {"source", in.Source, MaxName}} {
		cleanString(&v, f.name, f.p, f.max, false)
	}
	normalizeCountry(&v, "country", in.Country)
	country := ""
	if in.Country != nil {
		country = *in.Country
	}
	if in.Email != nil && *in.Email != "" {
		if e, ok := NormalizeEmail(*in.Email); ok {
			*in.Email = e
		} else {
			v.Add("email", "invalid_email")
		}
	}
	if in.Emails != nil {
		for i, e := range *in.Emails {
			if n, ok := NormalizeEmail(e); ok {
				(*in.Emails)[i] = n
			} else {
				v.Add(fmt.Sprintf("emails[%d]", i), "invalid_email")
			}
		}
	}
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		if p, ok := NormalizePhone(*in.Phone, country); ok {
			*in.Phone = p
		} else {
			v.Add("phone", "invalid_phone")
		}
	} else if in.Phone != nil {
		*in.Phone = ""
	}
	if in.Phones != nil {
		for i, p := range *in.Phones {
			if n, ok := NormalizePhone(p, country); ok {
				(*in.Phones)[i] = n
			} else {
				v.Add(fmt.Sprintf("phones[%d]", i), "invalid_phone")
			}
		}
	}
	if in.BirthDate != nil && *in.BirthDate != "" {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(*in.BirthDate))
		if err != nil || d.Year() < 1900 || d.After(time.Now()) {
			v.Add("birth_date", "invalid_date")
		} else {
			*in.BirthDate = d.Format(time.DateOnly)
		}
	}
	if in.Language != nil && *in.Language != "" && !slices.Contains(Languages, *in.Language) {
		v.Add("language", "invalid_choice")
	}
	if in.Stage != nil && *in.Stage != "" && !slices.Contains(Stages, *in.Stage) {
		v.Add("stage", "invalid_choice")
	}
	if in.Tags != nil {
		t := NormalizeTags(&v, "tags", *in.Tags)
		in.Tags = &t
	}
	// 0 clears a reference (JSON null cannot be told from "not sent").
	if in.CompanyID != nil && *in.CompanyID < 0 {
		v.Add("company_id", "out_of_range")
	}
	if in.OwnerID != nil && *in.OwnerID < 0 {
		v.Add("owner_id", "out_of_range")
	}
	in.Custom = validateCustom(&v, in.Custom, defs, create)
	return v.Err()
}

func empty(p *string) bool { return p == nil || strings.TrimSpace(*p) == "" }

// Validate normalises and checks a company input.
func (in *CompanyInput) Validate(create bool, defs []*CustomField) error {
	var v Validation
	cleanString(&v, "name", in.Name, MaxName, create)
	if in.Name != nil && !create && *in.Name == "" {
		v.Add("name", "required")
	}
	cleanString(&v, "domain", in.Domain, MaxName, false)
	if in.Domain != nil {
		*in.Domain = strings.ToLower(*in.Domain)
		if *in.Domain != "" && (strings.ContainsAny(*in.Domain, " /@:") || !strings.Contains(*in.Domain, ".")) {
			v.Add("domain", "invalid_domain")
		}
	}
	for _, f := range []struct {
		name string
		p    *string
	}{{"industry", in.Industry}, {"street", in.Street}, {"city", in.City}, {"region", in.Region}} {
		cleanString(&v, f.name, f.p, MaxName, false)
	}
	normalizeCountry(&v, "country", in.Country)
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		c := ""
		if in.Country != nil {
			c = *in.Country
		}
		if p, ok := NormalizePhone(*in.Phone, c); ok {
			*in.Phone = p
		} else {
			v.Add("phone", "invalid_phone")
		}
	}
	if in.OwnerID != nil && *in.OwnerID < 0 {
		v.Add("owner_id", "out_of_range")
	}
	if in.Size != nil && (*in.Size < 0 || *in.Size > 10_000_000) {
		v.Add("size", "out_of_range")
	}
	if in.Tags != nil {
		t := NormalizeTags(&v, "tags", *in.Tags)
		in.Tags = &t
	}
	in.Custom = validateCustom(&v, in.Custom, defs, create)
	return v.Err()
}

// validateCustom checks values against the field definitions and returns
// them in canonical form (numbers as float64, booleans as bool, dates as
// YYYY-MM-DD, multi-selects as []string). nil values clear a field.
func validateCustom(v *Validation, vals map[string]any, defs []*CustomField, create bool) map[string]any {
	byKey := make(map[string]*CustomField, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	out := make(map[string]any, len(vals))
	for k, val := range vals {
		d, ok := byKey[k]
		field := "custom." + k
		if !ok {
			v.Add(field, "unknown_field")
			continue
		}
		if val == nil {
			out[k] = nil
			continue
		}
		if c, ok := CoerceCustom(d, val); ok {
			out[k] = c
		} else {
			v.Add(field, "invalid_value")
		}
	}
	if create {
		for _, d := range defs {
			if d.Required && isBlank(out[d.Key]) {
				v.Add("custom."+d.Key, "required")
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// CoerceCustom converts a value from JSON or a form into the canonical
// type of the field, reporting false when it does not fit.
func CoerceCustom(d *CustomField, val any) (any, bool) {
	switch d.Type {
	case "text":
		s, ok := val.(string)
		return strings.TrimSpace(s), ok && utf8.ValidString(s) && !strings.ContainsRune(s, 0) && utf8.RuneCountInString(s) <= MaxText
	case "number":
		switch x := val.(type) {
		case float64:
			return x, true
		case int:
			return float64(x), true
		case int64:
			return float64(x), true
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			return f, err == nil
		}
	case "date":
		s, ok := val.(string)
		if !ok {
			return nil, false
		}
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		return t.Format(time.DateOnly), err == nil
	case "boolean":
		switch x := val.(type) {
		case bool:
			return x, true
		case string:
			if x == "on" { // an HTML checkbox
				return true, true
			}
			b, err := strconv.ParseBool(x)
			return b, err == nil
		}
	case "select":
		s, ok := val.(string)
		return s, ok && slices.Contains(d.Options, s)
	case "multi_select":
		var list []string
		switch x := val.(type) {
		case []string:
			list = x
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, false
				}
				list = append(list, s)
			}
		case string:
			for s := range strings.SplitSeq(x, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
		default:
			return nil, false
		}
		for _, s := range list {
			if !slices.Contains(d.Options, s) {
				return nil, false
			}
		}
		return list, true
	}
	return nil, false
}

// Validate checks a custom field definition.
func (in *CustomFieldInput) Validate(create bool) error {
	var v Validation
	if create {
		if in.Entity == nil || (*in.Entity != "contact" && *in.Entity != "company") {
			v.Add("entity", "invalid_choice")
		}
		if in.Key == nil || !keyRe.MatchString(*in.Key) {
			v.Add("key", "invalid_key")
		}
		if in.Type == nil || !slices.Contains(FieldTypes, *in.Type) {
			v.Add("type", "invalid_choice")
		}
	}
	cleanString(&v, "label", in.Label, MaxName, create)
	if in.Options != nil {
		seen := map[string]bool{}
		for i, o := range *in.Options {
			o = strings.TrimSpace(o)
			(*in.Options)[i] = o
			if o == "" || seen[o] || utf8.RuneCountInString(o) > MaxName || strings.Contains(o, ",") {
				v.Add("options", "invalid_option", o)
			}
			seen[o] = true
		}
	}
	if create && in.Type != nil && (*in.Type == "select" || *in.Type == "multi_select") && (in.Options == nil || len(*in.Options) == 0) {
		v.Add("options", "required")
	}
	return v.Err()
}

// Validate checks an activity input.
func (in *ActivityInput) Validate(create bool) error {
	var v Validation
	if create && (in.Kind == nil || !slices.Contains(ActivityKinds, *in.Kind)) {
		v.Add("kind", "invalid_choice")
	}
	if create && in.ContactID == nil && in.CompanyID == nil {
		v.Add("contact_id", "required")
	}
	cleanString(&v, "subject", in.Subject, MaxText, false)
	cleanString(&v, "body", in.Body, MaxBody, false)
	if in.Outcome != nil && *in.Outcome != "" && !slices.Contains(CallOutcomes, *in.Outcome) {
		v.Add("outcome", "invalid_choice")
	}
	if in.DurationSec != nil && (*in.DurationSec < 0 || *in.DurationSec > 86400) {
		v.Add("duration_sec", "out_of_range")
	}
	if create && empty(in.Subject) && empty(in.Body) {
		v.Add("body", "required")
	}
	return v.Err()
}

// Validate checks a task input.
func (in *TaskInput) Validate(create bool) error {
	var v Validation
	cleanString(&v, "title", in.Title, MaxText, create)
	cleanString(&v, "body", in.Body, MaxBody, false)
	if in.Status != nil && !slices.Contains(TaskStatuses, *in.Status) {
		v.Add("status", "invalid_choice")
	}
	return v.Err()
}

// Validate checks a user input.
func (in *UserInput) Validate(create bool) error {
	var v Validation
	if in.Email != nil || create {
		if in.Email == nil {
			v.Add("email", "required")
		} else if e, ok := NormalizeEmail(*in.Email); ok {
			*in.Email = e
		} else {
			v.Add("email", "invalid_email")
		}
	}
	cleanString(&v, "name", in.Name, MaxName, false)
	if (create && in.Role == nil) || (in.Role != nil && !in.Role.Valid()) {
		v.Add("role", "invalid_choice")
	}
	if in.Language != nil && *in.Language != "" && !slices.Contains([]string{"en", "fa", "ja"}, *in.Language) {
		v.Add("language", "invalid_choice")
	}
	if in.Password != nil {
		// The email and name given with the password; when they are not
		// (a password set later), the store checks with the account's own
		// (CheckNewPassword).
		checkPassword(&v, "password", *in.Password, deref(in.Email), deref(in.Name))
	}
	return v.Err()
}
