package crm

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MaxWebhookURL bounds an endpoint URL.
const MaxWebhookURL = 2000

// Validate normalises the input in place and checks it. The URL check is
// about form; whether the address it resolves to may be called is decided
// when the worker dials (the SSRF guard), because DNS answers change.
func (in *WebhookInput) Validate(create bool) error {
	var v Validation
	if create && in.URL == nil {
		v.Add("url", "required")
	}
	if in.URL != nil {
		*in.URL = strings.TrimSpace(*in.URL)
		checkWebhookURL(&v, *in.URL)
	}
	cleanString(&v, "description", in.Description, MaxText, false)
	if in.Events != nil {
		*in.Events = normalizeEvents(&v, *in.Events)
	}
	if create && (in.Events == nil || len(*in.Events) == 0) {
		all := []string{WebhookAllEvents}
		in.Events = &all
	}
	if !create && in.Events != nil && len(*in.Events) == 0 {
		v.Add("events", "required")
	}
	return v.Err()
}

// normalizeEvents checks event names against EventTypes, drops
// duplicates, and folds a list holding "*" to just "*".
func normalizeEvents(v *Validation, events []string) []string {
	out := []string{}
	for _, e := range events {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == WebhookAllEvents:
			return []string{WebhookAllEvents}
		case !slices.Contains(EventTypes, e):
			v.Add("events", "unknown_event", e)
		case !slices.Contains(out, e):
			out = append(out, e)
		}
	}
	// Stored in the order of EventTypes, so equal subscriptions compare equal.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(EventTypes, a) - slices.Index(EventTypes, b) })
	return out
}

// checkWebhookURL adds a field error when raw is not a URL webhooks may
// be sent to.
func checkWebhookURL(v *Validation, raw string) {
	if raw == "" {
		v.Add("url", "required")
		return
	}
	if len(raw) > MaxWebhookURL {
		v.Add("url", "too_long", MaxWebhookURL)
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Fragment != "" || strings.Contains(raw, "#"):
		v.Add("url", "invalid_url")
	case u.Scheme != "https" && u.Scheme != "http":
		v.Add("url", "webhook_scheme")
	case u.User != nil:
		// Credentials in a URL end up in logs and the console; receivers
		// authenticate the sender by the signature instead.
		v.Add("url", "webhook_credentials")
	case u.Hostname() == "" || !validPort(u.Port()):
		v.Add("url", "webhook_host")
	case !isIPLiteral(u.Hostname()) && !ValidWebhookHost(u.Hostname()):
		// A literal IP passes: the dial-time guard decides about it.
		v.Add("url", "webhook_host")
	}
}

// validPort accepts no port or 1–65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

func isIPLiteral(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

// ValidWebhookHost accepts DNS names only. A last label of digits (or 0x…)
// is no domain name but one of the other ways to write an IPv4 address
// (2130706433, 0x7f000001, 127.1) that resolvers interpret differently;
// refusing them keeps what the console shows equal to what is called.
func ValidWebhookHost(h string) bool {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				// Internationalised names must be sent in their xn-- form.
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.HasPrefix(last, "0x") {
		return false
	}
	return strings.Trim(last, "0123456789") != ""
}
