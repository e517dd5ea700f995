package crm

import (
	"context"
	"time"
)

// Survey kinds. NPS asks "how likely are you to recommend us" on 0–10,
// CSAT "how satisfied are you" on 1–5; both take a comment and may add
// custom questions. A custom survey is questions only and has no score.
const (
	SurveyNPS    = "nps"
	SurveyCSAT   = "csat"
	SurveyCustom = "custom"
)

// SurveyKinds lists the kinds in display order.
var SurveyKinds = []string{SurveyNPS, SurveyCSAT, SurveyCustom}

// Survey states: a draft can be previewed by staff but neither sent nor
// answered; a closed survey keeps its results and refuses new answers.
const (
	SurveyDraft  = "draft"
	SurveyActive = "active"
	SurveyClosed = "closed"
)

// SurveyStatuses lists the states.
var SurveyStatuses = []string{SurveyDraft, SurveyActive, SurveyClosed}

// Question types of custom questions.
const (
	QuestionText     = "text"
	QuestionSingle   = "single"
	QuestionMultiple = "multiple"
	QuestionRating   = "rating"
)

// QuestionTypes lists the question types.
var QuestionTypes = []string{QuestionText, QuestionSingle, QuestionMultiple, QuestionRating}

// Bounds of a survey definition and of an answer. Everything a visitor
// sends is bounded by these before it reaches the database.
const (
	MaxSurveyQuestions = 30
	MaxQuestionOptions = 20
	MaxSurveyComment   = 2000
	MaxAnswerText      = 2000
	MaxSurveyText      = 2000 // intro and thank-you texts
	MaxSlug            = 60
	// MaxSurveySend caps one send to a contact list; the report says how
	// many more matched, so the sender can narrow the list or send again.
	MaxSurveySend = 5000
	// SurveyResendAfter: a contact already sent the survey is skipped
	// for this long, so two clicks never mean two invitations.
	SurveyResendAfter = 7 * 24 * time.Hour
	// SurveyLinkTTL is how long an invitation link works.
	SurveyLinkTTL = 30 * 24 * time.Hour
	// MaxSurveyHistory bounds the earlier versions kept on a response.
	MaxSurveyHistory = 20
)

// SurveyQuestion is one custom question.
type SurveyQuestion struct {
	Key      string   `json:"key" maxLength:"40" pattern:"^[a-z][a-z0-9_]{0,39}$" doc:"Stable identifier of the question; answers are keyed by it."`
	Type     string   `json:"type" enum:"text,single,multiple,rating"`
	Label    string   `json:"label" maxLength:"500"`
	Options  []string `json:"options,omitempty" maxItems:"20" doc:"Choices of single and multiple questions."`
	Required bool     `json:"required" required:"false" doc:"Whether an answer must be given."`
	// Min and Max bound a rating scale (defaults 1 and 5, within 0–10).
	Min int `json:"min,omitempty" minimum:"0" maximum:"10" doc:"Lowest value of a rating scale (default 1)."`
	Max int `json:"max,omitempty" minimum:"0" maximum:"10" doc:"Highest value of a rating scale (default 5)."`
}

