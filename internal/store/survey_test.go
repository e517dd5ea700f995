package store_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func mustSurvey(t *testing.T, db *store.DB, in crm.SurveyInput) *crm.Survey {
	t.Helper()
	if in.Status == nil {
		in.Status = ptr(crm.SurveyActive)
	}
	s, err := db.CreateSurvey(storetest.System(), in)
	if err != nil {
		t.Fatalf("CreateSurvey: %v", err)
	}
	return s
}

// outboxMail reads the newest survey message to a contact straight from
// the outbox table: what the mail worker will send.
func outboxMail(t *testing.T, db *store.DB, contactID int64) (to, subject, text string) {
	t.Helper()
	tx, err := db.BeginTx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(context.Background(), `SELECT to_addr, subject, text_body FROM mail_outbox WHERE contact_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`,
		contactID, crm.MailSurvey).Scan(&to, &subject, &text); err != nil {
		t.Fatalf("outbox for contact %d: %v", contactID, err)
	}
	return
}

var linkRe = regexp.MustCompile(`https?://\S+/s/[a-z0-9-]+\?t=\S+`)

// linkToken pulls the personal link out of a mail body.
func linkToken(t *testing.T, base, slug, text string) string {
	t.Helper()
	link := linkRe.FindString(text)
	if !strings.HasPrefix(link, base+"/s/"+slug+"?t=") {
		t.Fatalf("no link to %s/s/%s in %q", base, slug, text)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("t")
}

// TestSurveySendAnswerResults walks the whole flow on every engine: an
// invitation lands in the outbox with a working personal link; answers
// through it become one response per contact (a second answer replaces
// the first and keeps it in the history) and timeline entries; results
// compute NPS on a known set and credit each answer to the manager who
// owned the contact when it was given.
func TestSurveySendAnswerResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		_, m1 := storetest.User(t, db, crm.RoleSales, "mina@example.com")
		_, m2 := storetest.User(t, db, crm.RoleSales, "kenji@example.com")
		s := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("nps-q1"), Name: ptr("Customer NPS"), Kind: ptr(crm.SurveyNPS)})

		// Ten customers: scores 10, 10, 9, 8, 7, 6, 5, 3, 0, 9 → 4 promoters,
		// 2 passives, 4 detractors: NPS 0. The first five are Mina's.
		scores := []int{10, 10, 9, 8, 7, 6, 5, 3, 0, 9}
		var ids []int64
		for i := range scores {
			owner := m1.ID
			if i >= 5 {
				owner = m2.ID
			}
			c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("C"), LastName: ptr(string(rune('A' + i))), Email: ptr("c" + string(rune('a'+i)) + "@example.com"), OwnerID: &owner})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		noMail, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("No"), LastName: ptr("Mail")})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := db.SendSurvey(ctx, s.ID, append(ids, noMail.ID))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sent != 10 || rep.Skipped[crm.SkipNoEmail] != 1 || rep.Matched != 11 {
			t.Fatalf("report = %+v", rep)
		}
		// Sending again within a week skips everyone.
		if rep, err := db.SendSurvey(ctx, s.ID, ids[:2]); err != nil || rep.Sent != 0 || rep.Skipped[crm.SkipRecent] != 2 {
			t.Fatalf("resend = %+v, %v", rep, err)
		}
		base := db.PublicURL(ctx)
		for i, id := range ids {
			to, subject, text := outboxMail(t, db, id)
			if !strings.HasPrefix(to, "c") || !strings.Contains(subject, "Customer NPS") {
				t.Fatalf("mail = %q %q", to, subject)
			}
			if !strings.Contains(text, base+"/p/") {
				t.Errorf("mail to %s has no preference-centre link", to)
			}
			tok := linkToken(t, base, s.Slug, text)
			sc := scores[i]
			if _, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &sc, Comment: "thanks", IP: "192.0.2.1"}); err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
		}
		res, err := db.SurveyResults(ctx, s.ID, crm.SurveyResultsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		tot := res.Total
		if tot.Responses != 10 || tot.Promoters != 4 || tot.Passives != 2 || tot.Detractors != 4 || tot.NPS != 0 || tot.Average != 6.7 {
			t.Fatalf("total = %+v", tot)
		}
		if res.Sent != 10 || res.Answered != 10 || res.ResponseRate != 100 {
			t.Errorf("rate = %d/%d %v", res.Answered, res.Sent, res.ResponseRate)
		}
		if want := []int{1, 0, 0, 1, 0, 1, 1, 1, 1, 2, 2}; !equalInts(res.Distribution, want) {
			t.Errorf("distribution = %v, want %v", res.Distribution, want)
		}
		// Mina: 10,10,9,8,7 → 3 promoters, 2 passives: NPS 60. Kenji:
		// 6,5,3,0,9 → 1 promoter, 4 detractors: NPS −60.
		byManager := func() map[int64]crm.SurveyScore {
			res, err := db.SurveyResults(ctx, s.ID, crm.SurveyResultsFilter{})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]crm.SurveyScore{}
			for _, m := range res.Managers {
				out[*m.ManagerID] = m.SurveyScore
			}
			return out
		}
		if got := byManager(); got[m1.ID].NPS != 60 || got[m2.ID].NPS != -60 || got[m1.ID].Responses != 5 {
			t.Fatalf("by manager = %+v", got)
		}

		// Contact 0 moves to Kenji. Its answer stays Mina's until it is
		// given again; then it is Kenji's, and the old version is kept.
		if _, err := db.UpdateContact(ctx, ids[0], crm.ContactInput{OwnerID: &m2.ID}); err != nil {
			t.Fatal(err)
		}
		if got := byManager(); got[m1.ID].Responses != 5 || got[m2.ID].Responses != 5 {
			t.Fatalf("after the owner change = %+v", got)
		}
		now = now.AddDate(0, 0, 25) // April, within the link's 30 days
		_, _, text := outboxMail(t, db, ids[0])
		tok := linkToken(t, base, s.Slug, text)
		six := 6
		r, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &six, Comment: "got worse"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Revisions != 1 || len(r.History) != 1 || *r.History[0].Score != 10 || *r.History[0].ManagerID != m1.ID || *r.ManagerID != m2.ID {
			t.Fatalf("replaced response = %+v", r)
		}
		got := byManager()
		if got[m1.ID].Responses != 4 || got[m2.ID].Responses != 6 || got[m2.ID].Detractors != 5 {
			t.Fatalf("after answering again = %+v", got)
		}
		res, err = db.SurveyResults(ctx, s.ID, crm.SurveyResultsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total.Responses != 10 || res.Total.NPS != -20 || len(res.Periods) != 2 || res.Periods[0].Responses != 9 || res.Periods[1].Responses != 1 {
			t.Fatalf("over time = %+v / %+v", res.Total, res.Periods)
		}
		page, err := db.FindSurveyResponses(ctx, crm.SurveyResponseFilter{SurveyID: s.ID, Limit: 4})
		if err != nil || len(page.Items) != 4 || page.Next == "" {
			t.Fatalf("page = %d %q %v", len(page.Items), page.Next, err)
		}
		page2, err := db.FindSurveyResponses(ctx, crm.SurveyResponseFilter{SurveyID: s.ID, Limit: 500, After: page.Next})
		if err != nil || len(page2.Items) != 6 {
			t.Fatalf("page 2 = %d %v", len(page2.Items), err)
		}

		// Both answers of contact 0 are on its timeline, the change noted.
		tl, err := db.FindActivities(ctx, crm.ActivityFilter{ContactID: &ids[0], Kind: crm.KindSurvey})
		if err != nil || len(tl.Items) != 2 {
			t.Fatalf("timeline = %v %v", tl.Items, err)
		}
		if e := tl.Items[0]; e.Subject != "Customer NPS: 10/10 → 6/10" || e.Outcome != "detractor" || e.Body != "got worse" {
			t.Errorf("newest entry = %q %q %q", e.Subject, e.Outcome, e.Body)
		}
		if _, err := db.UpdateActivity(ctx, tl.Items[0].ID, crm.ActivityInput{Body: ptr("edited")}); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("editing a survey entry: %v, want conflict", err)
		}
		// Answered contacts are not invited again.
		now = now.AddDate(0, 0, 10)
		if rep, err := db.SendSurvey(ctx, s.ID, ids[:1]); err != nil || rep.Skipped[crm.SkipAnswered] != 1 {
			t.Fatalf("send to an answered contact = %+v %v", rep, err)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSurveyTokensAndBounds: forged, expired and foreign tokens are
// refused; scores out of range, unknown questions and bad choices are
// field errors; anonymous answers need a survey that allows them.
func TestSurveyTokensAndBounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Ada"), Email: ptr("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		s := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("csat"), Name: ptr("Support"), Kind: ptr(crm.SurveyCSAT),
			Questions: &[]crm.SurveyQuestion{{Key: "channel", Type: crm.QuestionSingle, Label: "How did you reach us?", Options: []string{"Phone", "Mail"}, Required: true},
				{Key: "liked", Type: crm.QuestionMultiple, Label: "What did you like?", Options: []string{"Speed", "Tone"}},
				{Key: "effort", Type: crm.QuestionRating, Label: "Effort", Min: 1, Max: 7}}})
		other := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("other"), Name: ptr("Other")})
		if _, err := db.SendSurvey(ctx, s.ID, []int64{c.ID}); err != nil {
			t.Fatal(err)
		}
		_, _, text := outboxMail(t, db, c.ID)
		tok := linkToken(t, db.PublicURL(ctx), s.Slug, text)
		signer, err := db.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		four := 4
		ok := crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &four, Answers: map[string][]string{"channel": {"Phone"}, "liked": {"Speed", "Tone"}, "effort": {"2"}}}
		for name, tc := range map[string]struct {
			slug, token string
			want        error
		}{
			"forged":          {s.Slug, tok[:len(tok)-2] + "xx", crm.ErrSurveyLinkInvalid},
			"another contact": {s.Slug, signer.Token(crm.TokenSurvey, "1:999999", now.Add(time.Hour)), crm.ErrSurveyLinkInvalid},
			"another survey":  {other.Slug, tok, crm.ErrSurveyLinkInvalid},
			"another purpose": {s.Slug, signer.Token(crm.TokenPreferences, "1:1", now.Add(time.Hour)), crm.ErrSurveyLinkInvalid},
			"no token":        {s.Slug, "", crm.ErrSurveyLinkInvalid},
		} {
			in := ok
			in.Slug, in.Token = tc.slug, tc.token
			if _, err := db.AnswerSurvey(ctx, in); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", name, err, tc.want)
			}
		}
		for name, tc := range map[string]struct {
			edit  func(a *crm.SurveyAnswer)
			field string
		}{
			"score too high":   {func(a *crm.SurveyAnswer) { a.Score = ptr(6) }, "score"},
			"score too low":    {func(a *crm.SurveyAnswer) { a.Score = ptr(0) }, "score"},
			"no score":         {func(a *crm.SurveyAnswer) { a.Score = nil }, "score"},
			"required missing": {func(a *crm.SurveyAnswer) { a.Answers = map[string][]string{"effort": {"3"}} }, "q.channel"},
			"bad choice":       {func(a *crm.SurveyAnswer) { a.Answers = map[string][]string{"channel": {"Fax"}} }, "q.channel"},
			"rating too high":  {func(a *crm.SurveyAnswer) { a.Answers = map[string][]string{"channel": {"Mail"}, "effort": {"8"}} }, "q.effort"},
			"unknown question": {func(a *crm.SurveyAnswer) { a.Answers = map[string][]string{"channel": {"Mail"}, "x": {"1"}} }, "q.x"},
			"long comment":     {func(a *crm.SurveyAnswer) { a.Comment = strings.Repeat("a", crm.MaxSurveyComment+1) }, "comment"},
		} {
			in := ok
			tc.edit(&in)
			_, err := db.AnswerSurvey(ctx, in)
			fe := crm.FieldErrors(err)
			if crm.ErrorCode(err) != crm.EINVALID || len(fe) == 0 || fe[0].Field != tc.field {
				t.Errorf("%s: %v %v, want a field error on %s", name, err, fe, tc.field)
			}
		}
		r, err := db.AnswerSurvey(ctx, ok)
		if err != nil {
			t.Fatal(err)
		}
		if r.Answers["channel"] != "Phone" || r.Answers["effort"] != 2 {
			t.Errorf("answers = %v", r.Answers)
		}
		// The link expires after 30 days.
		now = now.Add(crm.SurveyLinkTTL + time.Hour)
		if _, err := db.AnswerSurvey(ctx, ok); !errors.Is(err, crm.ErrSurveyLinkExpired) {
			t.Errorf("expired: %v", err)
		}
		if _, _, err := db.CheckSurveyToken(ctx, s.Slug, tok); !errors.Is(err, crm.ErrSurveyLinkExpired) {
			t.Errorf("check expired: %v", err)
		}
		// Anonymous answers once allowed; a draft is not found.
		if _, err := db.UpdateSurvey(ctx, s.ID, crm.SurveyInput{Anonymous: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		anon := ok
		anon.Token = ""
		r, err = db.AnswerSurvey(ctx, anon)
		if err != nil || r.ContactID != nil || r.Channel != crm.ChannelEmbed {
			t.Fatalf("anonymous = %+v %v", r, err)
		}
		// Custom answers are summed per option and value.
		res, err := db.SurveyResults(ctx, s.ID, crm.SurveyResultsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if q := res.Questions; len(q) != 3 || q[0].Answers != 2 || q[0].Options[0] != (crm.OptionCount{Option: "Phone", Count: 2}) ||
			q[1].Options[1].Count != 2 || q[2].Average != 2 || len(q[2].Options) != 7 || q[2].Options[1].Count != 2 {
			t.Errorf("question results = %+v", res.Questions)
		}
		if res.Total.Responses != 2 || res.Total.CSAT != 100 || res.Anonymous != 1 {
			t.Errorf("total = %+v, anonymous %d", res.Total, res.Anonymous)
		}
		// Erasing the contact erases its answer; the anonymous one stays.
		if err := db.DeleteContact(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if page, err := db.FindSurveyResponses(ctx, crm.SurveyResponseFilter{SurveyID: s.ID}); err != nil || len(page.Items) != 1 || page.Items[0].ContactID != nil {
			t.Errorf("after erasing the contact: %v %v", page.Items, err)
		}
		if _, err := db.UpdateSurvey(ctx, s.ID, crm.SurveyInput{Kind: ptr(crm.SurveyNPS)}); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("changing the kind of an answered survey: %v", err)
		}
		if _, err := db.UpdateSurvey(ctx, s.ID, crm.SurveyInput{Status: ptr(crm.SurveyClosed)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AnswerSurvey(ctx, anon); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("answer to a closed survey: %v", err)
		}
		if _, err := db.SendSurvey(ctx, s.ID, []int64{c.ID}); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("send a closed survey: %v", err)
		}
		if _, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("csat"), Name: ptr("Again")}); crm.ErrorCode(err) != crm.ECONFLICT || crm.FieldErrors(err)[0].Field != "slug" {
			t.Errorf("duplicate slug: %v", err)
		}
		for name, in := range map[string]crm.SurveyInput{
			"bad slug":        {Slug: ptr("Bad Slug!"), Name: ptr("x")},
			"custom no q":     {Slug: ptr("c1"), Name: ptr("x"), Kind: ptr(crm.SurveyCustom)},
			"choice no opts":  {Slug: ptr("c2"), Name: ptr("x"), Questions: &[]crm.SurveyQuestion{{Key: "a", Type: crm.QuestionSingle, Label: "A"}}},
			"duplicate key":   {Slug: ptr("c3"), Name: ptr("x"), Questions: &[]crm.SurveyQuestion{{Key: "a", Type: crm.QuestionText, Label: "A"}, {Key: "a", Type: crm.QuestionText, Label: "B"}}},
			"bad rating span": {Slug: ptr("c4"), Name: ptr("x"), Questions: &[]crm.SurveyQuestion{{Key: "a", Type: crm.QuestionRating, Label: "A", Min: 5, Max: 3}}},
			"unknown kind":    {Slug: ptr("c5"), Name: ptr("x"), Kind: ptr("poll")},
		} {
			if _, err := db.CreateSurvey(ctx, in); crm.ErrorCode(err) != crm.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
	})
}

