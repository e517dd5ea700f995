package crm

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	formSlugRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,59}$`)
	fieldNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// ValidFormSlug reports whether s can be a form's address.
func ValidFormSlug(s string) bool { return formSlugRe.MatchString(s) }

// Slugify makes a form address from its name: ASCII letters and digits
// joined by hyphens. A name with none (Persian, Japanese) gets a random
// slug, which the admin may change.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 50 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) < 3 {
		r := make([]byte, 4)
		rand.Read(r)
		s = strings.Trim("form-"+s+"-"+hex.EncodeToString(r), "-")
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// Validate normalises the input in place and checks it against the
// custom field definitions of contacts. Fields mapped to a contact or
// custom field take their type (and a custom field's options) from it, so
// a form can never put text where the contact expects a date.
func (in *FormInput) Validate(create bool, defs []*CustomField) error {
	var v Validation
	cleanString(&v, "name", in.Name, MaxName, create)
	if !create && in.Name != nil && *in.Name == "" {
		v.Add("name", "required")
	}
	if in.Slug != nil {
		*in.Slug = strings.ToLower(strings.TrimSpace(*in.Slug))
	}
	if create && (in.Slug == nil || *in.Slug == "") && in.Name != nil {
		s := Slugify(*in.Name)
		in.Slug = &s
	}
	// "confirm" is the double opt-in's address (/f/confirm/{token}).
	if in.Slug != nil && (!formSlugRe.MatchString(*in.Slug) || *in.Slug == "confirm") {
		v.Add("slug", "invalid_slug")
	}
	if in.Status != nil && !slices.Contains(FormStatuses, *in.Status) {
		v.Add("status", "invalid_choice")
	}
	if in.Language != nil {
		*in.Language = strings.TrimSpace(*in.Language)
		if *in.Language != "" && !slices.Contains(Languages, *in.Language) {
			v.Add("language", "invalid_choice")
		}
	}
	cleanString(&v, "title", in.Title, MaxName, false)
	cleanString(&v, "intro", in.Intro, MaxFormMessage, false)
	cleanString(&v, "submit_label", in.SubmitLabel, 60, false)
	cleanString(&v, "success_message", in.SuccessMessage, MaxFormMessage, false)
	if in.RedirectURL != nil {
		*in.RedirectURL = strings.TrimSpace(*in.RedirectURL)
		if *in.RedirectURL != "" && !validRedirect(*in.RedirectURL) {
			v.Add("redirect_url", "invalid_url")
		}
	}
	if in.OwnerID != nil && *in.OwnerID < 0 {
		v.Add("owner_id", "out_of_range")
	}
	if create && in.Fields == nil {
		in.Fields = &[]FormField{
			{Name: "email", Label: "Email", Maps: "email", Required: true},
		}
	}
	if in.Fields != nil {
		validateFormFields(&v, *in.Fields, defs)
	}
	if in.Consents != nil {
		validateFormConsents(&v, *in.Consents)
	}
	return v.Err()
}

// validRedirect accepts absolute http(s) URLs without credentials.
func validRedirect(raw string) bool {
	if len(raw) > 2000 {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && !strings.ContainsAny(raw, " \r\n\t")
}

// reservedFieldNames are the hosted page's own inputs (render stamp,
// embed flag, visitor id, honeypot).
var reservedFieldNames = []string{"stamp", "embed", "vid", "website_url", "lang"}

func validateFormFields(v *Validation, fields []FormField, defs []*CustomField) {
	if len(fields) > MaxFormFields {
		v.Add("fields", "too_many", MaxFormFields)
		return
	}
	names, maps := map[string]bool{}, map[string]bool{}
	email := false
	for i := range fields {
		f := &fields[i]
		p := fmt.Sprintf("fields[%d].", i)
		f.Name = strings.TrimSpace(f.Name)
		f.Maps = strings.TrimSpace(f.Maps)
		if f.Name == "" && f.Maps != "" {
			f.Name = strings.TrimPrefix(f.Maps, "custom.")
		}
		if !fieldNameRe.MatchString(f.Name) || slices.Contains(reservedFieldNames, f.Name) {
			v.Add(p+"name", "invalid_key")
		} else if names[f.Name] {
			v.Add(p+"name", "duplicate")
		}
		names[f.Name] = true
		cleanString(v, p+"label", &f.Label, MaxName, true)
		cleanString(v, p+"help", &f.Help, MaxText, false)
		limit := MaxText
		switch {
		case f.Maps == "":
			if !slices.Contains(FormFieldTypes, f.Type) {
				v.Add(p+"type", "invalid_choice")
			}
			if f.Type == FieldTextarea {
				limit = MaxFormTextarea
			}
		case slices.Contains(FormContactFields, f.Maps):
			switch f.Maps {
			case "email":
				f.Type = FieldEmail
				email = true
				if !f.Required {
					v.Add(p+"required", "email_required")
				}
			case "phone":
				f.Type = FieldPhone
			case "language":
				f.Type = FieldSelect
				if len(f.Options) == 0 {
					f.Options = slices.Clone(Languages)
				}
				for _, o := range f.Options {
					if !slices.Contains(Languages, o) {
						v.Add(p+"options", "invalid_option", o)
					}
				}
			default:
				f.Type = FieldText
				limit = MaxName
			}
		default:
			key, ok := strings.CutPrefix(f.Maps, "custom.")
			i := slices.IndexFunc(defs, func(d *CustomField) bool { return d.Key == key && d.Entity == "contact" })
			if !ok || i < 0 {
				v.Add(p+"maps", "unknown_field")
				break
			}
			d := defs[i]
			switch d.Type {
			case "text":
				if f.Type != FieldTextarea {
					f.Type = FieldText
				}
			case "number":
				f.Type = FieldNumber
			case "date":
				f.Type = FieldDate
			case "select":
				f.Type, f.Options = FieldSelect, slices.Clone(d.Options)
			case "multi_select":
				f.Type, f.Options = FieldMultiSelect, slices.Clone(d.Options)
			case "boolean":
				f.Type = FieldCheckbox
			}
		}
		if f.Maps != "" {
			if maps[f.Maps] {
				v.Add(p+"maps", "duplicate")
			}
			maps[f.Maps] = true
		}
		if f.MaxLength < 0 || f.MaxLength > limit {
			f.MaxLength = limit
		}
		if f.Type == FieldSelect || f.Type == FieldMultiSelect {
			if len(f.Options) == 0 {
				v.Add(p+"options", "required")
			}
			if len(f.Options) > MaxFormOptions {
				v.Add(p+"options", "too_many", MaxFormOptions)
			}
			seen := map[string]bool{}
			for j, o := range f.Options {
				o = strings.TrimSpace(o)
				f.Options[j] = o
				if o == "" || seen[o] || utf8.RuneCountInString(o) > MaxName || !utf8.ValidString(o) {
					v.Add(p+"options", "invalid_option", o)
				}
				seen[o] = true
			}
		} else {
			f.Options = nil
		}
	}
	if !email {
		v.Add("fields", "form_needs_email")
	}
}

func validateFormConsents(v *Validation, consents []FormConsent) {
	seen := map[ConsentTopic]bool{}
	for i := range consents {
		c := &consents[i]
		p := fmt.Sprintf("consents[%d].", i)
		t := ConsentTopic{c.Purpose, c.Channel}
		switch {
		case !ValidTopic(c.Purpose, c.Channel):
			v.Add(p+"purpose", "invalid_choice")
		case seen[t]:
			v.Add(p+"purpose", "duplicate")
		}
		seen[t] = true
		cleanString(v, p+"wording", &c.Wording, MaxFormWording, true)
	}
}

// FieldLimit is the most characters a text value of f may have.
func (f FormField) FieldLimit() int {
	if f.MaxLength > 0 {
		return f.MaxLength
	}
	if f.Type == FieldTextarea {
		return MaxFormTextarea
	}
	return MaxText
}

// Check validates a submission against the form's fields and returns the
// cleaned values by field name: strings, float64 for numbers, bool for
// checkboxes, []string for multiselects. Errors are keyed by field name
// so the page shows each next to its input.
func (f *Form) Check(values map[string][]string) (map[string]any, error) {
	var v Validation
	out := map[string]any{}
	country := ""
	for _, fd := range f.Fields {
		if fd.Maps == "country" {
			country = strings.ToUpper(strings.TrimSpace(first(values[fd.Name])))
		}
	}
	for _, fd := range f.Fields {
		raw := values[fd.Name]
		s := strings.TrimSpace(first(raw))
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			v.Add(fd.Name, "invalid_utf8")
			continue
		}
		switch fd.Type {
		case FieldCheckbox:
			on := s == "on" || s == "true" || s == "1" || s == "yes"
			if fd.Required && !on {
				v.Add(fd.Name, "required")
			}
			out[fd.Name] = on
			continue
		case FieldMultiSelect:
			var list []string
			for _, x := range raw {
				x = strings.TrimSpace(x)
				if x == "" || slices.Contains(list, x) {
					continue
				}
				if !slices.Contains(fd.Options, x) {
					v.Add(fd.Name, "invalid_choice")
					break
				}
				list = append(list, x)
			}
			if fd.Required && len(list) == 0 {
				v.Add(fd.Name, "required")
			}
			if len(list) > 0 {
				out[fd.Name] = list
			}
			continue
		}
		if s == "" {
			if fd.Required {
				v.Add(fd.Name, "required")
			}
			continue
		}
		if limit := fd.FieldLimit(); utf8.RuneCountInString(s) > limit {
			v.Add(fd.Name, "too_long", limit)
			continue
		}
		switch {
		case fd.Type == FieldEmail:
			e, ok := NormalizeEmail(s)
			if !ok {
				v.Add(fd.Name, "invalid_email")
				continue
			}
			out[fd.Name] = e
		case fd.Type == FieldPhone:
			p, ok := NormalizePhone(s, country)
			if !ok {
				v.Add(fd.Name, "invalid_phone")
				continue
			}
			out[fd.Name] = p
		case fd.Type == FieldNumber:
			n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
			if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				v.Add(fd.Name, "invalid_number")
				continue
			}
			out[fd.Name] = n
		case fd.Type == FieldDate:
			d, err := time.Parse(time.DateOnly, s)
			if err != nil || d.Year() < 1900 || d.Year() > 2200 {
				v.Add(fd.Name, "invalid_date")
				continue
			}
			out[fd.Name] = d.Format(time.DateOnly)
		case fd.Type == FieldSelect:
			if !slices.Contains(fd.Options, s) {
				v.Add(fd.Name, "invalid_choice")
				continue
			}
			out[fd.Name] = s
		case fd.Maps == "country":
			if !countryRe.MatchString(country) {
				v.Add(fd.Name, "invalid_country")
				continue
			}
			out[fd.Name] = country
		default:
			out[fd.Name] = s
		}
	}
	return out, v.Err()
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// Email returns the submitted address from cleaned values.
func (f *Form) Email(values map[string]any) string {
	for _, fd := range f.Fields {
		if fd.Maps == "email" {
			s, _ := values[fd.Name].(string)
			return s
		}
	}
	return ""
}