// Survey is an NPS, CSAT or custom questionnaire. Texts left empty are
// shown in the respondent's language from the catalogue; texts set here
// are shown as written.
type Survey struct {
	ID        int64            `json:"id"`
	Slug      string           `json:"slug" doc:"The public address: /s/{slug}."`
	Name      string           `json:"name"`
	Kind      string           `json:"kind" enum:"nps,csat,custom"`
	Question  string           `json:"question" doc:"The score question; empty for the standard wording in the respondent's language."`
	Questions []SurveyQuestion `json:"questions"`
	Intro     string           `json:"intro"`
	ThankYou  string           `json:"thank_you"`
	Status    string           `json:"status" enum:"draft,active,closed"`
	// Anonymous allows answers without a personal link: the survey can
	// be embedded in a site or shared as a plain URL.
	Anonymous bool      `json:"anonymous" doc:"Whether /s/{slug} accepts answers without a personal link (embedded or shared surveys)."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Scored reports whether the survey has a score question.
func (s *Survey) Scored() bool { return s.Kind == SurveyNPS || s.Kind == SurveyCSAT }

// ScoreRange is the score scale of the kind.
func (s *Survey) ScoreRange() (lo, hi int) {
	if s.Kind == SurveyCSAT {
		return 1, 5
	}
	return 0, 10
}

// SurveyInput is what may be set on a survey; nil fields are unchanged.
type SurveyInput struct {
	Slug      *string           `json:"slug,omitempty" maxLength:"60" pattern:"^[a-z0-9][a-z0-9-]{0,59}$"`
	Name      *string           `json:"name,omitempty" maxLength:"200"`
	Kind      *string           `json:"kind,omitempty" enum:"nps,csat,custom" doc:"Fixed once the survey has answers."`
	Question  *string           `json:"question,omitempty" maxLength:"500"`
	Questions *[]SurveyQuestion `json:"questions,omitempty" maxItems:"30"`
	Intro     *string           `json:"intro,omitempty" maxLength:"2000"`
	ThankYou  *string           `json:"thank_you,omitempty" maxLength:"2000"`
	Status    *string           `json:"status,omitempty" enum:"draft,active,closed"`
	Anonymous *bool             `json:"anonymous,omitempty"`
}

// Response channels: a personal link from an invitation, or the
// anonymous page (embedded or shared).
const (
	ChannelLink  = "link"
	ChannelEmbed = "embed"
)

// SurveyResponse is one answer. A contact has at most one per survey;
// answering again replaces it and keeps the earlier version in History.
// ManagerID is the contact's owner when the answer was given: results by
// account manager credit the manager who looked after the customer then.
type SurveyResponse struct {
	ID          int64            `json:"id"`
	SurveyID    int64            `json:"survey_id"`
	ContactID   *int64           `json:"contact_id" doc:"Null for anonymous answers."`
	ContactName string           `json:"contact_name,omitempty"`
	ManagerID   *int64           `json:"manager_id" doc:"The contact's owner at the time of the answer."`
	ManagerName string           `json:"manager_name,omitempty"`
	Score       *int             `json:"score" doc:"0–10 for NPS, 1–5 for CSAT, null for custom surveys."`
	Comment     string           `json:"comment"`
	Answers     map[string]any   `json:"answers" doc:"Custom answers by question key: a string, a list of strings or a number."`
	Channel     string           `json:"channel" enum:"link,embed"`
	IP          string           `json:"ip"`
	UserAgent   string           `json:"user_agent"`
	Revisions   int              `json:"revisions" doc:"How many times the answer was changed."`
	History     []SurveyRevision `json:"history" doc:"Earlier versions of the answer, oldest first."`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// SurveyRevision is an earlier version of a changed answer.
type SurveyRevision struct {
	Score     *int           `json:"score"`
	Comment   string         `json:"comment"`
	Answers   map[string]any `json:"answers"`
	ManagerID *int64         `json:"manager_id"`
	At        time.Time      `json:"at"`
}

// SurveyAnswer is what a respondent sends. Token is the personal link's
// token; without one the answer is anonymous, which only surveys with
// Anonymous set accept.
type SurveyAnswer struct {
	Slug      string
	Token     string
	Score     *int
	Comment   string
	Answers   map[string][]string // raw form values by question key
	IP        string
	UserAgent string
}

// SurveyResponseFilter selects a survey's responses, newest first.
type SurveyResponseFilter struct {
	SurveyID  int64
	ManagerID *int64
	After     string
	Limit     int
}

// Buckets of the results over time.
const (
	BucketMonth = "month"
	BucketWeek  = "week"
)

// SurveyResultsFilter narrows the results to answers in [From, To).
type SurveyResultsFilter struct {
	Bucket string
	From   *time.Time
	To     *time.Time
}

// SurveyScore is the summary of a set of scored answers. For NPS,
// Promoters answered 9–10, Passives 7–8 and Detractors 0–6, and NPS is
// %promoters − %detractors (−100…100). For CSAT, Satisfied answered 4–5;
// Average is the mean score.
type SurveyScore struct {
	Responses  int     `json:"responses"`
	Promoters  int     `json:"promoters"`
	Passives   int     `json:"passives"`
	Detractors int     `json:"detractors"`
	NPS        float64 `json:"nps" doc:"NPS surveys: % promoters − % detractors."`
	Satisfied  int     `json:"satisfied"`
	Average    float64 `json:"average" doc:"Mean score."`
	CSAT       float64 `json:"csat" doc:"CSAT surveys: % of answers 4 or 5."`
}

// SurveyPeriod is the score of one bucket of time.
type SurveyPeriod struct {
	Start time.Time `json:"start"`
	SurveyScore
}

// SurveyManagerScore is the score of one account manager's customers.
type SurveyManagerScore struct {
	ManagerID   *int64 `json:"manager_id" doc:"Null for answers from contacts without an owner and anonymous answers."`
	ManagerName string `json:"manager_name"`
	SurveyScore
}

// SurveyResults are a survey's results.
type SurveyResults struct {
	SurveyID     int64                `json:"survey_id"`
	Kind         string               `json:"kind"`
	Total        SurveyScore          `json:"total"`
	Distribution []int                `json:"distribution" doc:"Answers per score, from the lowest score of the scale."`
	Periods      []SurveyPeriod       `json:"periods"`
	Managers     []SurveyManagerScore `json:"managers"`
	Sent         int                  `json:"sent" doc:"Contacts sent an invitation."`
	Answered     int                  `json:"answered" doc:"Invited contacts who answered."`
	ResponseRate float64              `json:"response_rate" doc:"Answered ÷ sent, in %."`
	Anonymous    int                  `json:"anonymous" doc:"Answers without a personal link."`
	Comments     []*SurveyResponse    `json:"comments" doc:"The latest answers with a comment."`
	Questions    []QuestionResult     `json:"questions" doc:"Per custom question: how many answered it and, for choices and ratings, the count per option or value."`
}

// QuestionResult sums the answers to one custom question. Options are
// the choices in the survey's order (single, multiple) or the values of
// the scale (rating); text questions only count answers, which are read
// in the responses.
type QuestionResult struct {
	Key     string        `json:"key"`
	Label   string        `json:"label"`
	Type    string        `json:"type"`
	Answers int           `json:"answers"`
	Options []OptionCount `json:"options"`
	Average float64       `json:"average" doc:"Rating questions: the mean value."`
}

// OptionCount is how many answers picked one option or value.
type OptionCount struct {
	Option string `json:"option"`
	Count  int    `json:"count"`
}

// Reasons a contact was not sent a survey.
const (
	SkipNoEmail  = "no_email"
	SkipOptedOut = "opted_out"
	SkipAnswered = "answered"
	SkipRecent   = "recent"
)

// SurveySendReport says what a send did.
type SurveySendReport struct {
	Matched int            `json:"matched" doc:"Contacts matched by the request."`
	Sent    int            `json:"sent"`
	Skipped map[string]int `json:"skipped" doc:"Contacts not sent, by reason: no_email, opted_out (withdrew marketing email), answered (already answered), recent (sent in the last 7 days)."`
	Capped  int            `json:"capped" doc:"Matched contacts beyond the cap of one send (5000), not sent."`
}

// SurveySend records an invitation to one contact.
type SurveySend struct {
	ID        int64     `json:"id"`
	SurveyID  int64     `json:"survey_id"`
	ContactID int64     `json:"contact_id"`
	MailID    *int64    `json:"mail_id"`
	Actor     string    `json:"actor"`
	SentAt    time.Time `json:"sent_at"`
}

// SurveyService is implemented by the store. Staff need surveys:read or
// surveys:write; the public pages act as the system actor and the store
// checks the personal link's token itself.
type SurveyService interface {
	FindSurveys(ctx context.Context) ([]*Survey, error)
	FindSurveyByID(ctx context.Context, id int64) (*Survey, error)
	// FindSurveyBySlug is for the public page: drafts are not found.
	FindSurveyBySlug(ctx context.Context, slug string) (*Survey, error)
	CreateSurvey(ctx context.Context, in SurveyInput) (*Survey, error)
	UpdateSurvey(ctx context.Context, id int64, in SurveyInput) (*Survey, error)
	DeleteSurvey(ctx context.Context, id int64) error
	// SendSurvey mails the personal link to each contact (surveys:write
	// and contacts:read; own-only roles reach only their contacts).
	SendSurvey(ctx context.Context, id int64, contactIDs []int64) (*SurveySendReport, error)
	// SendSurveyToList sends to the contacts a list filter matches, up to
	// MaxSurveySend.
	SendSurveyToList(ctx context.Context, id int64, f ContactFilter) (*SurveySendReport, error)
	// CheckSurveyToken verifies a personal link: the survey and the
	// contact it was made for, or ErrSurveyLinkInvalid / ErrSurveyLinkExpired.
	CheckSurveyToken(ctx context.Context, slug, token string) (*Survey, *Contact, error)
	// AnswerSurvey records an answer and puts it on the contact's
	// timeline in one transaction.
	AnswerSurvey(ctx context.Context, in SurveyAnswer) (*SurveyResponse, error)
	FindSurveyResponses(ctx context.Context, f SurveyResponseFilter) (Page[*SurveyResponse], error)
	// SurveyResponseCounts is the number of answers per survey id, for
	// the list of surveys.
	SurveyResponseCounts(ctx context.Context) (map[int64]int, error)
	FindContactSurveyResponses(ctx context.Context, contactID int64) ([]*SurveyResponse, error)
	SurveyResults(ctx context.Context, id int64, f SurveyResultsFilter) (*SurveyResults, error)
}

// Errors of a personal survey link. Visitors are told which one it is:
// an expired link is worth asking for again, a forged one is not.
var (
	ErrSurveyLinkInvalid = &Error{Code: EFORBIDDEN, Message: "this survey link is not valid"}
	ErrSurveyLinkExpired = &Error{Code: EFORBIDDEN, Message: "this survey link has expired"}
	// ErrSurveyClosed refuses answers to a survey that is not active.
	ErrSurveyClosed = &Error{Code: ECONFLICT, Message: "this survey is closed"}
)
