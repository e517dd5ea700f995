package crm

import (
	"context"
	"time"
)

// Activity kinds on a timeline that people log. Tasks live beside them in
// their own type because they have an assignee and a status.
var ActivityKinds = []string{"note", "call", "meeting", "email"}

// KindOrder marks timeline entries the store writes for each step of an
// order (placed, paid, shipped…); Outcome holds the order status. They
// follow the order and cannot be edited or deleted by hand.
const KindOrder = "order"

// Entries the store writes for what a person did on their own: a form
// submission, a survey answer. Like order entries they are records of the
// person's words, so nobody edits or deletes them by hand.
const (
	KindForm   = "form"
	KindSurvey = "survey"
)

// SystemKind reports whether entries of kind are written by the store and
// locked against edits.
func SystemKind(kind string) bool {
	return kind == KindOrder || kind == KindForm || kind == KindSurvey
}

// Call outcomes.
var CallOutcomes = []string{"connected", "no_answer", "voicemail", "busy", "wrong_number"}

// Activity is one entry on a contact's or company's timeline.
type Activity struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	ContactID   *int64    `json:"contact_id"`
	CompanyID   *int64    `json:"company_id"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	Outcome     string    `json:"outcome"`      // calls
	DurationSec int       `json:"duration_sec"` // calls and meetings
	OccurredAt  time.Time `json:"occurred_at"`
	AuthorID    *int64    `json:"author_id"`
	OrderID     *int64    `json:"order_id"`
	CreatedAt   time.Time `json:"created_at"`

	AuthorName string `json:"author_name,omitempty"`
}

// ActivityInput is what may be set on an activity.
type ActivityInput struct {
	Kind        *string    `json:"kind,omitempty"`
	ContactID   *int64     `json:"contact_id,omitempty"`
	CompanyID   *int64     `json:"company_id,omitempty"`
	Subject     *string    `json:"subject,omitempty"`
	Body        *string    `json:"body,omitempty"`
	Outcome     *string    `json:"outcome,omitempty"`
	DurationSec *int       `json:"duration_sec,omitempty"`
	OccurredAt  *time.Time `json:"occurred_at,omitempty"`
}

// ActivityFilter selects activities, newest first.
type ActivityFilter struct {
	ContactID *int64
	CompanyID *int64
	Kind      string
	After     string
	Limit     int
}

// ActivityService is implemented by the store.
type ActivityService interface {
	FindActivityByID(ctx context.Context, id int64) (*Activity, error)
	FindActivities(ctx context.Context, f ActivityFilter) (Page[*Activity], error)
	CreateActivity(ctx context.Context, in ActivityInput) (*Activity, error)
	UpdateActivity(ctx context.Context, id int64, in ActivityInput) (*Activity, error)
	DeleteActivity(ctx context.Context, id int64) error
}

// Task statuses.
var TaskStatuses = []string{"open", "done", "cancelled"}

// Task is a to-do for a staff user, usually about a contact.
type Task struct {
	ID         int64      `json:"id"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	ContactID  *int64     `json:"contact_id"`
	CompanyID  *int64     `json:"company_id"`
	AssigneeID *int64     `json:"assignee_id"`
	DueAt      *time.Time `json:"due_at"`
	RemindAt   *time.Time `json:"remind_at"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`

	AssigneeName string `json:"assignee_name,omitempty"`
	ContactName  string `json:"contact_name,omitempty"`
}

// TaskInput is what may be set on a task.
type TaskInput struct {
	Title      *string    `json:"title,omitempty"`
	Body       *string    `json:"body,omitempty"`
	ContactID  *int64     `json:"contact_id,omitempty"`
	CompanyID  *int64     `json:"company_id,omitempty"`
	AssigneeID *int64     `json:"assignee_id,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	RemindAt   *time.Time `json:"remind_at,omitempty"`
	Status     *string    `json:"status,omitempty"`
}

// TaskFilter selects tasks, soonest due first.
type TaskFilter struct {
	AssigneeID *int64
	ContactID  *int64
	// CompanyID matches tasks on the company and on its people.
	CompanyID    *int64
	Status       string
	DueBefore    *time.Time
	RemindBefore *time.Time // reminders that have come due
	After        string
	Limit        int
}

// TaskService is implemented by the store.
type TaskService interface {
	FindTaskByID(ctx context.Context, id int64) (*Task, error)
	FindTasks(ctx context.Context, f TaskFilter) (Page[*Task], error)
	CreateTask(ctx context.Context, in TaskInput) (*Task, error)
	UpdateTask(ctx context.Context, id int64, in TaskInput) (*Task, error)
	DeleteTask(ctx context.Context, id int64) error
}
