package api

import (
	"context"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

type taskOut struct{ Body *crm.Task }

type taskListInput struct {
	request
	AssigneeID int64     `query:"assignee_id" minimum:"1"`
	ContactID  int64     `query:"contact_id" minimum:"1"`
	CompanyID  int64     `query:"company_id" minimum:"1" doc:"Tasks on the company and on its people."`
	Status     string    `query:"status" doc:"open, done or cancelled."`
	DueBefore  time.Time `query:"due_before" doc:"RFC 3339; exclusive."`
	RemindBy   time.Time `query:"remind_before" doc:"RFC 3339; tasks whose reminder is due by then."`
	Paging
}

func (in *taskListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"assignee_id", "contact_id", "company_id", "status", "due_before", "remind_before", "limit", "after"}, false)
}

func (s *server) listTasks(ctx context.Context, in *taskListInput) (*listOutput[*crm.Task], error) {
	if in.Status != "" && !slices.Contains(crm.TaskStatuses, in.Status) {
		return nil, invalid("query.status", "invalid_choice")
	}
	f := crm.TaskFilter{
		AssigneeID: in.optionalID("assignee_id", in.AssigneeID), ContactID: in.optionalID("contact_id", in.ContactID),
		CompanyID: in.optionalID("company_id", in.CompanyID), Status: in.Status, After: in.After, Limit: in.Limit,
	}
	if !in.DueBefore.IsZero() {
		f.DueBefore = &in.DueBefore
	}
	if !in.RemindBy.IsZero() {
		f.RemindBefore = &in.RemindBy
	}
	p, err := s.svc.Tasks.FindTasks(ctx, f)
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

func (s *server) getTask(ctx context.Context, in *IDPath) (*taskOut, error) {
	t, err := s.svc.Tasks.FindTaskByID(ctx, in.ID)
	return &taskOut{t}, err
}

type taskCreateInput struct {
	Idempotency
	Body crm.TaskInput
}

func (s *server) createTask(ctx context.Context, in *taskCreateInput) (*taskOut, error) {
	t, err := s.svc.Tasks.CreateTask(ctx, in.Body)
	return &taskOut{t}, err
}

type taskUpdateInput struct {
	IDPath
	Body crm.TaskInput
}

func (s *server) updateTask(ctx context.Context, in *taskUpdateInput) (*taskOut, error) {
	t, err := s.svc.Tasks.UpdateTask(ctx, in.ID, in.Body)
	return &taskOut{t}, err
}

func (s *server) deleteTask(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Tasks.DeleteTask(ctx, in.ID)
}
