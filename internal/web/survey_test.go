package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, surveyTargets)
	pageParts = append(pageParts, surveyPageCases)
}

// surveyLink makes a contact's personal link as an invitation carries it.
func surveyLink(t *testing.T, e *env, s *crm.Survey, contactID int64, exp time.Time) string {
	t.Helper()
	signer, err := e.svc.Links.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return "/s/" + s.Slug + "?t=" + url.QueryEscape(signer.Token(crm.TokenSurvey, fmt.Sprintf("%d:%d", s.ID, contactID), exp))
}

// surveyPageCases adds every survey page to the every-locale render: an
// NPS survey with a custom question, answered by the fixture's contact.
func surveyPageCases(t *testing.T, e *env, fx fixture) []pageCase {
	ctx := sys()
	s, err := e.svc.Surveys.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("pages-nps"), Name: ptr("Pages NPS"), Status: ptr(crm.SurveyActive),
		Questions: &[]crm.SurveyQuestion{{Key: "why", Type: crm.QuestionSingle, Label: "Why?", Options: []string{"Price", "Service"}},
			{Key: "effort", Type: crm.QuestionRating, Label: "Effort"}}})
	if err != nil {
		t.Fatal(err)
	}
	owner := e.users[crm.RoleSales].ID
	c, err := e.svc.Contacts.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Pia"), Email: ptr("pia@example.com"), OwnerID: &owner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Surveys.SendSurvey(ctx, s.ID, []int64{c.ID}); err != nil {
		t.Fatal(err)
	}
	link := surveyLink(t, e, s, c.ID, time.Now().Add(time.Hour))
	u, _ := url.Parse(link)
	nine := 9
	if _, err := e.svc.Surveys.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: u.Query().Get("t"), Score: &nine, Comment: "Quick delivery",
		Answers: map[string][]string{"why": {"Service"}, "effort": {"2"}}}); err != nil {
		t.Fatal(err)
	}
	id := itoa(s.ID)
	return []pageCase{
		{"surveys", "/surveys", "table.surveys tbody tr td a[href='/surveys/" + id + "']", 200},
		{"survey_form", "/surveys/new", "form.survey-form fieldset.question-row", 200},
		{"survey_form", "/surveys/" + id + "/edit", "form.survey-form input[value='Why?']", 200},
		{"survey", "/surveys/" + id, "table.managers tbody tr th a", 200},
		{"survey", "/surveys/" + id + "?bucket=week", "table.periods tbody tr", 200},
		{"survey_responses", "/surveys/" + id + "/responses", "ul.responses li.survey-response p.comment", 200},
		{"survey_send", "/surveys/send?tag=vip", "form.survey-send select[name=survey_id]", 200},
		{"survey_public", link, "fieldset.scale input[type=radio][name=score]", 200},
		{"contact", "/contacts/" + itoa(c.ID), "section#contact-surveys li.survey-response", 200},
	}
}

// surveyTargets makes an active survey for every survey route of the
// console's authorisation matrix, and a valid form for the writes.
func surveyTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	if !strings.HasPrefix(path, "/surveys") && pattern != "POST /contacts/{id}/surveys" {
		return nil, false
	}
	n := seq.Add(1)
	slug := fmt.Sprintf("matrix-%d", n)
	s, err := e.svc.Surveys.CreateSurvey(sys(), crm.SurveyInput{Slug: &slug, Name: ptr("Matrix"), Status: ptr(crm.SurveyActive)})
	if err != nil {
		t.Fatal(err)
	}
	if tg.ids == nil {
		tg.ids = map[string]int64{}
	}
	tg.ids["/surveys/{id}"] = s.ID
	switch pattern {
	case "POST /surveys":
		return url.Values{"name": {"New"}, "slug": {fmt.Sprintf("new-%d", n)}, "kind": {"csat"}, "status": {"draft"}}, true
	case "POST /surveys/{id}":
		return url.Values{"name": {"Renamed"}, "slug": {slug}, "kind": {"nps"}, "status": {"active"}}, true
	case "POST /surveys/send":
		return url.Values{"survey_id": {itoa(s.ID)}, "tag": {"nobody-has-this"}}, true
	case "POST /contacts/{id}/surveys":
		return url.Values{"survey_id": {itoa(s.ID)}}, true
	}
	return nil, true
}