// TestSurveySendRules: list sends skip contacts who withdrew marketing
// email, respect own-only roles and report what they did.
func TestSurveySendRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		salesCtx, sales := storetest.User(t, db, crm.RoleSales, "sam@example.com")
		s := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("nps"), Name: ptr("NPS")})
		draft, err := db.CreateSurvey(ctx, crm.SurveyInput{Slug: ptr("draft"), Name: ptr("Draft")})
		if err != nil {
			t.Fatal(err)
		}
		var mine []int64
		for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			in := crm.ContactInput{FirstName: ptr("P"), Email: ptr(email), Tags: &[]string{"vip"}}
			if i < 2 {
				in.OwnerID = &sales.ID
			}
			c, err := db.CreateContact(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				mine = append(mine, c.ID)
			}
		}
		if _, err := db.RecordConsent(ctx, crm.ConsentInput{ContactID: mine[1], Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentWithdrawn}); err != nil {
			t.Fatal(err)
		}
		rep, err := db.SendSurveyToList(ctx, s.ID, crm.ContactFilter{Tags: []string{"vip"}})
		if err != nil || rep.Matched != 3 || rep.Sent != 2 || rep.Skipped[crm.SkipOptedOut] != 1 || rep.Capped != 0 {
			t.Fatalf("list send = %+v %v", rep, err)
		}
		if _, err := db.SendSurveyToList(ctx, draft.ID, crm.ContactFilter{}); crm.ErrorCode(err) != crm.ECONFLICT {
			t.Errorf("sending a draft: %v", err)
		}
		// Sales may read surveys but not send them.
		if _, err := db.SendSurvey(salesCtx, s.ID, mine); crm.ErrorCode(err) != crm.EFORBIDDEN {
			t.Errorf("sales send: %v", err)
		}
		if _, err := db.SendSurvey(ctx, s.ID, nil); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("empty send: %v", err)
		}
	})
}

