package crm

import (
	"context"
	"time"
)

// Mail kinds: why a message was sent, for the outbox list and for rules
// such as "never send marketing to an unconfirmed address".
const (
	MailOptIn        = "optin"        // double opt-in confirmation
	MailNotification = "notification" // to staff: a form was submitted, …
	MailSurvey       = "survey"       // a survey invitation
	MailTest         = "test"         // the settings page's test button
)

// MailMessage is one message to one recipient, queued in the outbox and
// sent by the mail worker with retries.
type MailMessage struct {
	To        string
	ToName    string
	Subject   string
	Text      string // plain-text body, always present
	HTML      string // optional HTML alternative
	Kind      string
	ContactID *int64
	// ListUnsubscribe is an https URL that unsubscribes the recipient
	// with one POST (RFC 8058), sent as List-Unsubscribe and
	// List-Unsubscribe-Post; campaigns set it, transactional mail not.
	ListUnsubscribe string
}

// Outbox states.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// MailBackoff is the wait after each failed attempt (about a day in all).
var MailBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 4 * time.Hour, 12 * time.Hour}

// MailKinds lists the kinds, for filters.
var MailKinds = []string{MailOptIn, MailNotification, MailSurvey, MailTest}

// MailStatuses lists the outbox states, for filters.
var MailStatuses = []string{MailPending, MailSent, MailFailed}

// MailMaxAttempts is the first attempt plus one per back-off step. A
// message retried by hand after it failed gets one attempt more.
var MailMaxAttempts = len(MailBackoff) + 1

// MailService is implemented by the store. Everything but EnqueueMail is
// admin-only (ResMail): the settings hold SMTP credentials and the outbox
// shows who was written to about what.
type MailService interface {
	// EnqueueMail queues a message (mail:write; the system actor for the
	// public flows). Feature code inside a store transaction uses
	// tx.enqueueMail so the message commits with the change.
	EnqueueMail(ctx context.Context, m MailMessage) (int64, error)
	MailSettings(ctx context.Context) (*MailSettings, error)
	UpdateMailSettings(ctx context.Context, in MailSettingsInput) (*MailSettings, error)
	FindMailOutbox(ctx context.Context, f MailOutboxFilter) (Page[*MailOutboxEntry], error)
	FindMailByID(ctx context.Context, id int64) (*MailOutboxEntry, error)
	// RetryMail makes a message due now: a failed one gets one more
	// attempt, a pending one stops waiting for its back-off.
	RetryMail(ctx context.Context, id int64) (*MailOutboxEntry, error)
	// RetryFailedMail gives every failed message that still has its body
	// one more attempt (after the settings were fixed) and says how many.
	RetryFailedMail(ctx context.Context) (int, error)
	// SendTestMail sends a test message at once, through the configured
	// server, and answers with the outcome of that SMTP conversation;
	// the message is recorded in the outbox as kind test.
	SendTestMail(ctx context.Context, in MailTestInput) (*MailTestResult, error)
	// PendingMail counts the messages waiting to be sent (mail:read).
	PendingMail(ctx context.Context) (int, error)
}

// TLS modes of the SMTP connection.
const (
	MailTLSNone     = "none"     // plain SMTP (a relay on the same host)
	MailTLSStartTLS = "starttls" // STARTTLS required: no fallback to plain text
	MailTLSImplicit = "tls"      // TLS from the first byte (SMTPS, port 465)
)

// MailTLSModes lists the modes, for validation and forms.
var MailTLSModes = []string{MailTLSStartTLS, MailTLSImplicit, MailTLSNone}

// MailDefaultPort is the usual port of each TLS mode, used when none is set.
func MailDefaultPort(tls string) int {
	switch tls {
	case MailTLSImplicit:
		return 465
	case MailTLSNone:
		return 25
	}
	return 587
}

// MailSettings is the SMTP configuration as anyone may see it: the
// password is never part of it, only whether one is set.
type MailSettings struct {
	Host        string `json:"host" doc:"SMTP server host name; empty while mail is not configured."`
	Port        int    `json:"port"`
	TLS         string `json:"tls" enum:"starttls,tls,none" doc:"starttls: STARTTLS required; tls: implicit TLS (SMTPS); none: plain SMTP."`
	Username    string `json:"username" doc:"SMTP AUTH user name; empty for no authentication."`
	HasPassword bool   `json:"has_password" doc:"Whether a password is stored. The password itself is never returned."`
	FromAddress string `json:"from_address"`
	FromName    string `json:"from_name"`
	ReplyTo     string `json:"reply_to"`
	PublicURL   string `json:"public_url" doc:"The address people use to reach this ecrm; links in mail start with it."`
	// Configured: a host and a from address are set, so the worker sends.
	Configured bool `json:"configured" doc:"True when a host and a from address are set; until then messages wait in the outbox."`
}

