package store_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// testMailer writes plain messages so the store tests can read the links
// the store put in them.
type testMailer struct{}

func (testMailer) Notification(n crm.FormNotice) crm.MailMessage {
	return crm.MailMessage{Subject: "New submission: " + n.Form.Name, Text: n.ContactURL}
}

func (testMailer) OptIn(o crm.FormOptInMail) crm.MailMessage {
	return crm.MailMessage{Subject: "Please confirm", Text: o.ConfirmURL}
}

const wordingV1 = "Send me the monthly newsletter by email."

func newsletterForm(t *testing.T, db *store.DB, slug string, doi bool, owner *int64) *crm.Form {
	t.Helper()
	f, err := db.CreateForm(storetest.System(), crm.FormInput{Name: ptr("Newsletter " + slug), Slug: ptr(slug), DoubleOptIn: &doi, OwnerID: owner,
		Language: ptr("en"),
		Fields: &[]crm.FormField{
			{Name: "first_name", Label: "First name", Maps: "first_name"},
			{Name: "email", Label: "Email", Maps: "email", Required: true},
			{Name: "city", Label: "City", Maps: "city"},
			{Name: "company", Label: "Company", Maps: "company"},
			{Name: "message", Label: "Message", Type: crm.FieldTextarea, MaxLength: 100},
			{Name: "size", Label: "Team size", Type: crm.FieldNumber},
			{Name: "plan", Label: "Plan", Type: crm.FieldSelect, Options: []string{"basic", "pro"}},
		},
		Consents: &[]crm.FormConsent{
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: wordingV1},
			{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Wording: "Text me offers."},
		}})
	if err != nil {
		t.Fatalf("CreateForm: %v", err)
	}
	return f
}

func submit(t *testing.T, db *store.DB, slug string, vals url.Values, ticked ...crm.ConsentTopic) (*crm.FormSubmission, error) {
	t.Helper()
	return db.SubmitForm(storetest.System(), crm.FormSubmitInput{Slug: slug, Values: vals, Ticked: ticked,
		IP: "198.51.100.7", UserAgent: "Mozilla/5.0 test", Lang: "en"}, testMailer{})
}

var emailTopic = crm.ConsentTopic{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail}

