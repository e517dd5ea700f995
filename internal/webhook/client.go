package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// Timeout bounds one attempt, from dialling to the last byte read.
const Timeout = 15 * time.Second

// maxRead is how much of an answer is read: the delivery log keeps 2 KB,
// and nothing an endpoint sends can make us buffer more.
const maxRead = 2048

// NewClient returns the HTTP client deliveries go through. Unless
// allowPrivate is set it refuses, at dial time, every address Allowed
// rejects. Redirects are never followed (a 3xx is a failed attempt: a
// redirect is how an allowed URL would smuggle a request elsewhere), and
// no proxy from the environment is used, because the guard sees only the
// address it dials and a proxy would do the real connecting.
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	dial := d.DialContext
	if !allowPrivate {
		d.Control = control
		dial = guardedDial(d)
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dial,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  Timeout,
		MaxIdleConns:           50,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// UserAgent names ecrm to receivers.
var UserAgent = "ecrm-webhooks/1"

// Send makes one attempt at a job and reports what happened. It never
// returns an error: every failure is an outcome to log and retry.
func Send(ctx context.Context, c *http.Client, j *crm.WebhookJob, now time.Time) (res crm.WebhookResult) {
	res = crm.WebhookResult{DeliveryID: j.DeliveryID, Attempt: j.Attempt, At: now}
	start := time.Now()
	// A named result, so the deferred assignment reaches the caller.
	defer func() { res.Duration = time.Since(start) }()
	sig, err := Sign(j.Secrets, j.MessageID, now, j.Payload)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(j.Payload))
	if err != nil {
		res.Error = "invalid URL: " + err.Error()
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, j.MessageID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := c.Do(req)
	if err != nil {
		res.Error = describe(err)
		return res
	}
	defer resp.Body.Close()
	res.ResponseCode = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	res.ResponseBody = string(body)
	if err != nil && res.OK() {
		// The status arrived; a body cut short does not undo it.
		err = nil
	}
	if err != nil {
		res.Error = describe(err)
	}
	if !res.OK() && res.Error == "" {
		res.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			res.Error += " redirect to " + loc + " (not followed)"
		}
	}
	return res
}

// describe turns a transport error into a line for the delivery log
// without the URL (net/http repeats it in every error).
func describe(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			err = inner
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout after " + Timeout.String()
	}
	return err.Error()
}
