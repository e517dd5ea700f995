// Package mail sends the mail outbox over SMTP: the sender (one message,
// one SMTP conversation, built with github.com/wneessen/go-mail) and the
// worker that drains the outbox with leases and retries.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/webhook"
)

// Timeout bounds one SMTP conversation, from dial to QUIT.
const Timeout = 60 * time.Second

// Options configure a Sender.
type Options struct {
	// Timeout of one conversation; Timeout by default.
	Timeout time.Duration
	// TLSConfig replaces the TLS settings of the connection. Tests use it
	// to trust their self-signed server; production leaves it nil, so the
	// server's certificate is checked against the system roots.
	TLSConfig *tls.Config
	// Now is the clock of the Date header; tests replace it.
	Now func() time.Time
	// AllowPrivate lets the SMTP host be a loopback, private or link-local
	// address (a relay on the same host or network). Off, such hosts are
	// refused before any connection, as for webhooks, so the settings'
	// test button cannot probe the internal network. It is the same switch
	// as the webhooks' (webhook_allow_private).
	AllowPrivate bool
	// Logger receives the detail of connection failures, which the outbox
	// and the test button show only in general terms.
	Logger *slog.Logger
}

// Sender sends one message per SMTP conversation through the configured
// server. It implements crm.Mailer.
type Sender struct{ opt Options }

// NewSender returns a sender.
func NewSender(opt Options) *Sender {
	if opt.Timeout <= 0 {
		opt.Timeout = Timeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Sender{opt: opt}
}

var _ crm.Mailer = (*Sender)(nil)

// Send makes one attempt at j and says how it went. A 5xx answer to the
// message itself (MAIL FROM, RCPT TO, DATA) is permanent; 4xx answers,
// connection, TLS and authentication errors are temporary: the last three
// concern every message (the settings or the server), so the outbox waits
// for them to be fixed rather than failing everything.
func (s *Sender) Send(ctx context.Context, cfg *crm.MailConfig, j *crm.MailJob) crm.MailResult {
	res := crm.MailResult{ID: j.ID, Attempt: j.Attempt}
	msg, id, err := s.Build(cfg, j)
	if err != nil {
		res.Error, res.Permanent = err.Error(), true
		return res
	}
	res.MessageID = id
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	host := cfg.Host
	if !s.opt.AllowPrivate {
		if host, err = webhook.Resolve(ctx, cfg.Host); err != nil {
			if errors.Is(err, webhook.ErrForbiddenAddress) {
				res.Error = ErrPrivateHost
			} else {
				res.Error = s.hideDetail(cfg, err)
			}
			return res
		}
	}
	c, err := s.client(cfg, host)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		res.Error, res.Permanent = s.describe(cfg, err), permanent(err)
	}
	return res
}

// ErrPrivateHost is the outcome of a send to a host on the internal
// network while AllowPrivate is off.
const ErrPrivateHost = "the SMTP host is a loopback, private or link-local address; such hosts need webhook_allow_private (ECRM_WEBHOOK_ALLOW_PRIVATE=1)"

// ErrUnreachable is what the outbox and the test button say about every
// failure before the SMTP server answered: refused, timed out, reset, not
// speaking SMTP. Telling those apart would let whoever can change the
// settings map which ports are open where; the log has the detail.
const ErrUnreachable = "could not talk to the SMTP server (connection failed; the server log has the detail)"

// client makes a go-mail client for the settings.
// host is where to connect (cfg.Host, or the address it was checked to
// resolve to); certificates are still checked against cfg.Host.
func (s *Sender) client(cfg *crm.MailConfig, host string) (*gomail.Client, error) {
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if s.opt.TLSConfig != nil {
		tc = s.opt.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(s.opt.Timeout), gomail.WithTLSConfig(tc)}
	switch cfg.TLS {
	case crm.MailTLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case crm.MailTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		// STARTTLS required: a server that does not offer it (or a man in
		// the middle stripping it) gets no message and no password.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == crm.MailTLSNone {
			// Only to localhost (validation refuses others): go-mail's
			// discovery never picks PLAIN without TLS, its PLAIN allows
			// the loopback.
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return gomail.NewClient(host, opts...)
}

// Build makes the MIME message of j: multipart/alternative when there is
// an HTML part, UTF-8 throughout (names and subject as RFC 2047 encoded
// words), and a Message-ID that is the same on every attempt, so a
// message sent twice (a lease that ran out mid conversation) is one
// message to the receiving side. Line breaks in header values are
// refused rather than encoded: they are never meant.
func (s *Sender) Build(cfg *crm.MailConfig, j *crm.MailJob) (*gomail.Msg, string, error) {
	m := j.Message
	for _, h := range []string{m.To, m.ToName, m.Subject, cfg.FromName, cfg.FromAddress, cfg.ReplyTo, m.ListUnsubscribe} {
		if strings.ContainsAny(h, "\r\n\x00") {
			return nil, "", errors.New("header injection: a header value contains a line break")
		}
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.FromFormat(cfg.FromName, cfg.FromAddress); err != nil {
		return nil, "", fmt.Errorf("from address: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, "", fmt.Errorf("recipient: %w", err)
	}
	if cfg.ReplyTo != "" {
		if err := msg.ReplyTo(cfg.ReplyTo); err != nil {
			return nil, "", fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	id := MessageID(j, cfg.FromAddress)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(s.opt.Now())
	msg.SetUserAgent("ecrm")
	if m.Kind != crm.MailTest && m.ListUnsubscribe == "" {
		// Transactional mail: no auto-replies (RFC 3834).
		msg.SetGenHeader("Auto-Submitted", "auto-generated")
	}
	if m.ListUnsubscribe != "" {
		// One-click unsubscribe (RFC 8058), which large mailbox providers
		// require of bulk senders; the store checked it is a plain https URL.
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+m.ListUnsubscribe+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, "<" + id + ">", nil
}

// MessageID is the id part of a message's Message-ID: the outbox id and
// its creation time (unique per installation and unlikely to meet
// another's) at the sender's domain.
func MessageID(j *crm.MailJob, from string) string {
	domain := "ecrm.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return "ecrm." + strconv.FormatInt(j.ID, 10) + "." + strconv.FormatInt(j.CreatedAt.UnixMilli(), 36) + "@" + domain
}

// permanent: the server refused this message with a 5xx answer.
func permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() || se.ErrorCode() < 500 {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// describe is the error as the outbox shows it: the server's own answer
// (an SMTP reply code and text) or an untrusted certificate as they are,
// since the admin needs them and they only come from a server that
// answered; anything else in general terms (see ErrUnreachable).
func (s *Sender) describe(cfg *crm.MailConfig, err error) string {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() > 0 {
		return truncate(err.Error())
	}
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	if errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) || errors.As(err, &tve) {
		return truncate("TLS: the server's certificate is not trusted: " + err.Error())
	}
	return s.hideDetail(cfg, err)
}

func (s *Sender) hideDetail(cfg *crm.MailConfig, err error) string {
	s.opt.Logger.Warn("smtp connection failed", "host", cfg.Host, "port", cfg.Port, "err", err)
	return ErrUnreachable
}

func truncate(s string) string {
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
