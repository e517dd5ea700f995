package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/demo"
	"github.com/ecrm/ecrm/internal/store"
)

// demoMailer words the demo's form mails; nothing sends them until an
// admin configures SMTP, and the demo's addresses are on reserved domains.
type demoMailer struct{}

func (demoMailer) Notification(n crm.FormNotice) crm.MailMessage {
	return crm.MailMessage{Subject: "New submission: " + n.Form.Name, Text: n.ContactURL}
}

func (demoMailer) OptIn(o crm.FormOptInMail) crm.MailMessage {
	return crm.MailMessage{Subject: "Please confirm your subscription", Text: o.ConfirmURL}
}

// seedCollect makes the demo shop's tracking site and its newsletter
// form, and gives some customers a browsing history: they accepted the
// banner, looked at products for two weeks and signed up through the
// form, which linked their visitor to them (and put the banner's consent
// on their ledger). Anonymous visitors and pre-consent page counts fill
// the site's figures.
func seedCollect(ctx context.Context, db *store.DB, people []*crm.Contact, products []crm.ProductInput, now time.Time) error {
	site, _, err := db.CreateSite(ctx, crm.SiteInput{Name: ptr("Demo shop"), Origins: &[]string{"http://localhost:8000"}, PrivacyURL: ptr("http://localhost:8000/privacy")})
	if err != nil {
		return err
	}
	if _, err := db.CreateForm(ctx, crm.FormInput{Name: ptr("Newsletter"), Slug: ptr("newsletter"), Language: ptr("en"), DoubleOptIn: ptr(true),
		Title: ptr("Our monthly newsletter"), Intro: ptr("New arrivals and offers, once a month."),
		Fields: &[]crm.FormField{
			{Name: "first_name", Label: "First name", Maps: "first_name"},
			{Name: "email", Label: "Email", Maps: "email", Required: true},
		},
		Consents: &[]crm.FormConsent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Wording: "Send me the monthly newsletter by email."}}}); err != nil {
		return err
	}
	visitor := func(k string) string {
		h := sha256.Sum256([]byte("ecrm demo visitor " + k))
		return hex.EncodeToString(h[:16])
	}
	var batch crm.EventBatch
	browse := func(v string, k int) {
		session := visitor(fmt.Sprintf("s%s", v))[:16]
		for j := range 3 + k%9 {
			at := now.Add(-time.Duration(14*24*(k%5+1)/(j+1)) * time.Hour / 5).Add(-time.Duration(j) * time.Minute)
			p := products[(k+j/2)%len(products)]
			ev := &crm.Event{SiteID: site.ID, VisitorID: v, SessionID: session, OccurredAt: at}
			switch {
			case j == 0:
				ev.Name, ev.Path, ev.Title, ev.Referrer = crm.EventPageView, "/", "Demo shop", "https://www.google.com/"
				ev.UTMSource, ev.UTMMedium = "google", "organic"
			case j%4 == 3:
				ev.Name, ev.Path, ev.ProductSKU, ev.ProductName = crm.EventAddToCart, "/cart", *p.SKU, *p.Name
				ev.Value, ev.Currency = p.Price, demo.DemoCurrency
			default:
				ev.Name, ev.Path, ev.Title, ev.ProductSKU, ev.ProductName = crm.EventProduct, "/products/"+*p.SKU, *p.Name, *p.SKU, *p.Name
				ev.Value, ev.Currency = p.Price, demo.DemoCurrency
			}
			ev.URL = "http://localhost:8000" + ev.Path
			batch.Events = append(batch.Events, ev)
		}
	}
	for k := range 40 {
		browse(visitor(fmt.Sprint("anon", k)), k)
	}
	day := now.UnixMilli() / 86_400_000
	for d := range int64(14) {
		for i, path := range []string{"/", "/products", "/about"} {
			batch.Counts = append(batch.Counts, crm.PageCountDelta{SiteID: site.ID, Day: day - d, Path: path, N: 40 - 10*int64(i) + (d*7)%13})
		}
	}
	for k, c := range people {
		browse(visitor(fmt.Sprint(c.ID)), k)
	}
	if err := db.WriteEvents(ctx, batch); err != nil {
		return err
	}
	for _, c := range people {
		if c.Email == "" {
			continue
		}
		if _, err := db.SubmitForm(ctx, crm.FormSubmitInput{Slug: "newsletter", Values: map[string][]string{"email": {c.Email}, "first_name": {c.FirstName}},
			IP: "198.51.100.20", UserAgent: "Mozilla/5.0", VisitorID: visitor(fmt.Sprint(c.ID)), Lang: "en"}, demoMailer{}); err != nil {
			return err
		}
	}
	return nil
}
