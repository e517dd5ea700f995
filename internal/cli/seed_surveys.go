package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
)

// Demo survey comments, by the contact's language.
var demoSurveyComments = map[string][]string{
	"en": {"Fast delivery and friendly support.", "The checkout kept asking for my address again.", "Good value, I will order again.", "Packaging could use less plastic.", "Support solved my problem in one call."},
	"fa": {"ارسال سریع و پشتیبانی مهربان.", "در پرداخت چند بار نشانی‌ام را پرسید.", "ارزش خرید خوبی داشت، باز هم سفارش می‌دهم.", "بسته‌بندی می‌توانست پلاستیک کمتری داشته باشد.", "پشتیبانی مشکلم را با یک تماس حل کرد."},
	"ja": {"配送が早く、対応も丁寧でした。", "決済で何度も住所を聞かれました。", "値段の割に良いので、また注文します。", "梱包のプラスチックを減らしてほしいです。", "サポートが一度の電話で解決してくれました。"},
}

// seedSurveys gives the demo a quarterly NPS survey sent to customers
// over the last six months, about four in ten of whom answered, so the
// results page shows a trend, a split by account manager and comments;
// and an anonymous CSAT survey for the support page. Invitations and
// answers go through the survey service at their own times (the store's
// clock is moved), like the orders.
func seedSurveys(ctx context.Context, db *store.DB, customers []*crm.Contact, now time.Time) error {
	nps, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("customer-nps"), Name: ptr("Customer NPS"), Kind: ptr(crm.SurveyNPS), Status: ptr(crm.SurveyActive),
		Questions: &[]crm.SurveyQuestion{{Key: "improve", Type: crm.QuestionSingle, Label: "What should we improve first?", Options: []string{"Delivery", "Prices", "Website", "Support"}}}})
	if err != nil {
		return err
	}
	if _, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("support-csat"), Name: ptr("Support satisfaction"), Kind: ptr(crm.SurveyCSAT),
		Status: ptr(crm.SurveyActive), Anonymous: ptr(true)}); err != nil {
		return err
	}
	signer, err := db.Signer(ctx)
	if err != nil {
		return err
	}
	clock := db.Now
	defer func() { db.Now = clock }()
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	improve := []string{"Delivery", "Prices", "Website", "Support"}
	for i, c := range customers {
		if c.Email == "" {
			continue
		}
		sent := now.AddDate(0, 0, -7-(i*173)%180)
		at(sent)
		if _, err := db.SendSurvey(ctx, nps.ID, []int64{c.ID}); err != nil {
			return err
		}
		if i%5 >= 2 {
			continue // three in five never answer
		}
		// Scores lean on the owner, so the managers' NPS differ, and
		// improve slowly over the half year.
		owner := int64(0)
		if c.OwnerID != nil {
			owner = *c.OwnerID
		}
		score := int((int64(i)*7+owner*3)%11+(180-int64(now.Sub(sent).Hours()/24))/45) % 11
		if score < 5 && i%3 == 0 {
			score += 4
		}
		at(sent.Add(time.Duration(2+i%70) * time.Hour))
		tok := signer.Token(crm.TokenSurvey, fmt.Sprintf("%d:%d", nps.ID, c.ID), sent.Add(crm.SurveyLinkTTL))
		comments := demoSurveyComments[c.Language]
		if comments == nil {
			comments = demoSurveyComments["en"]
		}
		in := crm.SurveyAnswer{Slug: nps.Slug, Token: tok, Score: &score, Answers: map[string][]string{"improve": {improve[i%len(improve)]}}}
		if i%2 == 0 {
			in.Comment = comments[i%len(comments)]
		}
		if _, err := db.AnswerSurvey(ctx, in); err != nil {
			return err
		}
	}
	return nil
}
