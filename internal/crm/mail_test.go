package crm

import "testing"

// TestMailSettingsApply: ports follow the TLS mode unless set, hosts are
// names or IPv4 addresses, and header values cannot carry line breaks.
func TestMailSettingsApply(t *testing.T) {
	s := func(v string) *string { return &v }
	n := func(v int) *int { return &v }
	base := MailSettings{TLS: MailTLSStartTLS, Port: 587}
	for _, c := range []struct {
		name    string
		cur     MailSettings
		in      MailSettingsInput
		port    int
		host    string
		invalid string
	}{
		{name: "implicit TLS moves the usual port", cur: base, in: MailSettingsInput{TLS: s(MailTLSImplicit)}, port: 465},
		{name: "a chosen port stays", cur: MailSettings{TLS: MailTLSStartTLS, Port: 2525}, in: MailSettingsInput{TLS: s(MailTLSImplicit)}, port: 2525},
		{name: "port 0 is the usual one", cur: base, in: MailSettingsInput{TLS: s(MailTLSNone), Port: n(0)}, port: 25},
		{name: "host folded", cur: base, in: MailSettingsInput{Host: s(" SMTP.Example.COM. "), FromAddress: s("a@example.com")}, port: 587, host: "smtp.example.com"},
		{name: "IPv4 host", cur: base, in: MailSettingsInput{Host: s("192.0.2.10"), FromAddress: s("a@example.com")}, port: 587, host: "192.0.2.10"},
		{name: "IPv6 host", cur: base, in: MailSettingsInput{Host: s("2001:db8::1"), FromAddress: s("a@example.com")}, invalid: "host"},
		{name: "host with a path", cur: base, in: MailSettingsInput{Host: s("smtp.example.com/x"), FromAddress: s("a@example.com")}, invalid: "host"},
		{name: "from name with a line break", cur: base, in: MailSettingsInput{FromName: s("Shop\nBcc: x@example.com")}, invalid: "from_name"},
		{name: "username with a line break", cur: base, in: MailSettingsInput{Username: s("u\r\nx")}, invalid: "username"},
		{name: "plain auth to localhost", cur: base, in: MailSettingsInput{Host: s("localhost"), TLS: s(MailTLSNone), Username: s("u"), FromAddress: s("a@example.com")}, port: 25, host: "localhost"},
		{name: "public URL with a path", cur: base, in: MailSettingsInput{PublicURL: s("https://example.com/crm/")}, port: 587},
		{name: "public URL with a query", cur: base, in: MailSettingsInput{PublicURL: s("https://example.com/?a=1")}, invalid: "public_url"},
	} {
		got, err := c.in.Apply(c.cur)
		if c.invalid != "" {
			fe := FieldErrors(err)
			if len(fe) == 0 || fe[0].Field != c.invalid {
				t.Errorf("%s: %v, want a %s error", c.name, err, c.invalid)
			}
			continue
		}
		if err != nil || got.Port != c.port || got.Host != c.host {
			t.Errorf("%s: %+v %v, want port %d host %q", c.name, got, err, c.port, c.host)
		}
	}
}