func granted(t *testing.T, db *store.DB, contactID int64, topic crm.ConsentTopic) *crm.ConsentState {
	t.Helper()
	states, err := db.ConsentStates(storetest.System(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range states {
		if states[i].Purpose == topic.Purpose && states[i].Channel == topic.Channel {
			return &states[i]
		}
	}
	t.Fatalf("no state for %v", topic)
	return nil
}

func outbox(t *testing.T, db *store.DB, kind string) []store.OutboxRow {
	t.Helper()
	rows, err := store.Outbox(storetest.System(), db)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OutboxRow
	for _, r := range rows {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func fieldKeys(err error) []string {
	var out []string
	for _, fe := range crm.FieldErrors(err) {
		out = append(out, fe.Field+":"+fe.Key)
	}
	return out
}

// TestFormConsentVersions: the same wording keeps its version, a changed
// one gets the next and the old text stays in the history; slugs are
// unique and a form must ask for a required email.
func TestFormConsentVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		f := newsletterForm(t, db, "news", false, nil)
		if f.Consents[0].Version != 1 || f.Consents[1].Version != 1 || f.Status != crm.FormActive {
			t.Fatalf("created consents = %+v, status %s", f.Consents, f.Status)
		}
		same := f.Consents
		f2, err := db.UpdateForm(ctx, f.ID, crm.FormInput{Consents: &same, Title: ptr("Stay in touch")})
		if err != nil || f2.Consents[0].Version != 1 || f2.Title != "Stay in touch" {
			t.Fatalf("unchanged wording: %+v, %v", f2.Consents, err)
		}
		changed := []crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "Send me news and offers by email."}}
		f3, err := db.UpdateForm(ctx, f.ID, crm.FormInput{Consents: &changed})
		if err != nil || len(f3.Consents) != 1 || f3.Consents[0].Version != 2 {
			t.Fatalf("changed wording: %+v, %v", f3.Consents, err)
		}
		if got := f3.WordingVersion(f3.Consents[0]); got != fmt.Sprintf("form-%d/marketing.email/v2", f.ID) {
			t.Errorf("wording version = %q", got)
		}
		vs, err := db.FormConsentVersions(ctx, f.ID)
		if err != nil || len(vs) != 3 || vs[0].Version != 2 || vs[len(vs)-1].Wording != wordingV1 {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		// Back to the first wording is a new version too: the history is
		// a sequence of what was shown, not a set.
		back := []crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: wordingV1}}
		if f4, err := db.UpdateForm(ctx, f.ID, crm.FormInput{Consents: &back}); err != nil || f4.Consents[0].Version != 3 {
			t.Fatalf("reverted wording: %+v, %v", f4, err)
		}

		_, err = db.CreateForm(ctx, crm.FormInput{Name: ptr("Other"), Slug: ptr("news")})
		if crm.ErrorCode(err) != crm.ECONFLICT || !strings.Contains(strings.Join(fieldKeys(err), " "), "slug:slug_taken") {
			t.Errorf("duplicate slug: %v", err)
		}
		_, err = db.CreateForm(ctx, crm.FormInput{Name: ptr("No email"), Fields: &[]crm.FormField{{Name: "first_name", Label: "Name", Maps: "first_name"}},
			RedirectURL: ptr("javascript:alert(1)"), Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelWeb, Wording: "x"}}})
		got := strings.Join(fieldKeys(err), " ")
		for _, want := range []string{"fields:form_needs_email", "redirect_url:invalid_url", "consents[0].purpose:invalid_choice"} {
			if !strings.Contains(got, want) {
				t.Errorf("invalid form: %s lacks %s", got, want)
			}
		}
		_, err = db.CreateForm(ctx, crm.FormInput{Name: ptr("Optional email"), Slug: ptr("confirm"), Fields: &[]crm.FormField{{Label: "Email", Maps: "email"}}})
		got = strings.Join(fieldKeys(err), " ")
		if !strings.Contains(got, "fields[0].required:email_required") || !strings.Contains(got, "slug:invalid_slug") {
			t.Errorf("optional email / reserved slug: %s", got)
		}
		// A slug is made from the name.
		made, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Spring Webinar 2026!")})
		if err != nil || made.Slug != "spring-webinar-2026" || len(made.Fields) != 1 {
			t.Errorf("made slug = %+v, %v", made, err)
		}
	})
}

