package crm

import (
	"context"
	"fmt"
	"time"
)

// Form statuses: an archived form keeps its submissions but its public
// page answers 404.
const (
	FormActive   = "active"
	FormArchived = "archived"
)

// FormStatuses lists the statuses.
var FormStatuses = []string{FormActive, FormArchived}

// Submission statuses. A pending submission waits for its double opt-in
// confirmation and grants nothing until then; spam refused by the
// honeypot, the timing check or a rate limit is never stored.
const (
	SubmissionAccepted  = "accepted"
	SubmissionPending   = "pending"
	SubmissionConfirmed = "confirmed"
)

// SubmissionStatuses lists the statuses, for filters.
var SubmissionStatuses = []string{SubmissionAccepted, SubmissionPending, SubmissionConfirmed}

// Form field input types.
const (
	FieldText        = "text"
	FieldTextarea    = "textarea"
	FieldEmail       = "email"
	FieldPhone       = "phone"
	FieldNumber      = "number"
	FieldDate        = "date"
	FieldSelect      = "select"
	FieldMultiSelect = "multiselect"
	FieldCheckbox    = "checkbox"
)

// FormFieldTypes lists the input types in the builder's order.
var FormFieldTypes = []string{FieldText, FieldTextarea, FieldEmail, FieldPhone, FieldNumber, FieldDate, FieldSelect, FieldMultiSelect, FieldCheckbox}

// FormContactFields are the contact fields a form field may fill
// (FormField.Maps); custom fields are "custom.<key>". "company" is the
// company's name: a new contact is linked to the company of that name,
// which is created when there is none.
var FormContactFields = []string{"first_name", "last_name", "email", "phone", "company", "title", "city", "country", "language"}

// Limits of a form definition.
const (
	MaxFormFields   = 50
	MaxFormOptions  = 100
	MaxFormWording  = 5000
	MaxFormMessage  = 2000
	MaxFormTextarea = 5000
	// OptInExpiry is how long a double opt-in link works.
	OptInExpiry = 7 * 24 * time.Hour
	// FormStampMaxAge is how old a rendered form may be when it is
	// submitted; FormStampMinAge is how fast a person can possibly fill
	// one in (bots post at once).
	FormStampMaxAge = 24 * time.Hour
	FormStampMinAge = 2 * time.Second
)

// Token purposes of forms: the render stamp of the timing check (subject
// "slug:unix ms"; the signer keeps "|" for itself) is signed like the
// opt-in link so it cannot be forged.
const TokenFormStamp = "form_stamp"

// Form is a form a business puts on its site or links to: fields mapped
// to contact fields, consent checkboxes with their exact wording, and
// what happens after a submission.
type Form struct {
	ID       int64  `json:"id"`
	Slug     string `json:"slug" doc:"The form's address: /f/{slug}."`
	Name     string `json:"name" doc:"Internal name, shown in the console."`
	Status   string `json:"status" enum:"active,archived"`
	Language string `json:"language" doc:"Language of the labels and wording; new contacts get it when the form asks no language."`
	Title    string `json:"title" doc:"Heading of the hosted page."`
	Intro    string `json:"intro"`
	// SubmitLabel is the button's text; empty uses "Submit" in the
	// visitor's language.
	SubmitLabel    string        `json:"submit_label"`
	Fields         []FormField   `json:"fields"`
	Consents       []FormConsent `json:"consents"`
	DoubleOptIn    bool          `json:"double_opt_in" doc:"Consents are granted only when the person confirms by the link mailed to them."`
	OwnerID        *int64        `json:"owner_id" doc:"Notified of each submission; owns the contacts the form creates."`
	SuccessMessage string        `json:"success_message"`
	RedirectURL    string        `json:"redirect_url" doc:"Where the visitor goes after submitting, instead of the success message."`
	Views          int64         `json:"views" doc:"Renders of the hosted page (also inside the embed)."`
	Submissions    int64         `json:"submissions"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`

	OwnerName string `json:"owner_name,omitempty"`
}

