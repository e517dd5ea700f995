package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/i18n"
	"github.com/ecrm/ecrm/internal/sign"
)

// The public side of forms: the hosted page, its embed script and the
// double opt-in confirmation. No login; every store call runs as the
// system actor whoever is signed in, and everything a visitor sends is
// bounded, checked and escaped.

// honeypotField is a text input hidden from people (off-screen, out of
// the tab order, autocomplete off); bots that fill every input fill it.
const honeypotField = "website_url"

// maxPublicForm bounds a submission's body.
const maxPublicForm = 64 << 10

// publicPage is the data of form_public.html.
type publicPage struct {
	Mode      string // form, done, confirm, confirmed, already, invalid, expired, notfound, error
	F         *crm.Form
	Stamp     string
	Embed     bool
	VisitorID string
	Message   string
	Ticked    map[string]bool
	Token     string
	Redirect  string
	Pending   bool
	Honeypot  string
	// Lang is the ?lang= the page was asked in, kept on the form's
	// action: inside a cross-site iframe the language cookie is not
	// sent, so the answer to the post would lose it.
	Lang string
}

// Topic is the form name of a consent box.
func (publicPage) Topic(c crm.FormConsent) string { return "consent." + c.Purpose + "." + c.Channel }

func sysCtx(r *http.Request) context.Context { return crm.WithActor(r.Context(), crm.SystemActor) }

