package i18n

import (
	"slices"
	"strconv"
	"strings"
)

// Match picks the best of Langs for an Accept-Language header (RFC 9110
// §12.5.4): the supported language with the highest quality, the earlier
// one on a tie; "en" when nothing matches. Regions are ignored, so fa-AF
// and ja-JP match fa and ja. A malformed entry is skipped rather than
// rejecting the whole header, as browsers and proxies do produce odd ones.
func Match(acceptLanguage string) string {
	best, bestQ := "en", 0.0
	for item := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(item, ";")
		lang := primary(tag)
		if !slices.Contains(Langs, lang) {
			continue // includes "*": the default is English anyway
		}
		q, ok := quality(params)
		if ok && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// quality returns the q parameter of an Accept-Language entry, 1 when
// absent. q=0 means "not acceptable" and never wins in Match.
func quality(params string) (float64, bool) {
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
