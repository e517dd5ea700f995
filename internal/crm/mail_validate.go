package crm

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// hostRe is a DNS name (letters, digits, hyphens, dots); IP addresses are
// checked apart.
var hostRe = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$`)

// Apply checks the input and returns the settings it makes from cur;
// the password (nil: unchanged) is validated and returned apart, since it
// never belongs to MailSettings.
func (in MailSettingsInput) Apply(cur MailSettings) (MailSettings, error) {
	var v Validation
	s := cur
	line := func(field string, p *string, max int) {
		cleanString(&v, field, p, max, false)
		// A line break in a header value would start a new header.
		if p != nil && strings.ContainsAny(*p, "\r\n") {
			v.Add(field, "invalid_value")
		}
	}
	if in.Host != nil {
		h := strings.ToLower(strings.TrimSpace(*in.Host))
		// IPv6 literals are refused: the SMTP library joins host and port
		// with a bare colon. A name that resolves to IPv6 works.
		ip := net.ParseIP(h)
		if h != "" && (ip != nil && ip.To4() == nil || ip == nil && (len(h) > 253 || !hostRe.MatchString(h))) {
			v.Add("host", "mail_host")
		}
		s.Host = strings.TrimSuffix(h, ".")
	}
	if in.TLS != nil {
		if !slices.Contains(MailTLSModes, *in.TLS) {
			v.Add("tls", "invalid_choice")
		}
		// A port left at the old mode's usual one follows the mode.
		if in.Port == nil && cur.Port == MailDefaultPort(cur.TLS) {
			s.Port = 0
		}
		s.TLS = *in.TLS
	}
	if s.TLS == "" {
		s.TLS = MailTLSStartTLS
	}
	if in.Port != nil {
		if *in.Port < 0 || *in.Port > 65535 {
			v.Add("port", "out_of_range")
		}
		s.Port = *in.Port
	}
	if s.Port == 0 {
		s.Port = MailDefaultPort(s.TLS)
	}
	if in.Username != nil {
		line("username", in.Username, MaxEmail)
		s.Username = *in.Username
	}
	if in.Password != nil {
		if len(*in.Password) > MaxText {
			v.Add("password", "too_long", MaxText)
		} else if strings.ContainsAny(*in.Password, "\r\n\x00") {
			v.Add("password", "invalid_value")
		}
	}
	email := func(field string, p *string, dst *string) {
		if p == nil {
			return
		}
		e := strings.TrimSpace(*p)
		if e != "" {
			var ok bool
			if e, ok = NormalizeEmail(e); !ok {
				v.Add(field, "invalid_email")
			}
		}
		*dst = e
	}
	email("from_address", in.FromAddress, &s.FromAddress)
	email("reply_to", in.ReplyTo, &s.ReplyTo)
	if in.FromName != nil {
		line("from_name", in.FromName, MaxName)
		s.FromName = *in.FromName
	}
	if in.PublicURL != nil {
		u := strings.TrimRight(strings.TrimSpace(*in.PublicURL), "/")
		if u != "" && !validPublicURL(u) {
			v.Add("public_url", "mail_public_url")
		}
		s.PublicURL = u
	}
	if s.Host != "" && s.FromAddress == "" && !hasField(&v, "from_address") {
		v.Add("from_address", "required")
	}
	// A password sent in the clear to another machine can be read on the
	// way; the sending library refuses it too, but only when it sends.
	if s.TLS == MailTLSNone && s.Username != "" && s.Host != "" && !loopbackHost(s.Host) && !hasField(&v, "tls") {
		v.Add("tls", "mail_auth_tls")
	}
	if err := v.Err(); err != nil {
		return cur, err
	}
	s.Configured = s.Host != "" && s.FromAddress != ""
	return s, nil
}

// validPublicURL: an absolute http(s) URL of a host, without credentials,
// query or fragment; a path is allowed (ecrm behind a proxy at /crm).
func validPublicURL(raw string) bool {
	if len(raw) > 2000 {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Hostname() != "" &&
		u.User == nil && u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(raw, "?# \t\r\n")
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func hasField(v *Validation, field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
