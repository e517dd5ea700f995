package mail_test

import (
	"fmt"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	ecrmmail "github.com/ecrm/ecrm/internal/mail"
	"github.com/ecrm/ecrm/internal/mail/mailtest"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkWorkerDrain: messages per second from the outbox to an
// in-process SMTP server on loopback (claim, one SMTP conversation per
// message, record), per engine and batch size.
func BenchmarkWorkerDrain(b *testing.B) {
	for _, engine := range storetest.Engines() {
		for _, batch := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", engine, batch), func(b *testing.B) {
				db := storetest.Open(b, engine)
				ctx := storetest.System()
				srv := mailtest.Start(b, mailtest.Options{})
				if _, err := db.UpdateMailSettings(ctx, crm.MailSettingsInput{Host: &srv.Host, Port: &srv.Port, TLS: ptr(crm.MailTLSNone), FromAddress: ptr("crm@shop.example")}); err != nil {
					b.Fatal(err)
				}
				for i := range b.N {
					if _, err := db.EnqueueMail(ctx, crm.MailMessage{To: fmt.Sprintf("r%d@example.com", i), Subject: "ご登録の確認", Text: "Hello", HTML: "<p>Hello</p>"}); err != nil {
						b.Fatal(err)
					}
				}
				w := ecrmmail.NewWorker(db, ecrmmail.NewSender(ecrmmail.Options{AllowPrivate: true}), ecrmmail.WorkerOptions{Batch: batch})
				b.ResetTimer()
				sent := 0
				for sent < b.N {
					n := w.RunOnce(ctx)
					if n == 0 {
						b.Fatalf("stalled after %d of %d", sent, b.N)
					}
					sent += n
				}
				b.StopTimer()
				if got := len(srv.Messages()); got != b.N {
					b.Fatalf("server got %d of %d", got, b.N)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
