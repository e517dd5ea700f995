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
}

// Outbox states.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// MailBackoff is the wait after each failed attempt (about a day in all).
var MailBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 4 * time.Hour, 12 * time.Hour}

// MailService is implemented by the store.
type MailService interface {
	// EnqueueMail queues a message (mail:write; the system actor for the
	// public flows). Feature code inside a store transaction uses
	// tx.enqueueMail so the message commits with the change.
	EnqueueMail(ctx context.Context, m MailMessage) (int64, error)
}
