package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestBrowserSurveyAnswer: a customer opens the personal NPS link from
// their invitation in real Chromium, in their own language (Persian, right
// to left, Persian digits on the scale), picks 9, writes a comment and
// sends; the answer is stored with their account manager, and opening the
// link again shows the answer already given.
func TestBrowserSurveyAnswer(t *testing.T) {
	chrome := chromiumPath(t)
	db := storetest.Open(t, "sqlite")
	ctx := storetest.System()
	role, email := crm.RoleSales, "sara.sales@example.com"
	owner, err := db.CreateUser(ctx, crm.UserInput{Email: &email, Name: ptr("Sara Sales"), Role: &role, Password: ptr("correct horse battery")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("مینا"), Email: ptr("mina@example.ir"), Language: ptr("fa"), OwnerID: &owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.CreateSurvey(ctx, crm.SurveyInput{Name: ptr("NPS"), Slug: ptr("nps"), Kind: ptr("nps"), Status: ptr("active")})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := db.SendSurvey(ctx, s.ID, []int64{c.ID}); err != nil || rep.Sent != 1 {
		t.Fatalf("send = %+v, %v", rep, err)
	}
	signer, err := db.Signer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The mailed link points at the public URL; the test server has its own.
	tok := signer.Token(crm.TokenSurvey, fmt.Sprintf("%d:%d", s.ID, c.ID), time.Now().Add(time.Hour))
	bs := newBrowserSession(t, chrome, db, "failed-survey-")
	link := bs.base + "/s/nps?t=" + url.QueryEscape(tok)
	bs.step("open the personal link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name=score][value="9"]`)),
		bs.shot("survey-fa"),
	)
	got, err := chromedp.Run(bs.ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).direction + ' ' +
		document.querySelector('input[name=score][value="9"] + span').textContent.trim()`))
	if err != nil || got != "rtl ۹" {
		t.Errorf("Persian survey: direction and label of 9 = %q (%v), want \"rtl ۹\"", got, err)
	}
	bs.step("answer",
		chromedp.Click(chromedp.CSS(`input[name=score][value="9"] + span`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "ارسال سریع بود"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.thanks`)),
	)
	page, err := db.FindSurveyResponses(ctx, crm.SurveyResponseFilter{SurveyID: s.ID, Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("responses = %v, %v", page.Items, err)
	}
	r := page.Items[0]
	if r.Score == nil || *r.Score != 9 || r.Comment != "ارسال سریع بود" || r.ManagerID == nil || *r.ManagerID != owner.ID {
		t.Errorf("stored answer = %s", mustJSON(r))
	}
	bs.step("open the link again",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name=score]`)),
	)
	checked, err := chromedp.Run(bs.ctx, chromedp.Evaluate[bool](`document.querySelector('input[name=score][value="9"]').checked`))
	if err != nil || !checked {
		t.Errorf("the link opened again does not show the answer given (9): %v", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
