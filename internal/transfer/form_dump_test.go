package transfer_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillForms) }

type plainMailer struct{}

func (plainMailer) Notification(n crm.FormNotice) crm.MailMessage {
	return crm.MailMessage{Subject: "New submission", Text: n.ContactURL}
}
func (plainMailer) OptIn(o crm.FormOptInMail) crm.MailMessage {
	return crm.MailMessage{Subject: "Please confirm", Text: o.ConfirmURL}
}

// fillForms fills the form tables: a form whose consent wording has two
// versions, an accepted submission and a confirmed double opt-in one
// (with its confirmation time and IP).
func fillForms(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	doi := true
	f, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Newsletter"), DoubleOptIn: &doi, Language: ptr("fa"),
		Fields:   &[]crm.FormField{{Name: "email", Label: "ایمیل", Maps: "email", Required: true}, {Name: "note", Label: "Note", Type: crm.FieldTextarea}},
		Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "v1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateForm(ctx, f.ID, crm.FormInput{Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "v2"}}}); err != nil {
		t.Fatal(err)
	}
	topic := []crm.ConsentTopic{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail}}
	if _, err := db.SubmitForm(ctx, crm.FormSubmitInput{Slug: f.Slug, Values: map[string][]string{"email": {"form.one@example.com"}, "note": {"hi"}},
		IP: "198.51.100.4", UserAgent: "UA", VisitorID: "fedcba9876543210fedcba9876543210"}, plainMailer{}); err != nil {
		t.Fatal(err)
	}
	sub, err := db.SubmitForm(ctx, crm.FormSubmitInput{Slug: f.Slug, Values: map[string][]string{"email": {"form.two@example.com"}}, Ticked: topic, IP: "198.51.100.5"}, plainMailer{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := db.Signer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := db.ConfirmOptIn(ctx, signer.Token(crm.TokenOptIn, strconv.FormatInt(sub.ID, 10), time.Now().Add(time.Hour)), "203.0.113.8", "UA2"); err != nil {
		t.Fatal(err)
	}
}
