package crm

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{" Sara@Example.COM ", "sara@example.com", true},
		{"hanako.yamada+crm@example.jp", "hanako.yamada+crm@example.jp", true},
		{"no-at-sign", "", false},
		{"Sara <sara@example.com>", "", false},
		{"sara@localhost", "", false},
		{"a@b.c\x00", "", false},
		{strings.Repeat("a", 250) + "@example.com", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, ok := NormalizeEmail(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		in, country, want string
		ok                bool
	}{
		{"0912 345 6789", "IR", "+989123456789", true},
		{"۰۹۱۲ ۳۴۵ ۶۷۸۹", "IR", "+989123456789", true}, // Persian digits from a phone keyboard
		{"090-1234-5678", "JP", "+819012345678", true},
		{"+1 (415) 555-0100", "", "+14155550100", true},
		{"+44 20 7946 0958", "US", "+442079460958", true},
		{"415 555 0100", "", "", false}, // national number without a country
		{"12", "US", "", false},
		{"call me", "US", "", false},
	}
	for _, tc := range cases {
		got, ok := NormalizePhone(tc.in, tc.country)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, %v", tc.in, tc.country, got, ok, tc.want, tc.ok)
		}
	}
}

func TestContactInputValidate(t *testing.T) {
	defs := []*CustomField{
		{Key: "tier", Type: "select", Options: []string{"gold", "silver"}},
		{Key: "score", Type: "number"},
		{Key: "vip", Type: "boolean"},
		{Key: "since", Type: "date"},
		{Key: "likes", Type: "multi_select", Options: []string{"music", "books"}},
		{Key: "region_code", Type: "text", Required: true},
	}
	s := func(v string) *string { return &v }
	in := ContactInput{FirstName: s("  Sara "), Email: s("SARA@example.com"), Country: s("ir"), Phone: s("09123456789"),
		Tags: &[]string{"VIP", " vip", "b2b"}, Stage: s("lead"),
		Custom: map[string]any{"tier": "gold", "score": "12.5", "vip": "on", "since": "2024-02-29", "likes": []any{"music"}, "region_code": "T1"}}
	if err := in.Validate(true, defs); err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if *in.FirstName != "Sara" || *in.Email != "sara@example.com" || *in.Country != "IR" || *in.Phone != "+989123456789" {
		t.Errorf("not normalised: %q %q %q %q", *in.FirstName, *in.Email, *in.Country, *in.Phone)
	}
	if !slices.Equal(*in.Tags, []string{"vip", "b2b"}) {
		t.Errorf("tags = %v", *in.Tags)
	}
	if in.Custom["score"] != 12.5 || in.Custom["vip"] != true || !slices.Equal(in.Custom["likes"].([]string), []string{"music"}) {
		t.Errorf("custom not coerced: %#v", in.Custom)
	}

	bad := []struct {
		name  string
		in    ContactInput
		field string
		key   string
	}{
		{"unknown custom", ContactInput{LastName: s("x"), Custom: map[string]any{"nope": 1, "region_code": "a"}}, "custom.nope", "unknown_field"},
		{"option not offered", ContactInput{LastName: s("x"), Custom: map[string]any{"tier": "platinum", "region_code": "a"}}, "custom.tier", "invalid_value"},
		{"required custom", ContactInput{LastName: s("x")}, "custom.region_code", "required"},
		{"future birth date", ContactInput{LastName: s("x"), BirthDate: s("2999-01-01"), Custom: map[string]any{"region_code": "a"}}, "birth_date", "invalid_date"},
		{"country", ContactInput{LastName: s("x"), Country: s("Iran"), Custom: map[string]any{"region_code": "a"}}, "country", "invalid_country"},
		{"NUL in name", ContactInput{LastName: s("a\x00b"), Custom: map[string]any{"region_code": "a"}}, "last_name", "invalid_utf8"},
		{"comma in tag", ContactInput{LastName: s("x"), Tags: &[]string{"a,b"}, Custom: map[string]any{"region_code": "a"}}, "tags", "invalid_tag"},
		{"second email", ContactInput{LastName: s("x"), Emails: &[]string{"ok@example.com", "nope"}, Custom: map[string]any{"region_code": "a"}}, "emails[1]", "invalid_email"},
	}
	for _, tc := range bad {
		err := tc.in.Validate(true, defs)
		fe := FieldErrors(err)
		if ErrorCode(err) != EINVALID || len(fe) == 0 || fe[0].Field != tc.field || fe[0].Key != tc.key {
			t.Errorf("%s: got %v, want %s %s", tc.name, fe, tc.field, tc.key)
		}
	}
}

func TestPermissions(t *testing.T) {
	if !RoleCan(RoleAdmin, P(ResAudit, Read)) || RoleCan(RoleManager, P(ResAudit, Read)) {
		t.Error("only admins read the audit log")
	}
	if RoleCan(RoleReadOnly, P(ResContacts, Write)) || !RoleCan(RoleReadOnly, P(ResContacts, Read)) {
		t.Error("read-only reads but never writes")
	}
	if RoleCan(RoleSupport, P(ResCompanies, Write)) || !RoleCan(RoleSupport, P(ResContacts, Write)) {
		t.Error("support edits contacts, reads companies")
	}
	key := &Actor{APIKeyID: 1, Scopes: []string{"contacts:write"}}
	if !key.Can(P(ResContacts, Read)) || !key.Can(P(ResContacts, Write)) || key.Can(P(ResCompanies, Read)) {
		t.Error("contacts:write implies contacts:read and nothing else")
	}
	if !(&Actor{APIKeyID: 1, Scopes: []string{"*"}}).Can(P(ResAudit, Read)) {
		t.Error("* grants everything")
	}
	var nobody *Actor
	if nobody.Can(P(ResContacts, Read)) {
		t.Error("a nil actor can do nothing")
	}
	for s, ok := range map[string]bool{"contacts:read": true, "*": true, "contacts:delete": false, "secrets:read": false, "contacts": false} {
		if _, got := ParseScope(s); got != ok {
			t.Errorf("ParseScope(%q) = %v, want %v", s, got, ok)
		}
	}
	own := &Actor{UserID: 3, OwnOnly: true}
	if !own.Restricted() || SystemActor.Restricted() {
		t.Error("own-only applies to users, never to the system")
	}
}
