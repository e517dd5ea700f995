package crm

import (
	"strings"
	"testing"
)

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{"Spring Webinar 2026!": "spring-webinar-2026", "  Newsletter -- EN ": "newsletter-en"} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	// Names without ASCII letters get a random, valid slug.
	a, b := Slugify("خبرنامه"), Slugify("ニュースレター")
	if !ValidFormSlug(a) || !ValidFormSlug(b) || a == b || !strings.HasPrefix(a, "form-") {
		t.Errorf("random slugs %q %q", a, b)
	}
}

func fieldErr(err error) string {
	var out []string
	for _, fe := range FieldErrors(err) {
		out = append(out, fe.Field+":"+fe.Key)
	}
	return strings.Join(out, " ")
}

// TestFormFieldRules: mapped fields take their type from what they fill,
// the hosted page's own input names are refused, and a submission is
// checked per type.
func TestFormFieldRules(t *testing.T) {
	defs := []*CustomField{{Entity: "contact", Key: "tier", Type: "select", Options: []string{"gold", "silver"}}, {Entity: "contact", Key: "vip", Type: "boolean"}}
	fields := []FormField{
		{Label: "Email", Maps: "email", Required: true, Type: FieldText},
		{Label: "Tier", Maps: "custom.tier", Type: FieldText},
		{Label: "VIP", Maps: "custom.vip"},
		{Name: "stamp", Label: "Stamp", Type: FieldText},
		{Name: "phone", Label: "Phone", Maps: "phone"},
		{Name: "country", Label: "Country", Maps: "country"},
		{Name: "when", Label: "When", Type: FieldDate, Required: true},
	}
	in := FormInput{Name: ptrS("F"), Fields: &fields}
	err := in.Validate(true, defs)
	if got := fieldErr(err); got != "fields[3].name:invalid_key" {
		t.Fatalf("errors = %s", got)
	}
	if fields[0].Type != FieldEmail || fields[1].Type != FieldSelect || strings.Join(fields[1].Options, ",") != "gold,silver" ||
		fields[2].Type != FieldCheckbox || fields[2].Name != "vip" || fields[4].Type != FieldPhone {
		t.Errorf("mapped types = %+v", fields)
	}
	f := &Form{Fields: append(fields[:3:3], fields[4:]...)}
	vals, err := f.Check(map[string][]string{"email": {"A@B.example"}, "tier": {"gold"}, "vip": {"yes"}, "phone": {"020 7946 0958"},
		"country": {"gb"}, "when": {"2026-02-30"}})
	if got := fieldErr(err); got != "when:invalid_date" {
		t.Errorf("check errors = %s", got)
	}
	if vals["email"] != "a@b.example" || vals["phone"] != "+442079460958" || vals["country"] != "GB" || vals["vip"] != true || vals["tier"] != "gold" {
		t.Errorf("clean values = %+v", vals)
	}
	if _, err := f.Check(map[string][]string{"email": {"a@b.example"}, "tier": {"bronze"}, "when": {"2026-02-01"}, "country": {"Britain"}}); fieldErr(err) != "tier:invalid_choice country:invalid_country" {
		t.Errorf("bad choice/country = %s", fieldErr(err))
	}
}

func ptrS(s string) *string { return &s }
