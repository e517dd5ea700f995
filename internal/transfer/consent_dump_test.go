package transfer_test

import (
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillConsent) }

// fillConsent writes a ledger entry with all its evidence and queues one
// message, so consents and mail_outbox round-trip.
func fillConsent(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	exp := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: contactID, Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail,
		Status: crm.ConsentGranted, Source: crm.SourceForm, SourceRef: "newsletter", WordingVersion: "2", Wording: "ایمیل‌های خبری",
		IP: "203.0.113.7", UserAgent: "Firefox", ExpiresAt: &exp}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: "h@example.ir", ToName: "هانیه", Subject: "خوش آمدید", Text: "Hello", Kind: crm.MailNotification, ContactID: &contactID}); err != nil {
		t.Fatal(err)
	}
}