// publicHeaders lets any site frame the form (it is made to be embedded)
// and keeps the rest of the console's strict policy. A redirect after a
// submission is a form navigation, so its origin joins form-action.
func publicHeaders(w http.ResponseWriter, f *crm.Form) {
	action := "'self'"
	if f != nil && f.RedirectURL != "" {
		if u, err := url.Parse(f.RedirectURL); err == nil {
			action += " " + u.Scheme + "://" + u.Host
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
		"form-action "+action+"; frame-ancestors *; base-uri 'none'; object-src 'none'")
	h.Del("X-Frame-Options")
}

func (s *server) publicView(r *http.Request, p *publicPage) *view {
	v := s.newView(r, "")
	v.Actor, v.User, v.CSRF = nil, nil, ""
	if p.F != nil {
		v.Title = p.F.Title
		if v.Title == "" {
			v.Title = p.F.Name
		}
	}
	v.Data = p
	return v
}

func (s *server) renderPublic(w http.ResponseWriter, r *http.Request, status int, p *publicPage, form *form) error {
	publicHeaders(w, p.F)
	v := s.publicView(r, p)
	if form != nil {
		v.Form = form
	}
	s.renderFragment(w, r, status, "form_public", "public", v)
	return nil
}

// publicError renders what a visitor sees instead of a form: not found,
// an invalid or expired link.
func (s *server) publicError(w http.ResponseWriter, r *http.Request, err error) error {
	switch crm.ErrorCode(err) {
	case crm.ENOTFOUND:
		return s.renderPublic(w, r, http.StatusNotFound, &publicPage{Mode: "notfound"}, nil)
	case crm.EINTERNAL:
		return err
	}
	mode, status := "error", statusFor(crm.ErrorCode(err))
	for _, fe := range crm.FieldErrors(err) {
		switch fe.Key {
		case "token_expired":
			mode, status = "expired", http.StatusGone
		case "token_invalid":
			mode, status = "invalid", http.StatusBadRequest
		}
	}
	return s.renderPublic(w, r, status, &publicPage{Mode: mode}, nil)
}

// stamp signs the time the form was rendered, for the timing check.
func (s *server) stamp(ctx context.Context, slug string) (string, error) {
	signer, err := s.svc.Links.Signer(ctx)
	if err != nil {
		return "", err
	}
	now := s.now()
	return signer.Token(crm.TokenFormStamp, slug+":"+strconv.FormatInt(now.UnixMilli(), 10), now.Add(crm.FormStampMaxAge)), nil
}

// checkStamp returns "" when the stamp is this form's, unexpired and at
// least crm.FormStampMinAge old, else the catalogue key of what is wrong.
func (s *server) checkStamp(ctx context.Context, slug, stamp string) (string, error) {
	signer, err := s.svc.Links.Signer(ctx)
	if err != nil {
		return "", err
	}
	subject, err := signer.Verify(crm.TokenFormStamp, stamp, s.now())
	if errors.Is(err, sign.ErrExpired) {
		return "forms.public.stale", nil
	}
	got, ms, ok := strings.Cut(subject, ":")
	at, perr := strconv.ParseInt(ms, 10, 64)
	if err != nil || !ok || got != slug || perr != nil {
		return "forms.public.stale", nil
	}
	if s.now().Sub(time.UnixMilli(at)) < crm.FormStampMinAge {
		return "forms.public.too_fast", nil
	}
	return "", nil
}

func (s *server) formPage(r *http.Request) (*crm.Form, *publicPage, error) {
	f, err := s.svc.Forms.FindPublicForm(sysCtx(r), r.PathValue("slug"))
	if err != nil {
		return nil, nil, err
	}
	p := &publicPage{Mode: "form", F: f, Honeypot: honeypotField, Ticked: map[string]bool{}}
	q := r.URL.Query()
	p.Embed = q.Get("embed") == "1" || r.PostFormValue("embed") == "1"
	if l := q.Get("lang"); slices.Contains(i18n.Langs, l) {
		p.Lang = l
	}
	vid := q.Get("vid")
	if vid == "" {
		vid = r.PostFormValue("vid")
	}
	if crm.VisitorIDRe.MatchString(vid) {
		p.VisitorID = vid
	}
	if p.Stamp, err = s.stamp(r.Context(), f.Slug); err != nil {
		return nil, nil, err
	}
	return f, p, nil
}

// publicForm is GET /f/{slug}: the hosted page, also what the embed's
// iframe shows (?embed=1).
func (s *server) publicForm(w http.ResponseWriter, r *http.Request) error {
	f, p, err := s.formPage(r)
	if err != nil {
		return s.publicError(w, r, err)
	}
	if s.forms.allowView(clientIP(r)) {
		if err := s.svc.Forms.CountFormView(sysCtx(r), f.ID); err != nil {
			s.log.Error("count form view", "form", f.ID, "err", err)
		}
	}
	return s.renderPublic(w, r, http.StatusOK, p, nil)
}

// publicSubmit is POST /f/{slug}. Refusals (rate limit, honeypot, timing,
// invalid fields) show the form again with the visitor's input and a
// message, with a 4xx status; nothing is stored for them.
func (s *server) publicSubmit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxPublicForm)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		return s.renderPublic(w, r, status, &publicPage{Mode: "error"}, nil)
	}
	f, p, err := s.formPage(r)
	if err != nil {
		return s.publicError(w, r, err)
	}
	l := stateOf(r).locale
	fm := newForm(r.PostForm)
	for _, c := range f.Consents {
		p.Ticked[p.Topic(c)] = r.PostForm.Get(p.Topic(c)) == "yes"
	}
	again := func(status int, key string) error {
		p.Message = l.T(key)
		fm.Values.Del(honeypotField)
		return s.renderPublic(w, r, status, p, fm)
	}
	if !s.forms.allowSubmit(clientIP(r), f.ID) {
		return again(http.StatusTooManyRequests, "forms.public.rate_limited")
	}
	if r.PostForm.Get(honeypotField) != "" {
		return again(http.StatusUnprocessableEntity, "forms.public.refused")
	}
	key, err := s.checkStamp(r.Context(), f.Slug, r.PostForm.Get("stamp"))
	if err != nil {
		return err
	}
	if key != "" {
		return again(http.StatusUnprocessableEntity, key)
	}
	in := crm.FormSubmitInput{Slug: f.Slug, Values: map[string][]string{}, IP: clientIP(r), UserAgent: r.UserAgent(),
		VisitorID: p.VisitorID, Lang: l.Lang()}
	for _, fd := range f.Fields {
		in.Values[fd.Name] = r.PostForm[fd.Name]
	}
	for _, c := range f.Consents {
		if p.Ticked[p.Topic(c)] {
			in.Ticked = append(in.Ticked, crm.ConsentTopic{Purpose: c.Purpose, Channel: c.Channel})
		}
	}
	sub, err := s.svc.Forms.SubmitForm(sysCtx(r), in, formMailer{})
	if err != nil {
		if crm.ErrorCode(err) == crm.EINVALID {
			fm.addErrors(l, err)
			return again(http.StatusUnprocessableEntity, "forms.public.fix")
		}
		return s.publicError(w, r, err)
	}
	if f.RedirectURL != "" && !p.Embed {
		http.Redirect(w, r, f.RedirectURL, http.StatusSeeOther)
		return nil
	}
	p.Mode, p.Redirect, p.Pending = "done", f.RedirectURL, sub.Status == crm.SubmissionPending
	return s.renderPublic(w, r, http.StatusOK, p, nil)
}

