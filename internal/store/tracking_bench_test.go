package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// BenchmarkWriteEvents times one group commit of the collect queue:
// 2,000 events of 200 visitors, as the writer takes them under load.
func BenchmarkWriteEvents(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := storetest.System()
			s, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			batch := crm.EventBatch{}
			for i := range 2000 {
				batch.Events = append(batch.Events, &crm.Event{SiteID: s.ID, VisitorID: fmt.Sprintf("%032x", i%200), SessionID: "0123456789abcdef",
					Name: crm.EventPageView, URL: "https://shop.example/c/1?utm_source=news", Path: "/c/1", Title: "Category", Referrer: "https://www.example.org/",
					UTMSource: "news", OccurredAt: now, ReceivedAt: now})
			}
			b.ResetTimer()
			for b.Loop() {
				if err := db.WriteEvents(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(batch.Events)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkWriteEventsLinked is BenchmarkWriteEvents where half of the
// 200 visitors are linked to contacts with an analytics grant and one in
// twenty to one who withdrew (whose events the writer drops): the cost of
// the consent check in the writing transaction.
func BenchmarkWriteEventsLinked(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := storetest.System()
			s, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Shop")})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			batch := crm.EventBatch{}
			for i := range 2000 {
				batch.Events = append(batch.Events, &crm.Event{SiteID: s.ID, VisitorID: fmt.Sprintf("%032x", i%200), SessionID: "0123456789abcdef",
					Name: crm.EventPageView, URL: "https://shop.example/c/1?utm_source=news", Path: "/c/1", Title: "Category", Referrer: "https://www.example.org/",
					UTMSource: "news", OccurredAt: now, ReceivedAt: now})
			}
			if err := db.WriteEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 200; i += 2 {
				c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("C")})
				if err != nil {
					b.Fatal(err)
				}
				if err := db.LinkVisitor(ctx, fmt.Sprintf("%032x", i), c.ID, crm.LinkForm); err != nil {
					b.Fatal(err)
				}
				if i%20 == 0 {
					if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: c.ID, Purpose: crm.PurposeAnalytics, Channel: crm.ChannelWeb, Status: crm.ConsentWithdrawn}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if err := db.WriteEvents(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(batch.Events)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
