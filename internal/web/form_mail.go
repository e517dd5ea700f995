package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
)

// formMailer writes the messages of a form submission in the reader's
// language: the owner's notification in the owner's, the confirmation
// in the language of the page the person filled in. The HTML parts go
// through html/template, so what a visitor typed is text in them, never
// markup.
type formMailer struct{}

var formMailHTML = template.Must(template.New("mail").Parse(`{{define "notice"}}<!doctype html><html lang="{{.L.Lang}}" dir="{{.L.Dir}}"><body>
<p>{{.Intro}}</p>
<table>{{range .Rows}}<tr><th align="start">{{.Label}}</th><td>{{.Value}}</td></tr>{{end}}</table>
{{with .Consents}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
</body></html>{{end}}
{{define "optin"}}<!doctype html><html lang="{{.L.Lang}}" dir="{{.L.Dir}}"><body>
<p>{{.Intro}}</p>
{{with .Consents}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p><a href="{{.Link}}">{{.LinkText}}</a></p>
<p><small>{{.Footer}}</small></p>
{{with .Prefs}}<p><small><a href="{{.}}">{{$.PrefsText}}</a></small></p>{{end}}
</body></html>{{end}}`))

type mailRow struct{ Label, Value string }

type mailData struct {
	L                     *i18n.Locale
	Intro, Link, LinkText string
	Footer                string
	Prefs, PrefsText      string
	Rows                  []mailRow
	Consents              []string
}

func mailLocale(lang string) *i18n.Locale {
	for _, l := range i18n.Langs {
		if l == lang {
			return i18n.Get(l)
		}
	}
	return i18n.Get("en")
}

func answerRows(f *crm.Form, s *crm.FormSubmission) []mailRow {
	var rows []mailRow
	for _, fd := range f.Fields {
		if v, ok := s.Values[fd.Name]; ok {
			rows = append(rows, mailRow{fd.Label, answerString(v)})
		}
	}
	return rows
}

func tickedWordings(s *crm.FormSubmission) []string {
	var out []string
	for _, c := range s.Consents {
		if c.Ticked {
			out = append(out, c.Wording)
		}
	}
	return out
}

// answerString writes a stored answer as text (JSON numbers are float64).
func answerString(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "✓"
		}
		return "—"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(x, ", ")
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

func renderMail(name string, d mailData) string {
	var b bytes.Buffer
	if err := formMailHTML.ExecuteTemplate(&b, name, d); err != nil {
		return ""
	}
	return b.String()
}

func (formMailer) Notification(n crm.FormNotice) crm.MailMessage {
	l := mailLocale(n.Owner.Language)
	who := n.Contact.Name()
	if who == "" {
		who = n.Contact.Email
	}
	introKey := "forms.mail.notice_existing"
	if n.Created {
		introKey = "forms.mail.notice_new"
	}
	d := mailData{L: l, Intro: l.T(introKey, n.Form.Name, who), Link: n.ContactURL, LinkText: l.T("forms.mail.open_contact"),
		Rows: answerRows(n.Form, n.Submission), Consents: tickedWordings(n.Submission)}
	if n.Submission.Status == crm.SubmissionPending {
		d.Consents = nil // nothing is granted until the person confirms
	}
	var t strings.Builder
	t.WriteString(d.Intro + "\n\n")
	for _, r := range d.Rows {
		fmt.Fprintf(&t, "%s: %s\n", r.Label, r.Value)
	}
	for _, c := range d.Consents {
		fmt.Fprintf(&t, "✓ %s\n", c)
	}
	fmt.Fprintf(&t, "\n%s: %s\n", d.LinkText, d.Link)
	return crm.MailMessage{Subject: oneLine(l.T("forms.mail.notice_subject", n.Form.Name)), Text: t.String(), HTML: renderMail("notice", d)}
}

func (formMailer) OptIn(o crm.FormOptInMail) crm.MailMessage {
	l := mailLocale(o.Lang)
	name := o.Form.Title
	if name == "" {
		name = o.Form.Name
	}
	d := mailData{L: l, Intro: l.T("forms.mail.optin_intro", name), Link: o.ConfirmURL, LinkText: l.T("forms.mail.optin_link"),
		Footer: l.T("forms.mail.optin_footer", l.DateTime(o.Expires)), Consents: tickedWordings(o.Submission),
		Prefs: o.PrefURL, PrefsText: l.T("forms.mail.preferences")}
	var t strings.Builder
	t.WriteString(d.Intro + "\n\n")
	for _, c := range d.Consents {
		fmt.Fprintf(&t, "✓ %s\n", c)
	}
	fmt.Fprintf(&t, "\n%s:\n%s\n\n%s\n", d.LinkText, d.Link, d.Footer)
	if d.Prefs != "" {
		fmt.Fprintf(&t, "\n%s: %s\n", d.PrefsText, d.Prefs)
	}
	return crm.MailMessage{ToName: oneLine(o.Contact.Name()), Subject: oneLine(l.T("forms.mail.optin_subject", name)), Text: t.String(), HTML: renderMail("optin", d)}
}

// oneLine keeps header values on one line (a form's name is typed by
// staff, a contact's name by a visitor).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