// TestFormSubmit: a submission creates the contact (owner, source, the
// mapped fields), writes the submission, the timeline entry, the owner's
// notification and the consent ledger in one go; a second submission
// with the address in other case finds the same contact and only fills
// what was empty.
func TestFormSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		_, owner := storetest.User(t, db, crm.RoleMarketing, "mia@example.com")
		f := newsletterForm(t, db, "news", false, &owner.ID)
		vals := url.Values{"first_name": {"Grace"}, "email": {" Grace@Example.COM "}, "company": {"Hopper Labs"}, "message": {"Hello <b>there</b>"},
			"size": {"12"}, "plan": {"pro"}, "ignored": {"x"}}
		sub, err := submit(t, db, "news", vals, emailTopic)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != crm.SubmissionAccepted || sub.ContactID == nil || sub.Values["email"] != "grace@example.com" || sub.Values["size"] != 12.0 {
			t.Fatalf("submission = %+v", sub)
		}
		if _, ok := sub.Values["ignored"]; ok {
			t.Errorf("a value outside the form was kept")
		}
		c, err := db.FindContactByID(ctx, *sub.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstName != "Grace" || c.Email != "grace@example.com" || c.Source != "form" || c.OwnerID == nil || *c.OwnerID != owner.ID ||
			c.CompanyName != "Hopper Labs" || c.Language != "en" {
			t.Errorf("contact = %+v", c)
		}
		acts, err := db.FindActivities(ctx, crm.ActivityFilter{ContactID: &c.ID})
		if err != nil || len(acts.Items) != 1 || acts.Items[0].Kind != crm.KindForm || !strings.Contains(acts.Items[0].Body, "Message: Hello <b>there</b>") ||
			!strings.Contains(acts.Items[0].Body, "✓ "+wordingV1) {
			t.Fatalf("timeline = %+v, %v", acts.Items, err)
		}
		st := granted(t, db, c.ID, emailTopic)
		if !st.Granted || st.Latest.Source != crm.SourceForm || st.Latest.SourceRef != "news" || st.Latest.Wording != wordingV1 ||
			st.Latest.WordingVersion != f.WordingVersion(f.Consents[0]) || st.Latest.IP != "198.51.100.7" || st.Latest.UserAgent != "Mozilla/5.0 test" {
			t.Errorf("email consent = %+v", st.Latest)
		}
		if sms := granted(t, db, c.ID, crm.ConsentTopic{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS}); sms.Latest != nil {
			t.Errorf("an unticked box recorded %+v", sms.Latest)
		}
		notes := outbox(t, db, crm.MailNotification)
		if len(notes) != 1 || notes[0].To != "mia@example.com" || notes[0].Text != fmt.Sprintf("%s/contacts/%d", crm.DefaultPublicURL, c.ID) ||
			notes[0].ContactID == nil || *notes[0].ContactID != c.ID {
			t.Fatalf("notification = %+v", notes)
		}
		if optins := outbox(t, db, crm.MailOptIn); len(optins) != 0 {
			t.Errorf("opt-in mail without double opt-in: %+v", optins)
		}

		// The same person again, address in other case: no new contact,
		// nothing overwritten, the empty city filled in.
		sub2, err := submit(t, db, "news", url.Values{"first_name": {"Mallory"}, "email": {"GRACE@example.com"}, "city": {"Arlington"}})
		if err != nil || *sub2.ContactID != c.ID {
			t.Fatalf("second submission = %+v, %v", sub2, err)
		}
		c2, _ := db.FindContactByID(ctx, c.ID)
		if c2.FirstName != "Grace" || c2.City != "Arlington" {
			t.Errorf("after second submission: first %q city %q", c2.FirstName, c2.City)
		}
		page, err := db.FindContacts(ctx, crm.ContactFilter{Email: "grace@example.com", Limit: 10})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("contacts with the address = %d, %v", len(page.Items), err)
		}
		// Without a box ticked, the earlier grant stands.
		if st := granted(t, db, c.ID, emailTopic); !st.Granted {
			t.Errorf("an unticked box withdrew the grant: %+v", st.Latest)
		}
		subs, err := db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID, Limit: 1})
		if err != nil || len(subs.Items) != 1 || subs.Items[0].ID != sub2.ID || subs.Next == "" {
			t.Fatalf("first page = %+v, %v", subs, err)
		}
		subs, err = db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID, After: subs.Next})
		if err != nil || len(subs.Items) != 1 || subs.Items[0].ID != sub.ID || subs.Items[0].ContactName != "Grace" || !subs.Items[0].Consents[0].Ticked {
			t.Fatalf("second page = %+v, %v", subs.Items, err)
		}
		if f, _ := db.FindFormByID(ctx, f.ID); f.Submissions != 2 {
			t.Errorf("submissions = %d", f.Submissions)
		}
		// A form with submissions is archived, not deleted.
		if err := db.DeleteForm(ctx, f.ID); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("delete with submissions: %v", err)
		}
		empty := newsletterForm(t, db, "empty", false, nil)
		if err := db.DeleteForm(ctx, empty.ID); err != nil {
			t.Errorf("delete empty form: %v", err)
		}
	})
}

// TestFormSubmitInvalid: bad or missing values are field errors named
// by the field, and nothing is written.
func TestFormSubmitInvalid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newsletterForm(t, db, "news", false, nil)
		_, err := submit(t, db, "news", url.Values{"email": {"not-an-address"}, "message": {strings.Repeat("x", 101)},
			"size": {"twelve"}, "plan": {"enterprise"}}, emailTopic)
		got := strings.Join(fieldKeys(err), " ")
		for _, want := range []string{"email:invalid_email", "message:too_long", "size:invalid_number", "plan:invalid_choice"} {
			if !strings.Contains(got, want) {
				t.Errorf("errors %s lack %s", got, want)
			}
		}
		if _, err := submit(t, db, "news", url.Values{"first_name": {"Ann"}}); !strings.Contains(strings.Join(fieldKeys(err), " "), "email:required") {
			t.Errorf("missing email: %v", err)
		}
		if _, err := submit(t, db, "missing", url.Values{"email": {"a@example.com"}}); crm.ErrorCode(err) != crm.ENOTFOUND {
			t.Errorf("unknown form: %v", err)
		}
		page, _ := db.FindContacts(storetest.System(), crm.ContactFilter{Limit: 10})
		if len(page.Items) != 0 || len(outbox(t, db, crm.MailNotification)) != 0 {
			t.Errorf("a refused submission wrote something")
		}
	})
}