// TestSurveyMerge: merging contacts keeps one answer per survey (the
// kept contact's) and moves the other answers and invitations over.
func TestSurveyMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		a := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("a"), Name: ptr("A")})
		b := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("b"), Name: ptr("B")})
		keep, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Kay"), Email: ptr("kay@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		other, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Kay"), Email: ptr("kay2@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		signer, err := db.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		answer := func(s *crm.Survey, c int64, score int) {
			t.Helper()
			tok := signer.Token(crm.TokenSurvey, strconv.FormatInt(s.ID, 10)+":"+strconv.FormatInt(c, 10), time.Now().Add(time.Hour))
			if _, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &score}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SendSurvey(ctx, b.ID, []int64{other.ID}); err != nil {
			t.Fatal(err)
		}
		answer(a, keep.ID, 9)
		answer(a, other.ID, 2)
		answer(b, other.ID, 7)
		if _, err := db.MergeContacts(ctx, keep.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindContactSurveyResponses(ctx, keep.ID)
		if err != nil || len(got) != 2 {
			t.Fatalf("responses after merge = %v %v", got, err)
		}
		for _, r := range got {
			if want := map[int64]int{a.ID: 9, b.ID: 7}[r.SurveyID]; *r.Score != want {
				t.Errorf("survey %d: score %d, want %d", r.SurveyID, *r.Score, want)
			}
		}
		if res, err := db.SurveyResults(ctx, b.ID, crm.SurveyResultsFilter{}); err != nil || res.Sent != 1 || res.Answered != 1 {
			t.Errorf("invitations after merge = %+v %v", res, err)
		}
	})
}

// TestSurveyConcurrentAnswers: a contact's answers sent at once (a
// double click) all succeed and leave one response with the rest in its
// history.
func TestSurveyConcurrentAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := storetest.System()
		s := mustSurvey(t, db, crm.SurveyInput{Slug: ptr("race"), Name: ptr("Race")})
		c, err := db.CreateContact(ctx, crm.ContactInput{FirstName: ptr("Rae"), Email: ptr("rae@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		signer, err := db.Signer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok := signer.Token(crm.TokenSurvey, strconv.FormatInt(s.ID, 10)+":"+strconv.FormatInt(c.ID, 10), time.Now().Add(time.Hour))
		const n = 4
		errs := make(chan error, n)
		for i := range n {
			go func() {
				score := i + 5
				_, err := db.AnswerSurvey(ctx, crm.SurveyAnswer{Slug: s.Slug, Token: tok, Score: &score})
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("answer: %v", err)
			}
		}
		got, err := db.FindContactSurveyResponses(ctx, c.ID)
		if err != nil || len(got) != 1 || got[0].Revisions != n-1 || len(got[0].History) != n-1 {
			t.Fatalf("responses = %+v %v", got, err)
		}
	})
}
