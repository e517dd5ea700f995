package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// The mail console (admins): the SMTP settings, a test send that shows
// the server's answer at once, and the outbox with retries. The SMTP
// password is write-only: the form never holds it, not even when it is
// shown again with errors.

// mailPageSize is the outbox page.
const mailPageSize = 50

type mailPage struct {
	Settings *crm.MailSettings
	TLSModes []string
	Statuses []string
	Kinds    []string
	Status   string
	Kind     string
	Outbox   []*crm.MailOutboxEntry
	Next     string // URL of the next (older) page
	Pending  int
	Test     *mailTest
	Filters  [][]mailFilterLink // by state, by kind
}

// mailFilterLink is one choice of an outbox filter.
type mailFilterLink struct {
	Label   string // catalogue key
	URL     string
	Current bool
}

// mailTest is the outcome of a test send as the page shows it.
type mailTest struct {
	To     string
	Result *crm.MailTestResult
	Error  string // a refusal before any SMTP (not configured, bad address)
}

// mailDone are the notices a redirect back to the page may ask for.
var mailDone = []string{"saved", "retry", "retry_failed"}

func (s *server) mailView(r *http.Request, vals url.Values) (*view, error) {
	ctx := r.Context()
	st, err := s.svc.Mail.MailSettings(ctx)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	p := mailPage{Settings: st, TLSModes: crm.MailTLSModes, Statuses: crm.MailStatuses, Kinds: crm.MailKinds}
	if slices.Contains(crm.MailStatuses, q.Get("status")) {
		p.Status = q.Get("status")
	}
	if slices.Contains(crm.MailKinds, q.Get("kind")) {
		p.Kind = q.Get("kind")
	}
	page, err := s.svc.Mail.FindMailOutbox(ctx, crm.MailOutboxFilter{Status: p.Status, Kind: p.Kind, After: q.Get("after"), Limit: mailPageSize})
	if err != nil {
		return nil, err
	}
	p.Outbox = page.Items
	byStatus := []mailFilterLink{{"console.list.any", "/admin/mail?" + mailFilter("", p.Kind, "") + "#outbox", p.Status == ""}}
	for _, st := range crm.MailStatuses {
		byStatus = append(byStatus, mailFilterLink{"mail.status." + st, "/admin/mail?" + mailFilter(st, p.Kind, "") + "#outbox", p.Status == st})
	}
	byKind := []mailFilterLink{{"mail.all_kinds", "/admin/mail?" + mailFilter(p.Status, "", "") + "#outbox", p.Kind == ""}}
	for _, k := range crm.MailKinds {
		byKind = append(byKind, mailFilterLink{"mail.kind." + k, "/admin/mail?" + mailFilter(p.Status, k, "") + "#outbox", p.Kind == k})
	}
	p.Filters = [][]mailFilterLink{byStatus, byKind}
	if page.Next != "" {
		p.Next = "/admin/mail?" + mailFilter(p.Status, p.Kind, page.Next) + "#outbox"
	}
	if !st.Configured {
		if p.Pending, err = s.svc.Mail.PendingMail(ctx); err != nil {
			return nil, err
		}
	}
	v := s.newView(r, "admin")
	v.Title = v.L.T("mail.title")
	if vals == nil {
		vals = url.Values{"host": {st.Host}, "port": {strconv.Itoa(st.Port)}, "tls": {st.TLS}, "username": {st.Username},
			"from_address": {st.FromAddress}, "from_name": {st.FromName}, "reply_to": {st.ReplyTo}, "public_url": {st.PublicURL}}
	}
	vals.Del("password")
	v.Form = newForm(vals)
	v.Data = p
	if d := q.Get("done"); slices.Contains(mailDone, d) {
		v.Message = v.L.T("mail.done." + d)
	}
	return v, nil
}

// mailFilter is the query string of an outbox filter (and page).
func mailFilter(status, kind, after string) string {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if kind != "" {
		q.Set("kind", kind)
	}
	if after != "" {
		q.Set("after", after)
	}
	return q.Encode()
}

func (s *server) adminMail(w http.ResponseWriter, r *http.Request) error {
	v, err := s.mailView(r, nil)
	if err != nil {
		return err
	}
	return s.ok(w, r, "admin_mail", v)
}

// mailInput reads the settings form. An empty password field leaves the
// stored password alone; the "remove" box clears it.
func mailInput(f url.Values) (crm.MailSettingsInput, error) {
	str := func(k string) *string { v := f.Get(k); return &v }
	in := crm.MailSettingsInput{Host: str("host"), TLS: str("tls"), Username: str("username"), FromAddress: str("from_address"),
		FromName: str("from_name"), ReplyTo: str("reply_to"), PublicURL: str("public_url")}
	port := 0
	if p := strings.TrimSpace(f.Get("port")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			var v crm.Validation
			v.Add("port", "invalid_value")
			return in, v.Err()
		}
		port = n
	}
	in.Port = &port
	switch {
	case f.Get("remove_password") != "":
		in.Password = new(string)
	case f.Get("password") != "":
		in.Password = str("password")
	}
	return in, nil
}

func (s *server) adminMailUpdate(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	in, err := mailInput(r.PostForm)
	if err == nil {
		_, err = s.svc.Mail.UpdateMailSettings(r.Context(), in)
	}
	if err != nil {
		v, verr := s.mailView(r, r.PostForm)
		if verr != nil {
			return verr
		}
		return redisplay(err, "admin_mail", v)
	}
	http.Redirect(w, r, "/admin/mail?done=saved", http.StatusSeeOther)
	return nil
}

// adminMailTest sends a test message and shows how the SMTP conversation
// ended: a fragment for htmx, else the whole page. The subject and text
// are in the admin's language (Persian or Japanese tests the encoding).
func (s *server) adminMailTest(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	to := strings.TrimSpace(r.PostFormValue("to"))
	l := stateOf(r).locale
	test := &mailTest{To: to}
	res, err := s.svc.Mail.SendTestMail(r.Context(), crm.MailTestInput{To: to, Subject: l.T("mail.test.subject"),
		Text: l.T("mail.test.body", s.svc.Links.PublicURL(r.Context()))})
	switch code := crm.ErrorCode(err); {
	case err == nil:
		test.Result = res
	case code == crm.EINVALID:
		test.Error = l.T("error.invalid_email")
	case code == crm.ECONFLICT:
		test.Error = l.T("mail.test.not_configured")
	default:
		return err
	}
	v, err := s.mailView(r, nil)
	if err != nil {
		return err
	}
	p := v.Data.(mailPage)
	p.Test = test
	v.Data = p
	if isHTMX(r) {
		s.renderFragment(w, r, http.StatusOK, "admin_mail", "mail-test-htmx", v)
		return nil
	}
	return s.ok(w, r, "admin_mail", v)
}

func (s *server) adminMailRetry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Mail.RetryMail(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/mail?done=retry#outbox", http.StatusSeeOther)
	return nil
}

// adminMailRetryFailed queues every failed message again, for after the
// settings that made them fail are fixed.
func (s *server) adminMailRetryFailed(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.Mail.RetryFailedMail(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/mail?done=retry_failed#outbox", http.StatusSeeOther)
	return nil
}
