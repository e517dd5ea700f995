package crm

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"
)

// MinPassword is the shortest password accepted, in characters.
const MinPassword = 10

//go:embed passwords_common.txt
var commonPasswordsText string

// commonPasswords is passwords_common.txt as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = struct{}{}
		}
	}
	return m
})

// checkPassword adds to v what is wrong with a new password, as NIST SP
// 800-63B (5.1.1.2) asks of a verifier: long enough, not a commonly used
// password, not built from the context of the account (its email address,
// the person's name, the product). There are no composition rules, which
// the same guideline advises against. context holds the account's email
// and name when known.
func checkPassword(v *Validation, field, pw string, context ...string) {
	if n := utf8.RuneCountInString(pw); n < MinPassword || n > 200 {
		v.Add(field, "password_length", MinPassword)
		return
	}
	if personalPassword(pw, context) {
		v.Add(field, "password_personal")
		return
	}
	if commonPassword(pw) {
		v.Add(field, "password_common")
	}
}

// CheckNewPassword returns a validation error when pw may not be set as
// the password of the account with this email and name.
func CheckNewPassword(pw, email, name string) error {
	var v Validation
	checkPassword(&v, "password", pw, email, name)
	return v.Err()
}

// trimmable are the characters people put around a word to satisfy a
// composition rule: digits, symbols, spaces.
const trimmable = "0123456789 !@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~"

// commonPassword: the password, or the word inside its digits and
// symbols, is on the list, spelt plainly or in l33t; or it is one short
// or common piece repeated.
func commonPassword(pw string) bool {
	lower := strings.ToLower(strings.TrimSpace(pw))
	common := commonPasswords()
	for _, s := range candidates(lower) {
		if _, ok := common[s]; ok {
			return true
		}
	}
	for size := 1; size <= len(lower)/2; size++ {
		if len(lower)%size == 0 && strings.Repeat(lower[:size], len(lower)/size) == lower {
			if _, ok := common[lower[:size]]; ok || size <= 3 {
				return true
			}
		}
	}
	return false
}

// candidates are the spellings of a lowercased password looked up in the
// list: as is, without spaces, without the digits and symbols around it,
// and each of those with l33t letters undone.
func candidates(lower string) []string {
	out := []string{lower, strings.ReplaceAll(lower, " ", "")}
	if stem := strings.Trim(lower, trimmable); len(stem) >= 4 && stem != lower {
		out = append(out, stem, strings.ReplaceAll(stem, " ", ""))
	}
	for _, s := range out[:len(out):len(out)] {
		for _, r := range leet {
			if t := r.Replace(s); t != s {
				out = append(out, t, strings.Trim(t, trimmable))
			}
		}
	}
	return out
}

// leet undoes the usual substitutions; "1" may stand for i or l.
var leet = []*strings.Replacer{
	strings.NewReplacer("@", "a", "4", "a", "0", "o", "3", "e", "1", "i", "!", "i", "$", "s", "5", "s", "7", "t", "+", "t"),
	strings.NewReplacer("@", "a", "4", "a", "0", "o", "3", "e", "1", "l", "$", "s", "5", "s", "7", "t"),
}

// personalPassword: once the account's email, its local part, the
// person's name or a part of it, or the product's name is taken out,
// what is left is short, only digits and symbols, or itself common.
func personalPassword(pw string, context []string) bool {
	lower := strings.ToLower(strings.TrimSpace(pw))
	terms := []string{"ecrm"}
	for _, c := range context {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		terms = append(terms, c)
		if local, _, ok := strings.Cut(c, "@"); ok {
			terms = append(terms, local)
			terms = append(terms, strings.FieldsFunc(local, func(r rune) bool { return strings.ContainsRune("._-+", r) })...)
		}
		terms = append(terms, strings.Fields(c)...)
	}
	for _, t := range terms {
		if utf8.RuneCountInString(t) < 3 || !strings.Contains(lower, t) {
			continue
		}
		rest := strings.Trim(strings.ReplaceAll(lower, t, ""), trimmable)
		if utf8.RuneCountInString(rest) < 4 || commonPassword(rest) {
			return true
		}
	}
	return false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
