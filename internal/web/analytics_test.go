package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

func init() {
	targetParts = append(targetParts, analyticsTargets)
	pageParts = append(pageParts, analyticsPages)
}

// analyticsTargets: the analytics routes need no records.
func analyticsTargets(t *testing.T, e *env, pattern string, tg *targets) (url.Values, bool) {
	_, path, _ := strings.Cut(pattern, " ")
	// The economics pages under /analytics have their own part.
	if !strings.HasPrefix(path, "/analytics") || strings.HasPrefix(path, "/analytics/costs") ||
		strings.HasPrefix(path, "/analytics/cohorts") || strings.HasPrefix(path, "/analytics/economics") {
		return nil, false
	}
	return url.Values{}, true
}

// scoreShop imports an order history and runs the score job; it returns
// a scored contact.
func scoreShop(t *testing.T, e *env) int64 {
	t.Helper()
	storetest.OrderHistory(t, e.db, 40, time.Now().UTC())
	run, err := e.svc.Scores.RecomputeScores(sys(), crm.ScoreOptions{})
	if err != nil || run.Status != "ok" {
		t.Fatalf("score run: %+v, %v", run, err)
	}
	var id int64
	if err := e.db.Read().QueryRowContext(context.Background(), `SELECT contact_id FROM contact_scores ORDER BY clv_12m DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// analyticsPages adds the analytics home and a scored contact's page.
func analyticsPages(t *testing.T, e *env, fx fixture) []pageCase {
	id := scoreShop(t, e)
	return []pageCase{
		{"analytics", "/analytics", "table.rfm-grid tbody tr td.rfm-champions span.n", 200},
		{"contact", "/contacts/" + itoa(id), "section#contact-scores dl.scores dd", 200},
	}
}

// TestAnalyticsHome: the home shows the grid, the call list linking to
// contacts, the CLV chart and the model; Persian digits in Persian; a
// manager's Recompute asks the job for a run; a reader sees no button;
// the contact page of a scored customer shows the scores.
func TestAnalyticsHome(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	id := scoreShop(t, e)
	c := e.session(crm.RoleManager)
	rec := e.do(c, http.MethodGet, "/analytics", nil)
	if rec.Code != 200 {
		t.Fatalf("status %d\n%s", rec.Code, rec.Body)
	}
	d := doc(t, rec)
	for _, sel := range []string{"table.rfm-grid tbody tr", "table.rfm-groups tbody tr", "figure.chart svg.hbar rect", "table.bgnbd", "table.gamma-gamma",
		"table.holdout tbody tr", "form[action='/analytics/recompute'] button", "nav a[href='/analytics'][aria-current=page]"} {
		if d.Find(sel).Length() == 0 {
			t.Errorf("no %q", sel)
		}
	}
	if n := d.Find("table.rfm-grid tbody tr").Length(); n != 5 {
		t.Errorf("grid rows = %d", n)
	}
	if strings.Contains(rec.Body.String(), "scores.") {
		t.Errorf("untranslated key on the page")
	}
	if d.Find("table.at-risk tbody tr th a[href^='/contacts/']").Length() == 0 && !strings.Contains(d.Find("table.at-risk").Text(), "No customer is at risk") {
		t.Errorf("at-risk table has neither links nor the empty note")
	}

	fa := e.session(crm.RoleManager)
	fa.lang = "fa"
	body := e.do(fa, http.MethodGet, "/analytics", nil).Body.String()
	if !persianDigit.MatchString(body) || strings.Contains(body, "scores.") {
		t.Errorf("Persian analytics page: no Persian digits or an untranslated key")
	}
	// Right to left, the CLV bars grow from the right: labels anchor at the end of their column.
	if !strings.Contains(body, `<text x="254" y="17" text-anchor="start"`) {
		t.Errorf("Persian CLV chart is not mirrored")
	}

	rec = e.do(c, http.MethodPost, "/analytics/recompute", url.Values{})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/analytics?requested=1" {
		t.Fatalf("recompute: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	var next int64
	if err := e.db.Read().QueryRowContext(context.Background(), `SELECT next_run_at FROM jobs WHERE name = $1`, crm.JobScores).Scan(&next); err != nil || next != 0 {
		t.Errorf("job not requested: next_run_at %d, %v", next, err)
	}

	ro := e.session(crm.RoleReadOnly)
	d = doc(t, e.do(ro, http.MethodGet, "/analytics", nil))
	if d.Find("form[action='/analytics/recompute']").Length() != 0 {
		t.Error("a read-only user sees Recompute")
	}

	d = doc(t, e.do(c, http.MethodGet, "/contacts/"+itoa(id), nil))
	if d.Find("section#contact-scores dl.scores span.tag").Length() == 0 {
		t.Errorf("contact page without scores:\n%s", d.Find("section#contact-scores").Text())
	}
	// A contact without orders says it has no scores.
	other, err := e.svc.Contacts.CreateContact(sys(), crm.ContactInput{FirstName: ptr("Nora")})
	if err != nil {
		t.Fatal(err)
	}
	d = doc(t, e.do(c, http.MethodGet, "/contacts/"+itoa(other.ID), nil))
	if d.Find("section#contact-scores p.muted").Length() == 0 {
		t.Error("a contact without orders shows no 'no scores' note")
	}
}
