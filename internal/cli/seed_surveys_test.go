package cli

import (
	"context"
	"testing"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/store/storetest"
)

// TestDemoSurveys: the demo's NPS survey has invitations, answers over
// several months, more than one account manager and comments.
func TestDemoSurveys(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	if _, err := seedDemo(context.Background(), db, 300, 1); err != nil {
		t.Fatal(err)
	}
	ctx := storetest.System()
	list, err := db.FindSurveys(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("surveys = %v %v", list, err)
	}
	var nps *crm.Survey
	for _, s := range list {
		if s.Kind == crm.SurveyNPS {
			nps = s
		}
	}
	res, err := db.SurveyResults(ctx, nps.ID, crm.SurveyResultsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 20 || res.Answered == 0 || res.Answered >= res.Sent || len(res.Periods) < 3 || len(res.Managers) < 2 || len(res.Comments) == 0 {
		t.Errorf("demo NPS: sent %d answered %d periods %d managers %d comments %d", res.Sent, res.Answered, len(res.Periods), len(res.Managers), len(res.Comments))
	}
	t.Logf("demo NPS %v over %d answers, rate %v%%", res.Total.NPS, res.Total.Responses, res.ResponseRate)
}
