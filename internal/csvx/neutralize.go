// Package csvx reads and writes the CSV files ecrm's users exchange with
// spreadsheets: it guesses the encoding Excel used (UTF-8 with or without a
// BOM, UTF-16, Shift_JIS), reports problems by physical line so an import can
// name the row to fix, and writes cells that a spreadsheet will not run as
// formulas (CSV injection).
package csvx

import (
	"unicode"
	"unicode/utf8"
)

// Neutralize makes a cell safe to open in Excel, LibreOffice or Google
// Sheets by prefixing a single quote (') when the spreadsheet could read it
// as a formula: when its first character, after any leading whitespace,
// control or invisible format characters (bidi marks, zero-width spaces, a
// stray BOM, bytes that are not UTF-8), is one of = + - @, or when the value
// starts with a TAB or CR. Everything else is returned unchanged.
//
// Plain negative numbers such as "-12.5" are prefixed too. Telling a number
// from a formula would mean parsing numbers the way each spreadsheet does in
// each locale ("-1,5", "-1e5", "-2+3" is a formula, "-A1" is a reference),
// and one mistake is code execution on a colleague's machine, while the cost
// of the quote is cosmetic; Unneutralize removes it when the file comes back.
//
// Leading characters are skipped before the check because spreadsheets and
// users trim them: " =1+1" and "\u200f=HYPERLINK(...)" are as dangerous as
// "=1+1".
func Neutralize(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

// Unneutralize undoes Neutralize for a value read back from a file ecrm
// exported (phone numbers such as "'+98 912…" would otherwise be imported
// with the quote). It strips the leading quote only when the rest is a value
// Neutralize would have prefixed, so ordinary values that start with a quote
// ("'90s") survive. Neutralize maps both "=1" and "'=1" to "'=1", so a value
// that itself started with a quote followed by a formula character cannot be
// told apart and comes back without its quote.
func Unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsQuote(s[1:]) {
		return s[1:]
	}
	return s
}

func needsQuote(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '\t' || s[0] == '\r' {
		return true
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '=' || r == '+' || r == '-' || r == '@':
			return true
		case r == utf8.RuneError:
			// Not UTF-8 (or U+FFFD, what a bad byte becomes): a spreadsheet
			// may show it as anything or drop it, so it cannot be trusted to
			// keep a following '=' harmless.
		case !skippable(r):
			return false
		}
		i += size
	}
	return false
}

// skippable reports whether r is whitespace or a control or format
// character, the characters a spreadsheet or a person may strip or not see
// in front of a formula.
func skippable(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