// embedScript is GET /f/{slug}/embed.js: a few lines that put the hosted
// form in an iframe after the script tag. The iframe is on ecrm's own
// origin, so the console's cross-origin protection still guards the
// submission; the tracking snippet's visitor id (there only after the
// visitor consented) rides along in the iframe's URL and, because the
// snippet may load after this script or consent may come later, again
// when the iframe asks for it (on load and on the first focus), sent to
// ecrm's origin only. The iframe reports its height; the script believes
// only messages from ecrm's origin and from its own iframe.
func (s *server) embedScript(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("part") != "embed.js" {
		return crm.Errorf(crm.ENOTFOUND, "no such file")
	}
	f, err := s.svc.Forms.FindPublicForm(sysCtx(r), r.PathValue("slug"))
	if err != nil {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("/* ecrm: no such form */\n"))
		return nil
	}
	origin := s.svc.Links.PublicURL(r.Context())
	src, _ := json.Marshal(origin + "/f/" + f.Slug + "?embed=1")
	org, _ := json.Marshal(origin)
	name := f.Title
	if name == "" {
		name = f.Name
	}
	title, _ := json.Marshal(name)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write([]byte(`(function(){"use strict";var O=` + string(org) + `,s=document.currentScript,u=` + string(src) + `;
function vid(){try{if(window.ecrm&&ecrm.visitorId){return ecrm.visitorId()||"";}}catch(e){}return "";}
var v=vid();if(v)u+="&vid="+encodeURIComponent(v);
var l=document.documentElement.lang;if(l)u+="&lang="+encodeURIComponent(l.slice(0,2));
var f=document.createElement("iframe");f.src=u;f.title=` + string(title) + `;
f.style.cssText="width:100%;max-width:40rem;border:0;height:32rem;display:block";
if(s&&s.parentNode){s.parentNode.insertBefore(f,s.nextSibling);}else{document.body.appendChild(f);}
window.addEventListener("message",function(e){if(e.origin!==O||e.source!==f.contentWindow||!e.data)return;var d=e.data;
if(d.type==="ecrm-form-height"&&typeof d.height==="number"&&d.height>0){f.style.height=Math.min(Math.ceil(d.height),8000)+"px";}
if(d.type==="ecrm-form-ready"){var id=vid();if(id)f.contentWindow.postMessage({type:"ecrm-visitor",id:id},O);}
if(d.type==="ecrm-form-redirect"&&typeof d.url==="string"&&/^https?:\/\//.test(d.url)){window.location.href=d.url;}});})();
`))
	return nil
}

// optInPage is GET /f/confirm/{token}: it only shows a button. Mail
// clients and scanners fetch links to preview them; confirming on GET
// would let them consent for the person.
func (s *server) optInPage(w http.ResponseWriter, r *http.Request) error {
	f, sub, err := s.svc.Forms.FindOptIn(sysCtx(r), r.PathValue("token"))
	if err != nil {
		return s.publicError(w, r, err)
	}
	p := &publicPage{Mode: "confirm", F: f, Token: r.PathValue("token")}
	if l := r.URL.Query().Get("lang"); slices.Contains(i18n.Langs, l) {
		p.Lang = l
	}
	if sub.Status == crm.SubmissionConfirmed {
		p.Mode = "already"
	}
	return s.renderPublic(w, r, http.StatusOK, p, nil)
}

// optInConfirm is POST /f/confirm/{token}: the person's click.
func (s *server) optInConfirm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxPublicForm)
	f, _, already, err := s.svc.Forms.ConfirmOptIn(sysCtx(r), r.PathValue("token"), clientIP(r), r.UserAgent())
	if err != nil {
		return s.publicError(w, r, err)
	}
	p := &publicPage{Mode: "confirmed", F: f}
	if already {
		p.Mode = "already"
	}
	return s.renderPublic(w, r, http.StatusOK, p, nil)
}

// Autocomplete is the autocomplete token of a mapped field, so phones
// fill the form in one tap.
func (publicPage) Autocomplete(maps string) string {
	return map[string]string{"email": "email", "first_name": "given-name", "last_name": "family-name", "phone": "tel",
		"company": "organization", "title": "organization-title", "city": "address-level2", "country": "country", "language": "language"}[maps]
}