// Conversion is submissions per view in percent, or -1 before any view.
func (f *Form) Conversion() float64 {
	if f.Views == 0 {
		return -1
	}
	return float64(f.Submissions) * 100 / float64(f.Views)
}

// Field returns the field named name, or nil.
func (f *Form) Field(name string) *FormField {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

// WordingVersion names one version of a consent checkbox's text in the
// ledger: form, topic and version number, so an entry names the exact
// text whatever happens to the form afterwards.
func (f *Form) WordingVersion(c FormConsent) string {
	return fmt.Sprintf("form-%d/%s.%s/v%d", f.ID, c.Purpose, c.Channel, c.Version)
}

// FormField is one input of a form.
type FormField struct {
	Name  string `json:"name" required:"false" maxLength:"40" pattern:"^[a-z][a-z0-9_]{0,39}$" doc:"The input's name; submissions keep values under it. Defaults to the mapped field's name."`
	Label string `json:"label" maxLength:"200"`
	Type  string `json:"type" required:"false" enum:"text,textarea,email,phone,number,date,select,multiselect,checkbox" doc:"Set from the mapped field for mapped fields."`
	// Maps is the contact field the value fills (FormContactFields or
	// custom.<key>); empty keeps the answer on the submission only.
	Maps      string   `json:"maps,omitempty" maxLength:"60" doc:"Contact field filled: first_name, last_name, email, phone, company, title, city, country, language or custom.<key>; empty keeps the answer on the submission only."`
	Required  bool     `json:"required" required:"false"`
	MaxLength int      `json:"max_length,omitempty" minimum:"0" maximum:"5000" doc:"0 uses the field's own limit."`
	Options   []string `json:"options,omitempty" maxItems:"100" doc:"Choices of select and multiselect fields (from the custom field when mapped to one)."`
	Help      string   `json:"help,omitempty" maxLength:"500"`
}

// FormConsent is one consent checkbox: a topic and the words the person
// sees. Version is set by the store and grows each time the wording
// changes; every version stays in the form's history.
type FormConsent struct {
	Purpose string `json:"purpose" enum:"marketing,analytics,personalisation,partners"`
	Channel string `json:"channel" enum:"email,sms,phone,web,any"`
	Wording string `json:"wording" maxLength:"5000"`
	Version int    `json:"version" required:"false" doc:"Set by the server; grows when the wording changes."`
}

// FormConsentVersion is one wording a checkbox has had.
type FormConsentVersion struct {
	FormID    int64     `json:"form_id"`
	Purpose   string    `json:"purpose"`
	Channel   string    `json:"channel"`
	Version   int       `json:"version"`
	Wording   string    `json:"wording"`
	CreatedAt time.Time `json:"created_at"`
}

// FormInput is what may be set on a form; nil fields are unchanged.
type FormInput struct {
	Slug           *string        `json:"slug,omitempty" maxLength:"60" pattern:"^[a-z0-9][a-z0-9-]{1,59}$" doc:"Made from the name when not given."`
	Name           *string        `json:"name,omitempty" maxLength:"200"`
	Status         *string        `json:"status,omitempty" enum:"active,archived"`
	Language       *string        `json:"language,omitempty" maxLength:"5"`
	Title          *string        `json:"title,omitempty" maxLength:"200"`
	Intro          *string        `json:"intro,omitempty" maxLength:"2000"`
	SubmitLabel    *string        `json:"submit_label,omitempty" maxLength:"60"`
	Fields         *[]FormField   `json:"fields,omitempty" maxItems:"50" doc:"One field must fill the email, and be required."`
	Consents       *[]FormConsent `json:"consents,omitempty" maxItems:"6"`
	DoubleOptIn    *bool          `json:"double_opt_in,omitempty"`
	OwnerID        *int64         `json:"owner_id,omitempty" doc:"0 clears."`
	SuccessMessage *string        `json:"success_message,omitempty" maxLength:"2000"`
	RedirectURL    *string        `json:"redirect_url,omitempty" maxLength:"2000"`
}

// FormSubmission is one submission as stored: the values the person
// sent, which consents they were asked and ticked (with the exact
// wording), and where it came from.
type FormSubmission struct {
	ID          int64               `json:"id"`
	FormID      int64               `json:"form_id"`
	ContactID   *int64              `json:"contact_id" doc:"Null once the contact is deleted."`
	Values      map[string]any      `json:"values" doc:"Cleaned values by field name."`
	Consents    []SubmissionConsent `json:"consents"`
	IP          string              `json:"ip"`
	UserAgent   string              `json:"user_agent"`
	VisitorID   string              `json:"visitor_id" doc:"The tracking visitor id the embed passed, if any."`
	Status      string              `json:"status" enum:"accepted,pending,confirmed"`
	CreatedAt   time.Time           `json:"created_at"`
	ConfirmedAt *time.Time          `json:"confirmed_at"`
	ConfirmIP   string              `json:"confirm_ip"`

	ContactName string `json:"contact_name,omitempty"`
}

// SubmissionConsent is one checkbox as the person saw it.
type SubmissionConsent struct {
	Purpose        string `json:"purpose"`
	Channel        string `json:"channel"`
	WordingVersion string `json:"wording_version"`
	Wording        string `json:"wording"`
	Ticked         bool   `json:"ticked"`
}

// FormSubmissionFilter selects a form's submissions, newest first.
type FormSubmissionFilter struct {
	FormID int64
	Status string
	After  string
	Limit  int
}

// FormSubmitInput is a submission from the public page, before checks.
type FormSubmitInput struct {
	Slug      string
	Values    map[string][]string
	Ticked    []ConsentTopic
	IP        string
	UserAgent string
	VisitorID string
	// Lang is the page's language: the confirmation mail speaks it.
	Lang string
}

// FormNotice is what the owner's notification says.
type FormNotice struct {
	Form       *Form
	Submission *FormSubmission
	Contact    *Contact
	Created    bool
	Owner      *User
	ContactURL string
}

// FormOptInMail is what a double opt-in confirmation says.
type FormOptInMail struct {
	Form       *Form
	Submission *FormSubmission
	Contact    *Contact
	Lang       string
	ConfirmURL string
	Expires    time.Time
	// PrefURL is the person's preference-centre link, for the footer.
	PrefURL string
}

// FormMailer writes the messages of a submission. The store calls it in
// the submission's transaction, once the ids the links need exist; the
// console implements it with its templates and catalogue.
type FormMailer interface {
	Notification(n FormNotice) MailMessage
	OptIn(o FormOptInMail) MailMessage
}

// MaxOptInMails bounds confirmation mails to one address per day, so a
// list-bombing run (many submissions of a victim's address) sends them
// at most this many; later submissions are stored without a mail.
const MaxOptInMails = 3

// FormService is implemented by the store. The public methods (page,
// view count, submission, opt-in) run as the system actor.
type FormService interface {
	FindForms(ctx context.Context, status string) ([]*Form, error)
	FindFormByID(ctx context.Context, id int64) (*Form, error)
	CreateForm(ctx context.Context, in FormInput) (*Form, error)
	UpdateForm(ctx context.Context, id int64, in FormInput) (*Form, error)
	// DeleteForm deletes a form without submissions; one with
	// submissions is archived instead (they are records of consent).
	DeleteForm(ctx context.Context, id int64) error
	FormConsentVersions(ctx context.Context, formID int64) ([]*FormConsentVersion, error)
	FindFormSubmissions(ctx context.Context, f FormSubmissionFilter) (Page[*FormSubmission], error)

	FindPublicForm(ctx context.Context, slug string) (*Form, error)
	CountFormView(ctx context.Context, formID int64) error
	SubmitForm(ctx context.Context, in FormSubmitInput, m FormMailer) (*FormSubmission, error)
	// FindOptIn checks a confirmation token and returns its submission.
	FindOptIn(ctx context.Context, token string) (*Form, *FormSubmission, error)
	// ConfirmOptIn records the consents of a pending submission; a
	// confirmed one is returned unchanged with already = true.
	ConfirmOptIn(ctx context.Context, token, ip, userAgent string) (f *Form, s *FormSubmission, already bool, err error)
}
