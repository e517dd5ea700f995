package crm

import "testing"

func TestCheckNewPassword(t *testing.T) {
	const email, name = "sara.ahmadi@shop.example", "Sara Ahmadi"
	cases := []struct {
		pw   string
		want string // field error key, "" when accepted
	}{
		{"short1", "password_length"},
		{"password123456", "password_common"},
		{"PASSWORD123456", "password_common"},
		{"1234567890", "password_common"},
		{"qwertyuiop", "password_common"},
		{"Sunshine2024!", "password_common"},
		{"P@ssw0rd2026", "password_common"},
		{"iloveyou123", "password_common"},
		{"abcabcabcabc", "password_common"},
		{"dragondragon", "password_common"},
		{"1q2w3e4r5t", "password_common"},
		{"sara.ahmadi@shop.example", "password_personal"},
		{"SARA.AHMADI2024", "password_personal"},
		{"saraahmadi!!", "password_personal"},
		{"ahmadi123456", "password_personal"},
		{"ecrm12345678", "password_personal"},
		{"ecrm password", "password_personal"},
		{"correct horse battery", ""},
		{"violet tugboat oxygen", ""},
		{"سیب‌زمینی سرخ‌کرده", ""},
		{"ぶどうとりんごの木の下で", ""},
		{"sara likes quiet mornings", ""},
		{"8472910365", ""},
	}
	for _, tc := range cases {
		err := CheckNewPassword(tc.pw, email, name)
		got := ""
		if fe := FieldErrors(err); len(fe) > 0 {
			got = fe[0].Key
		}
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.pw, got, tc.want)
		}
	}
}

// TestUserInputRefusesCommonPasswords: creating a user with a common
// password or one made of the email given with it is refused on the
// password field.
func TestUserInputRefusesCommonPasswords(t *testing.T) {
	role := RoleSales
	for _, pw := range []string{"password123456", "nora.kimura2024"} {
		email, pw := "nora.kimura@shop.example", pw
		in := UserInput{Email: &email, Role: &role, Password: &pw}
		fe := FieldErrors(in.Validate(true))
		if len(fe) != 1 || fe[0].Field != "password" {
			t.Errorf("%q: %+v", pw, fe)
		}
	}
}