var tokenRe = regexp.MustCompile(`/f/confirm/([^?\s]+)\?lang=en`)

// TestFormDoubleOptIn: nothing is granted at submission; the mailed link
// confirms once, with the confirmation's time and IP; a reused link is
// harmless, forged and expired ones are refused; one address gets at
// most crm.MaxOptInMails confirmation mails a day.
func TestFormDoubleOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		f := newsletterForm(t, db, "news", true, nil)
		sub, err := submit(t, db, "news", url.Values{"email": {"ada@example.com"}}, emailTopic)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Status != crm.SubmissionPending {
			t.Fatalf("status = %s", sub.Status)
		}
		if st := granted(t, db, *sub.ContactID, emailTopic); st.Granted || st.Latest != nil {
			t.Fatalf("granted before confirmation: %+v", st.Latest)
		}
		mails := outbox(t, db, crm.MailOptIn)
		if len(mails) != 1 || mails[0].To != "ada@example.com" {
			t.Fatalf("opt-in mails = %+v", mails)
		}
		m := tokenRe.FindStringSubmatch(mails[0].Text)
		if m == nil || !strings.HasPrefix(mails[0].Text, crm.DefaultPublicURL+"/f/confirm/") {
			t.Fatalf("no link in %q", mails[0].Text)
		}
		token := m[1]
		if _, s, err := db.FindOptIn(ctx, token); err != nil || s.ID != sub.ID {
			t.Fatalf("FindOptIn = %v, %v", s, err)
		}

		// Forged: another subject with the same signature, a changed
		// signature, garbage, another purpose's token.
		payload, mac, _ := strings.Cut(token, ".")
		signer, _ := db.Signer(ctx)
		for _, bad := range []string{token[:len(token)-2] + "xx", "AAAA." + mac, payload + ".", "garbage",
			signer.Token(crm.TokenPreferences, fmt.Sprint(sub.ID), time.Now().Add(time.Hour))} {
			if _, _, _, err := db.ConfirmOptIn(ctx, bad, "203.0.113.9", "UA"); !strings.Contains(strings.Join(fieldKeys(err), " "), "token:token_invalid") {
				t.Errorf("forged %q: %v", bad, err)
			}
		}
		if st := granted(t, db, *sub.ContactID, emailTopic); st.Latest != nil {
			t.Fatalf("a forged token granted: %+v", st.Latest)
		}

		_, s, already, err := db.ConfirmOptIn(ctx, token, "203.0.113.9", "Confirming browser")
		if err != nil || already || s.Status != crm.SubmissionConfirmed || s.ConfirmedAt == nil || s.ConfirmIP != "203.0.113.9" {
			t.Fatalf("confirm = %+v, already %v, %v", s, already, err)
		}
		st := granted(t, db, *sub.ContactID, emailTopic)
		if !st.Granted || st.Latest.Source != crm.SourceDoubleOptIn || st.Latest.IP != "203.0.113.9" || st.Latest.UserAgent != "Confirming browser" ||
			st.Latest.WordingVersion != f.WordingVersion(f.Consents[0]) || st.Latest.Wording != wordingV1 || st.Latest.At.Sub(*s.ConfirmedAt).Abs() > time.Second {
			t.Errorf("confirmed consent = %+v", st.Latest)
		}
		hist, _ := db.ConsentHistory(ctx, *sub.ContactID, 100)
		// Reused: harmless, reported as already confirmed, no new entry.
		if _, _, already, err := db.ConfirmOptIn(ctx, token, "192.0.2.1", "Scanner"); err != nil || !already {
			t.Errorf("reused token: already %v, %v", already, err)
		}
		if again, _ := db.ConsentHistory(ctx, *sub.ContactID, 100); len(again) != len(hist) || len(hist) != 1 {
			t.Errorf("ledger entries after reuse = %d, before %d", len(again), len(hist))
		}
		subs, _ := db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID, Status: crm.SubmissionConfirmed})
		if len(subs.Items) != 1 || subs.Items[0].ConfirmIP != "203.0.113.9" {
			t.Errorf("confirmed submissions = %+v", subs.Items)
		}

		// Expired: a new submission's link, opened eight days later.
		sub2, err := submit(t, db, "news", url.Values{"email": {"bob@example.com"}}, emailTopic)
		if err != nil {
			t.Fatal(err)
		}
		link := outbox(t, db, crm.MailOptIn)[1].Text
		token2 := tokenRe.FindStringSubmatch(link)[1]
		real := db.Now
		db.Now = func() time.Time { return real().Add(crm.OptInExpiry + 24*time.Hour) }
		_, _, _, err = db.ConfirmOptIn(ctx, token2, "203.0.113.9", "UA")
		db.Now = real
		if !strings.Contains(strings.Join(fieldKeys(err), " "), "token:token_expired") {
			t.Errorf("expired token: %v", err)
		}
		if st := granted(t, db, *sub2.ContactID, emailTopic); st.Latest != nil {
			t.Errorf("an expired token granted: %+v", st.Latest)
		}

		// Ticking nothing on a double opt-in form needs no confirmation.
		sub3, err := submit(t, db, "news", url.Values{"email": {"carol@example.com"}})
		if err != nil || sub3.Status != crm.SubmissionAccepted {
			t.Errorf("nothing ticked: %+v, %v", sub3, err)
		}
		// List bombing one address: the confirmation mails stop at the cap.
		for range crm.MaxOptInMails + 2 {
			if _, err := submit(t, db, "news", url.Values{"email": {"victim@example.com"}}, emailTopic); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		for _, m := range outbox(t, db, crm.MailOptIn) {
			if m.To == "victim@example.com" {
				n++
			}
		}
		if n != crm.MaxOptInMails {
			t.Errorf("confirmation mails to one address = %d, want %d", n, crm.MaxOptInMails)
		}
	})
}

