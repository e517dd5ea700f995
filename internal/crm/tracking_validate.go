package crm

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// MaxSiteOrigins bounds a site's allowed-origins list.
const MaxSiteOrigins = 20

var colorRe = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Validate normalises the input in place and checks it.
func (in *SiteInput) Validate(create bool) error {
	var v Validation
	cleanString(&v, "name", in.Name, MaxName, create || in.Name != nil)
	if in.Origins != nil {
		*in.Origins = normalizeOrigins(&v, *in.Origins)
	}
	if in.Color != nil {
		*in.Color = strings.TrimSpace(*in.Color)
		if *in.Color != "" && !colorRe.MatchString(*in.Color) {
			v.Add("banner_color", "invalid_value")
		}
	}
	if in.Position != nil && !slices.Contains(BannerPositions, *in.Position) {
		v.Add("banner_position", "invalid_choice")
	}
	if in.Language != nil && !slices.Contains(BannerLanguages, *in.Language) {
		v.Add("banner_language", "invalid_choice")
	}
	if in.PrivacyURL != nil {
		*in.PrivacyURL = strings.TrimSpace(*in.PrivacyURL)
		if p := *in.PrivacyURL; p != "" {
			u, err := url.Parse(p)
			switch {
			case len(p) > 2000:
				v.Add("privacy_url", "too_long", 2000)
			case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
				v.Add("privacy_url", "invalid_url")
			}
		}
	}
	return v.Err()
}

// NormalizeOrigin turns "https://Shop.example/" into "https://shop.example";
// it reports false for anything that is not a bare http(s) origin.
func NormalizeOrigin(s string) (string, bool) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || len(s) > 300 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

func normalizeOrigins(v *Validation, list []string) []string {
	out := []string{}
	for _, o := range list {
		if strings.TrimSpace(o) == "" {
			continue
		}
		n, ok := NormalizeOrigin(o)
		if !ok {
			v.Add("allowed_origins", "invalid_origin")
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > MaxSiteOrigins {
		v.Add("allowed_origins", "too_many", MaxSiteOrigins)
	}
	return out
}