// MailSettingsInput changes the settings; nil fields are unchanged.
type MailSettingsInput struct {
	Host        *string `json:"host,omitempty" maxLength:"253"`
	Port        *int    `json:"port,omitempty" minimum:"0" maximum:"65535" doc:"0 for the usual port of the TLS mode (587, 465 or 25)."`
	TLS         *string `json:"tls,omitempty" enum:"starttls,tls,none"`
	Username    *string `json:"username,omitempty" maxLength:"254"`
	Password    *string `json:"password,omitempty" maxLength:"500" doc:"Write-only. An empty string removes the stored password."`
	FromAddress *string `json:"from_address,omitempty" maxLength:"254"`
	FromName    *string `json:"from_name,omitempty" maxLength:"200"`
	ReplyTo     *string `json:"reply_to,omitempty" maxLength:"254"`
	PublicURL   *string `json:"public_url,omitempty" maxLength:"2000"`
}

// MailConfig is what the sender needs, password included. It never
// leaves the process: no JSON, no template.
type MailConfig struct {
	MailSettings
	Password string `json:"-"`
}

// MailOutboxEntry is a message in the outbox as the console and API show
// it: who, what, and how sending went. The bodies stay out (they hold
// signed links).
type MailOutboxEntry struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind" enum:"optin,notification,survey,test"`
	To            string     `json:"to"`
	ToName        string     `json:"to_name"`
	Subject       string     `json:"subject"`
	ContactID     *int64     `json:"contact_id"`
	Status        string     `json:"status" enum:"pending,sent,failed"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastError     string     `json:"last_error" doc:"The SMTP server's answer (or the connection error) of the latest failed attempt."`
	MessageID     string     `json:"message_id" doc:"The Message-ID header of the sent message."`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
}

// MailOutboxFilter selects outbox messages, newest first.
type MailOutboxFilter struct {
	Status string
	Kind   string
	After  string
	Limit  int
}

// MailTestInput is a test send: the recipient, and optionally the
// subject and text (the console sends them in the admin's language).
type MailTestInput struct {
	To      string `json:"to" maxLength:"254" doc:"Where to send the test message."`
	Subject string `json:"subject,omitempty" maxLength:"200"`
	Text    string `json:"text,omitempty" maxLength:"5000"`
}

// MailTestResult is the outcome of a test send.
type MailTestResult struct {
	OK      bool             `json:"ok"`
	Error   string           `json:"error" doc:"The SMTP server's answer or the connection error when the test failed."`
	Message *MailOutboxEntry `json:"message"`
}

// MailJob is a claimed message as the sender needs it.
type MailJob struct {
	ID        int64
	Attempt   int // 1 for the first try
	CreatedAt time.Time
	Message   MailMessage
}

// MailResult is the outcome of one attempt. Permanent is set when the
// server refused this message for good (a 5xx answer to it); anything
// else that failed is retried after the back-off.
type MailResult struct {
	ID        int64
	Attempt   int
	MessageID string
	Error     string
	Permanent bool
}

// Mailer sends one message through the configured server: the SMTP side
// of the outbox, which the store calls for a test send and the worker
// for every claimed message.
type Mailer interface {
	Send(ctx context.Context, cfg *MailConfig, j *MailJob) MailResult
}

// MailQueue is the durable outbox the mail worker drains. Claims take a
// lease, so several servers on one database never send a message twice
// while they live.
type MailQueue interface {
	// MailConfig returns the settings with the password (mail:write).
	MailConfig(ctx context.Context) (*MailConfig, error)
	ClaimMail(ctx context.Context, lease time.Duration, n int) ([]*MailJob, error)
	RecordMailResult(ctx context.Context, r MailResult) error
	PendingMail(ctx context.Context) (int, error)
	// ClearMailBodies empties the bodies of sent and failed messages
	// created before the cutoff and returns how many.
	ClearMailBodies(ctx context.Context, before time.Time) (int64, error)
}

// MailRetention is how long the outbox keeps the bodies of finished
// messages. They hold signed links (a confirmation, a preference
// centre); the row stays as the record of what was sent to whom.
const MailRetention = 30 * 24 * time.Hour
