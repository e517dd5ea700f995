package transfer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() { fillParts = append(fillParts, fillMail) }

// mailPassword is the SMTP password fillMail stores; no export file may
// hold it.
const mailPassword = "smtp-password-never-exported"

// fillMail sets the mail settings (with a password) and queues two
// messages for the contact, one of them sent.
func fillMail(t *testing.T, db *store.DB, contactID int64) {
	t.Helper()
	ctx := storetest.System()
	if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: ptr("smtp.example.com"), Username: ptr("crm"), Password: ptr(mailPassword),
		FromAddress: ptr("crm@example.com"), FromName: ptr("山田商事"), PublicURL: ptr("https://crm.example.com")}); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"تأیید ثبت‌نام", "New form submission"} {
		if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: "h@example.ir", Subject: subject, Text: "https://crm.example.com/optin?t=secret-link", ContactID: &contactID}); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := db.ClaimMail(ctx, time.Minute, 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	if err := db.RecordMailResult(ctx, crm.MailResult{ID: jobs[0].ID, Attempt: 1, MessageID: "<ecrm.1.x@example.com>"}); err != nil {
		t.Fatal(err)
	}
}

// TestExportLeavesOutMailSecrets: the SMTP password and the message
// bodies (signed links) are in no export file; the settings are.
func TestExportLeavesOutMailSecrets(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	fill(t, db)
	dir := filepath.Join(t.TempDir(), "export")
	if err := newTransfer(db).ExportDir(storetest.System(), dir); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		all.Write(b)
	}
	s := all.String()
	if strings.Contains(s, mailPassword) || strings.Contains(s, "secret-link") {
		t.Error("the export holds the SMTP password or a message body")
	}
	if !strings.Contains(s, "smtp.example.com") || !strings.Contains(s, "تأیید ثبت‌نام") {
		t.Error("the export lacks the mail settings or the outbox")
	}
}
