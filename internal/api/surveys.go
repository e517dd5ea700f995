package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Surveys (surveys:read|write): NPS, CSAT and custom questionnaires,
// their answers and results, and sending a personal link by mail.
// Answering is not in the API: respondents answer on /s/{slug}, with the
// personal link's token or, for surveys that allow it, anonymously.

var surveysR, surveysW = crm.P(crm.ResSurveys, crm.Read), crm.P(crm.ResSurveys, crm.Write)

// surveySendDoc is the description of send-survey.
const surveySendDoc = "Mails each contact a personal link to the survey (`/s/{slug}?t=…`, valid for 30 days). " +
	"A survey is a service message, not marketing, so no marketing consent is needed; contacts without an email address, " +
	"whose newest marketing-email consent entry is a withdrawal, who already answered, or who were sent the survey in the " +
	"last 7 days are skipped and counted by reason. Only an active survey can be sent (409 otherwise)."

// surveyRoutes registers the survey operations; sending picks contacts,
// so it also needs contacts:read.
func (s *server) surveyRoutes(a huma.API) {
	handle(s, a, op(get, "/surveys", "list-surveys", "List surveys", surveysR), s.listSurveys)
	handle(s, a, op(post, "/surveys", "create-survey", "Create a survey", surveysW).status(201), s.createSurvey)
	handle(s, a, op(get, "/surveys/{id}", "get-survey", "Get a survey", surveysR), s.getSurvey)
	handle(s, a, op(patch, "/surveys/{id}", "update-survey", "Update a survey (only the fields sent; the kind is fixed once answered)", surveysW), s.updateSurvey)
	handle(s, a, op(del, "/surveys/{id}", "delete-survey", "Delete a survey with its answers and invitations", surveysW).status(204), s.deleteSurvey)
	handle(s, a, op(get, "/surveys/{id}/responses", "list-survey-responses", "A survey's answers, newest first", surveysR), s.listSurveyResponses)
	handle(s, a, op(get, "/surveys/{id}/results", "survey-results", "NPS or CSAT results: totals, distribution, over time, by account manager, response rate", surveysR), s.surveyResults)
	handle(s, a, op(post, "/surveys/{id}/send", "send-survey", "Mail contacts a personal link to the survey", surveysW, contactsR).doc(surveySendDoc), s.sendSurvey)
}

type surveyOut struct{ Body *crm.Survey }

func (s *server) listSurveys(ctx context.Context, _ *struct{}) (*items[*crm.Survey], error) {
	list, err := s.svc.Surveys.FindSurveys(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

func (s *server) getSurvey(ctx context.Context, in *IDPath) (*surveyOut, error) {
	sv, err := s.svc.Surveys.FindSurveyByID(ctx, in.ID)
	return &surveyOut{sv}, err
}

type surveyCreateInput struct {
	Idempotency
	Body crm.SurveyInput
}

func (s *server) createSurvey(ctx context.Context, in *surveyCreateInput) (*surveyOut, error) {
	sv, err := s.svc.Surveys.CreateSurvey(ctx, in.Body)
	return &surveyOut{sv}, err
}

type surveyUpdateInput struct {
	IDPath
	Body crm.SurveyInput
}

func (s *server) updateSurvey(ctx context.Context, in *surveyUpdateInput) (*surveyOut, error) {
	sv, err := s.svc.Surveys.UpdateSurvey(ctx, in.ID, in.Body)
	return &surveyOut{sv}, err
}

func (s *server) deleteSurvey(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Surveys.DeleteSurvey(ctx, in.ID)
}

type surveyResponsesInput struct {
	request
	IDPath
	ManagerID int64 `query:"manager_id" minimum:"0" doc:"Only answers credited to this account manager; 0 for answers credited to nobody."`
	Paging
}

func (in *surveyResponsesInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"manager_id", "limit", "after"}, false)
}

func (s *server) listSurveyResponses(ctx context.Context, in *surveyResponsesInput) (*listOutput[*crm.SurveyResponse], error) {
	p, err := s.svc.Surveys.FindSurveyResponses(ctx, crm.SurveyResponseFilter{SurveyID: in.ID, ManagerID: in.optionalID("manager_id", in.ManagerID),
		After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

type surveyResultsInput struct {
	IDPath
	Bucket string `query:"bucket" enum:"month,week" doc:"Periods of the results over time (default month; UTC, weeks start on Monday)."`
	From   string `query:"from" format:"date" doc:"Only answers given on or after this day (YYYY-MM-DD, UTC)."`
	To     string `query:"to" format:"date" doc:"Only answers given on or before this day (YYYY-MM-DD, UTC)."`
}

type surveyResultsOut struct{ Body *crm.SurveyResults }

func (s *server) surveyResults(ctx context.Context, in *surveyResultsInput) (*surveyResultsOut, error) {
	f := crm.SurveyResultsFilter{Bucket: in.Bucket}
	var v crm.Validation
	for _, p := range []struct {
		name, val string
		dst       **time.Time
		add       int
	}{{"from", in.From, &f.From, 0}, {"to", in.To, &f.To, 1}} {
		if p.val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, p.val)
		if err != nil {
			v.Add(p.name, "invalid_date")
			continue
		}
		t = t.AddDate(0, 0, p.add)
		*p.dst = &t
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	res, err := s.svc.Surveys.SurveyResults(ctx, in.ID, f)
	return &surveyResultsOut{res}, err
}

// SurveySendRequest names the contacts to invite.
type SurveySendRequest struct {
	ContactIDs []int64 `json:"contact_ids" minItems:"1" maxItems:"500" doc:"Contacts to send the survey to."`
}

type surveySendInput struct {
	Idempotency
	IDPath
	Body SurveySendRequest
}

type surveySendOut struct{ Body *crm.SurveySendReport }

func (s *server) sendSurvey(ctx context.Context, in *surveySendInput) (*surveySendOut, error) {
	rep, err := s.svc.Surveys.SendSurvey(ctx, in.ID, in.Body.ContactIDs)
	return &surveySendOut{rep}, err
}
