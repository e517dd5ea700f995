package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

var mailR, mailW = crm.P(crm.ResMail, crm.Read), crm.P(crm.ResMail, crm.Write)

// mailRoutes: the SMTP settings (admins: the password is write-only), the
// outbox of messages ecrm sends (confirmations, notifications, survey
// invitations) and a test send that answers with the SMTP server's reply.
func (s *server) mailRoutes(a huma.API) {
	handle(s, a, op(get, "/mail/settings", "get-mail-settings", "SMTP settings (never the password: has_password says whether one is stored)", mailR), s.getMailSettings)
	handle(s, a, op(patch, "/mail/settings", "update-mail-settings", "Change SMTP settings (only the fields sent; the password is write-only)", mailW), s.updateMailSettings)
	handle(s, a, op(get, "/mail/outbox", "list-mail-outbox", "The mail outbox, newest first", mailR), s.listMailOutbox)
	handle(s, a, op(get, "/mail/outbox/{id}", "get-mail", "Get an outbox message", mailR), s.getMail)
	handle(s, a, op(post, "/mail/outbox/{id}/retry", "retry-mail", "Send a failed message again (one more attempt) or a waiting one now", mailW), s.retryMail)
	handle(s, a, op(post, "/mail/outbox/retry-failed", "retry-failed-mail", "Give every failed message one more attempt now (after fixing the settings)", mailW), s.retryFailedMail)
	handle(s, a, op(post, "/mail/test", "test-mail", "Send a test message now through the configured server", mailW).doc(mailTestDoc), s.testMail)
}

// mailTestDoc describes the test send.
const mailTestDoc = "Holds the SMTP conversation while the request waits and answers 200 with `ok` and, when the server refused " +
	"or could not be reached, its answer in `error`. The message is recorded in the outbox as kind `test`; a failed test is not retried. " +
	"409 when mail is not configured (host and from address)."

type mailSettingsOut struct{ Body *crm.MailSettings }

func (s *server) getMailSettings(ctx context.Context, _ *struct{}) (*mailSettingsOut, error) {
	st, err := s.svc.Mail.MailSettings(ctx)
	return &mailSettingsOut{st}, err
}

type mailSettingsInput struct {
	Body crm.MailSettingsInput
}

func (s *server) updateMailSettings(ctx context.Context, in *mailSettingsInput) (*mailSettingsOut, error) {
	st, err := s.svc.Mail.UpdateMailSettings(ctx, in.Body)
	return &mailSettingsOut{st}, err
}

type mailListInput struct {
	request
	Status string `query:"status" enum:"pending,sent,failed" doc:"Only messages in this state."`
	Kind   string `query:"kind" enum:"optin,notification,survey,test" doc:"Only messages of this kind."`
	Paging
}

func (in *mailListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"status", "kind", "limit", "after"}, false)
}

func (s *server) listMailOutbox(ctx context.Context, in *mailListInput) (*listOutput[*crm.MailOutboxEntry], error) {
	p, err := s.svc.Mail.FindMailOutbox(ctx, crm.MailOutboxFilter{Status: in.Status, Kind: in.Kind, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

type mailOut struct{ Body *crm.MailOutboxEntry }

func (s *server) getMail(ctx context.Context, in *IDPath) (*mailOut, error) {
	m, err := s.svc.Mail.FindMailByID(ctx, in.ID)
	return &mailOut{m}, err
}

type mailIDInput struct {
	Idempotency
	IDPath
}

func (s *server) retryMail(ctx context.Context, in *mailIDInput) (*mailOut, error) {
	m, err := s.svc.Mail.RetryMail(ctx, in.ID)
	return &mailOut{m}, err
}

// RetriedMail is how many failed messages were queued again.
type RetriedMail struct {
	Retried int `json:"retried" doc:"Failed messages queued again; those whose body was cleared after 30 days are left out."`
}

type retriedOut struct{ Body RetriedMail }

func (s *server) retryFailedMail(ctx context.Context, _ *struct{ Idempotency }) (*retriedOut, error) {
	n, err := s.svc.Mail.RetryFailedMail(ctx)
	return &retriedOut{RetriedMail{n}}, err
}

type mailTestInput struct {
	Idempotency
	Body crm.MailTestInput
}

type mailTestOut struct{ Body *crm.MailTestResult }

func (s *server) testMail(ctx context.Context, in *mailTestInput) (*mailTestOut, error) {
	r, err := s.svc.Mail.SendTestMail(ctx, in.Body)
	return &mailTestOut{r}, err
}