// TestFormLinksVisitor: a submission carrying the tracking visitor id
// links that visitor to the contact (the form is the proof), in the
// submission's transaction; a malformed id is dropped.
func TestFormLinksVisitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newsletterForm(t, db, "news", false, nil)
		vid := strings.Repeat("ab12", 8)
		sub, err := db.SubmitForm(storetest.System(), crm.FormSubmitInput{Slug: "news", Values: url.Values{"email": {"vera@example.com"}},
			VisitorID: vid, IP: "198.51.100.7"}, testMailer{})
		if err != nil || sub.VisitorID != vid {
			t.Fatalf("submission = %+v, %v", sub, err)
		}
		v, err := db.FindVisitor(storetest.System(), vid)
		if err != nil || v.ContactID == nil || *v.ContactID != *sub.ContactID {
			t.Fatalf("visitor = %+v, %v", v, err)
		}
		bad, err := db.SubmitForm(storetest.System(), crm.FormSubmitInput{Slug: "news", Values: url.Values{"email": {"walt@example.com"}},
			VisitorID: "<script>"}, testMailer{})
		if err != nil || bad.VisitorID != "" {
			t.Errorf("malformed visitor id kept: %+v, %v", bad, err)
		}
	})
}

// TestFormSubmissionsFollowMerge: merging contacts moves the merged-away
// contact's submissions to the kept one; deleting (erasing) the contact
// removes them with what they typed.
func TestFormSubmissionsFollowMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		f := newsletterForm(t, db, "news", false, nil)
		a, err := submit(t, db, "news", url.Values{"email": {"ann@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := submit(t, db, "news", url.Values{"email": {"ann.work@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.MergeContacts(ctx, *a.ContactID, *b.ContactID); err != nil {
			t.Fatal(err)
		}
		subs, _ := db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID})
		for _, s := range subs.Items {
			if s.ContactID == nil || *s.ContactID != *a.ContactID {
				t.Errorf("after merge, submission %d has contact %v, want %d", s.ID, s.ContactID, *a.ContactID)
			}
		}
		if err := db.DeleteContact(ctx, *a.ContactID); err != nil {
			t.Fatal(err)
		}
		subs, _ = db.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: f.ID})
		if len(subs.Items) != 0 {
			t.Errorf("after deleting the contact: %+v", subs.Items)
		}
	})
}