// outboxLink reads the newest survey mail to a contact from the outbox
// and returns the path and query of its link.
func outboxLink(t *testing.T, e *env, contactID int64) (subject, link string) {
	t.Helper()
	tx, err := e.db.BeginTx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var text string
	if err := tx.QueryRowContext(context.Background(), `SELECT subject, text_body FROM mail_outbox WHERE contact_id = $1 AND kind = 'survey' ORDER BY id DESC LIMIT 1`, contactID).Scan(&subject, &text); err != nil {
		t.Fatalf("no survey mail to %d: %v", contactID, err)
	}
	full := regexp.MustCompile(`http\S+/s/\S+`).FindString(text)
	u, err := url.Parse(full)
	if err != nil || full == "" {
		t.Fatalf("no link in %q", text)
	}
	return subject, u.RequestURI()
}

// TestSurveyConsoleAndPublicPages drives surveys through their surfaces:
// staff build a survey in the console and send it from the contact's
// page; the mailed link opens the public page, where bad answers are
// 4xx with field messages and a good one lands on the timeline; forged
// and expired links are refused with a page that says so; markup in
// comments and answers reaches staff as text; anonymous pages can be
// framed, personal ones cannot; answers are rate-limited per IP.
func TestSurveyConsoleAndPublicPages(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.session(crm.RoleAdmin)
	rec := e.do(admin, http.MethodPost, "/surveys", url.Values{"name": {"Support CSAT"}, "slug": {"support"}, "kind": {"csat"}, "status": {"active"},
		"questions.0.label": {"What could we do better?"}, "questions.0.type": {"text"},
		"questions.1.label": {"Topic"}, "questions.1.type": {"single"}, "questions.1.options": {"Billing\nDelivery"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body)
	}
	sid := strings.TrimPrefix(rec.Header().Get("Location"), "/surveys/")
	// A bad builder submission comes back with the field named.
	rec = e.do(admin, http.MethodPost, "/surveys", url.Values{"name": {"X"}, "slug": {"support"}, "kind": {"csat"}, "status": {"active"},
		"questions.0.label": {"Pick"}, "questions.0.type": {"single"}})
	if rec.Code != http.StatusConflict && rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad create = %d", rec.Code)
	}
	if d := doc(t, rec); d.Find("fieldset.question-row small.field-error").Length() != 1 {
		t.Errorf("the question's options are not marked invalid:\n%s", rec.Body)
	}
	rec = e.do(admin, http.MethodPost, "/surveys", url.Values{"name": {"X"}, "slug": {"support"}, "kind": {"nps"}, "status": {"draft"}})
	if d := doc(t, rec); rec.Code != http.StatusConflict || d.Find("input[name=slug][aria-invalid=true]").Length() != 1 {
		t.Errorf("taken slug = %d, not marked invalid", rec.Code)
	}

	owner := e.users[crm.RoleSales].ID
	canary := `<script>alert("xss")</script>`
	c, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com"), OwnerID: &owner, Language: ptr("fa")})
	if err != nil {
		t.Fatal(err)
	}
	cid := itoa(c.ID)
	rec = e.do(admin, http.MethodGet, "/contacts/"+cid, nil)
	if d := doc(t, rec); d.Find("form.survey-send-one select[name=survey_id] option[value='"+sid+"']").Length() != 1 {
		t.Fatalf("no send form on the contact page:\n%s", rec.Body)
	}
	rec = e.do(admin, http.MethodPost, "/contacts/"+cid+"/surveys", url.Values{"survey_id": {sid}}, "HX-Request", "true")
	if rec.Code != 200 || doc(t, rec).Find("section#contact-surveys p.notice").Length() != 1 {
		t.Fatalf("send = %d\n%s", rec.Code, rec.Body)
	}
	subject, link := outboxLink(t, e, c.ID)
	if !strings.Contains(subject, "Support CSAT") {
		t.Errorf("subject = %q", subject)
	}

	// The link opens the survey in the contact's language (Persian):
	// right to left, Persian digits on the scale, labelled radios.
	rec = e.do(nil, http.MethodGet, link, nil)
	d := doc(t, rec)
	if rec.Code != 200 || d.Find("html[dir=rtl][lang=fa]").Length() != 1 {
		t.Fatalf("public page = %d\n%s", rec.Code, rec.Body)
	}
	if got := d.Find("fieldset.scale label.point").Last().Text(); got != "۵" {
		t.Errorf("last scale point = %q, want ۵", got)
	}
	if d.Find("fieldset.scale legend").Length() != 1 || d.Find("fieldset.scale label.point input[type=radio][name=score]").Length() != 5 {
		t.Errorf("the scale is not a labelled radio group")
	}
	if xfo := rec.Header().Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("a personal link can be framed: X-Frame-Options %q", xfo)
	}
	token := d.Find("input[name=t]").AttrOr("value", "")
	post := func(form url.Values, ip string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/s/support?lang=en", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.RemoteAddr = ip + ":4321"
		return e.send(nil, req)
	}
	for name, form := range map[string]url.Values{
		"score too high":     {"t": {token}, "score": {"6"}},
		"score not a number": {"t": {token}, "score": {"five"}},
		"unknown choice":     {"t": {token}, "score": {"4"}, "q.q2": {"Fax"}},
		"unknown question":   {"t": {token}, "score": {"4"}, "q.nope": {"x"}},
		"comment too long":   {"t": {token}, "score": {"4"}, "comment": {strings.Repeat("x", crm.MaxSurveyComment+1)}},
	} {
		rec := post(form, "198.51.100.1")
		if rec.Code != http.StatusUnprocessableEntity || doc(t, rec).Find("div.errors li").Length() == 0 {
			t.Errorf("%s: %d, want 422 with a field message\n%s", name, rec.Code, rec.Body)
		}
	}
	rec = post(url.Values{"t": {token}, "score": {"2"}, "comment": {canary}, "q.q1": {`<img src=x onerror=alert(1)>`}, "q.q2": {"Billing"}}, "198.51.100.2")
	if rec.Code != 200 || doc(t, rec).Find("p.thanks").Length() != 1 {
		t.Fatalf("answer = %d\n%s", rec.Code, rec.Body)
	}

	// The link opens again on the answer given, as text.
	rec = e.do(nil, http.MethodGet, link+"&lang=en", nil)
	d = doc(t, rec)
	if d.Find("p.notice").Length() != 1 || d.Find("input[name=score][value='2'][checked]").Length() != 1 || d.Find("textarea[name=comment]").Text() != canary ||
		d.Find("input[name='q.q2'][value=Billing][checked]").Length() != 1 || strings.Contains(rec.Body.String(), "<script>alert") {
		t.Errorf("the page does not show the earlier answer:\n%s", rec.Body)
	}

	// Forged and expired links are refused with a page that says which.
	sv, err := e.svc.Surveys.FindSurveyByID(sys(), mustID(t, sid))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		url  string
		want string
	}{
		"forged":                  {"/s/support?lang=en&t=" + url.QueryEscape(token[:len(token)-3]+"AAA"), "not valid"},
		"expired":                 {surveyLink(t, e, sv, c.ID, time.Now().Add(-time.Hour)) + "&lang=en", "expired"},
		"no token, not anonymous": {"/s/support?lang=en", "not valid"},
		"unknown survey":          {"/s/nope?lang=en", "no such survey"},
	} {
		rec := e.do(nil, http.MethodGet, tc.url, nil)
		if rec.Code < 400 || rec.Code >= 500 || !strings.Contains(doc(t, rec).Find("p.refusal").Text(), tc.want) {
			t.Errorf("%s: %d\n%s", name, rec.Code, rec.Body)
		}
	}
	if rec := post(url.Values{"t": {token[:len(token)-3] + "AAA"}, "score": {"5"}}, "198.51.100.3"); rec.Code != http.StatusForbidden {
		t.Errorf("forged answer = %d", rec.Code)
	}

	// Staff see the answer as text on the results, the responses list,
	// the contact's surveys block and its timeline.
	for _, page := range []string{"/surveys/" + sid, "/surveys/" + sid + "/responses", "/contacts/" + cid} {
		rec := e.do(admin, http.MethodGet, page, nil)
		body := rec.Body.String()
		if rec.Code != 200 || strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s = %d: markup from an answer reached the page unescaped", page, rec.Code)
		}
		if !strings.Contains(doc(t, rec).Text(), canary) {
			t.Errorf("%s does not show the comment as text", page)
		}
		if m := regexp.MustCompile(`surveys\.[a-z_.]+`).FindString(regexp.MustCompile(`surveys\.[0-9a-f]{10}\.css`).ReplaceAllString(body, "")); m != "" {
			t.Errorf("%s: untranslated key %s", page, m)
		}
	}
	rec = e.do(admin, http.MethodGet, "/contacts/"+cid, nil)
	entry := doc(t, rec).Find("ul.timeline li.kind-survey")
	if entry.Length() != 1 || !strings.Contains(entry.Find(".subject").Text(), "Support CSAT: 2/5") || !strings.Contains(entry.Text(), `onerror=alert(1)`) {
		t.Errorf("timeline entry = %q", entry.Text())
	}
	rec = e.do(admin, http.MethodGet, "/surveys/"+sid, nil)
	d = doc(t, rec)
	if got := strings.TrimSpace(d.Find(".csat-total").Text()); got != "0.0%" {
		t.Errorf("CSAT = %q, want 0.0%%", got)
	}
	if tabs := d.Find("table.question-result"); tabs.Length() != 2 || !strings.Contains(tabs.Last().Find("tbody tr").First().Text(), "Billing") ||
		strings.TrimSpace(tabs.Last().Find("tbody tr").First().Find("td").First().Text()) != "1" {
		t.Errorf("question results:\n%s", tabs.Text())
	}
	if d.Find("table.managers tbody tr").Length() != 1 || !strings.Contains(d.Find("table.managers").Text(), e.users[crm.RoleSales].Name) {
		t.Errorf("by-manager table:\n%s", d.Find("table.managers").Text())
	}

	// Anonymous answers once allowed; that page may be framed.
	rec = e.do(admin, http.MethodPost, "/surveys/"+sid, url.Values{"name": {"Support CSAT"}, "slug": {"support"}, "kind": {"csat"}, "status": {"active"}, "anonymous": {"true"},
		"questions.0.label": {"What could we do better?"}, "questions.0.type": {"text"}, "questions.0.key": {"q1"},
		"questions.1.label": {"Topic"}, "questions.1.type": {"single"}, "questions.1.options": {"Billing\nDelivery"}, "questions.1.key": {"q2"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("update = %d\n%s", rec.Code, rec.Body)
	}
	rec = e.do(nil, http.MethodGet, "/s/support", nil)
	if rec.Code != 200 || rec.Header().Get("X-Frame-Options") != "" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Errorf("anonymous page = %d, headers %v", rec.Code, rec.Header())
	}
	// Without ?lang or a cookie the page speaks the browser's language.
	rec = e.do(nil, http.MethodGet, "/s/support", nil, "Accept-Language", "ja-JP,ja;q=0.9,en;q=0.5")
	if d := doc(t, rec); d.Find("html[lang=ja]").Length() != 1 || !strings.Contains(d.Find("button[type=submit]").Text(), "回答を送信") {
		t.Errorf("Accept-Language ja: %s", d.Find("html").AttrOr("lang", ""))
	}
	// Ten answers from one address pass, the eleventh is refused.
	codes := map[int]int{}
	for range 11 {
		codes[post(url.Values{"score": {"5"}}, "203.0.113.9").Code]++
	}
	if codes[200] != 10 || codes[http.StatusTooManyRequests] != 1 {
		t.Errorf("rate limit: %v", codes)
	}
	res, err := e.svc.Surveys.SurveyResults(sys(), sv.ID, crm.SurveyResultsFilter{})
	if err != nil || res.Anonymous != 10 || res.Total.Responses != 11 {
		t.Errorf("results = %+v %v", res, err)
	}

	if got := strings.TrimSpace(doc(t, e.do(admin, http.MethodGet, "/surveys", nil)).Find("table.surveys td.responses").Text()); got != "11" {
		t.Errorf("list shows %q answers, want 11", got)
	}
	// The list send reports what it did.
	rec = e.do(admin, http.MethodPost, "/surveys/send", url.Values{"survey_id": {sid}, "q": {"ada"}})
	d = doc(t, rec)
	if rec.Code != 200 || !strings.Contains(d.Find("article.send-report").Text(), "1 already answered") {
		t.Errorf("list send = %d\n%s", rec.Code, d.Find("main").Text())
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}
