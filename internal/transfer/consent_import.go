package transfer

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
	"github.com/ecrm/ecrm/internal/csvx"
)

// Consent import brings the consents a business collected elsewhere (a
// mailing tool's export of subscribers with opt-in time and IP) into the
// ledger, so it can keep writing to people who agreed. Every entry has
// source "import" and the file as its reference, and keeps the time the
// person gave it. Columns (header names, any case):
//
//	email (required), purpose, channel, status, at, ip, user_agent,
//	wording, wording_version, legal_basis, expires_at
//
// purpose and channel default to marketing by email; status accepts
// granted/withdrawn and the usual yes/no, subscribed/unsubscribed, 1/0.

// consentColumns maps normalised headers (and the names of common
// mailing-tool exports) to the columns above.
var consentColumns = map[string]string{
	"email": "email", "email address": "email", "e mail": "email", "ایمیل": "email", "メールアドレス": "email",
	"purpose": "purpose", "channel": "channel",
	"status": "status", "consent": "status", "subscribed": "status", "opted in": "status",
	"at": "at", "date": "at", "optin time": "at", "opt in time": "at", "confirm time": "at", "timestamp": "at",
	"ip": "ip", "optin ip": "ip", "opt in ip": "ip", "confirm ip": "ip", "ip address": "ip",
	"user agent": "user_agent", "wording": "wording", "text": "wording", "wording version": "wording_version", "version": "wording_version",
	"legal basis": "legal_basis", "expires at": "expires_at", "expires": "expires_at",
}

// ConsentReport is what a consent import did.
type ConsentReport struct {
	Recorded int
	// StoppedAt is the line of a fatal reading error (a line over 1 MiB,
	// a broken encoding) after which nothing was read; 0 when the whole
	// file was read.
	StoppedAt int
	Rejected  []Rejected
}

// ImportConsentFile imports a consent CSV; rejected lines go to log as
// they are found, with their line number and field.
func (t *Transfer) ImportConsentFile(ctx context.Context, path, enc string, log io.Writer) (ConsentReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return ConsentReport{}, crm.Errorf(crm.EINVALID, "%v", err)
	}
	defer f.Close()
	return t.ImportConsents(ctx, f, enc, filepath.Base(path), log)
}

// ImportConsents reads consents from r; ref names the file in each entry.
func (t *Transfer) ImportConsents(ctx context.Context, r io.Reader, enc, ref string, log io.Writer) (ConsentReport, error) {
	var rep ConsentReport
	if _, err := crm.Authorize(ctx, crm.P(crm.ResImport, crm.Write)); err != nil {
		return rep, err
	}
	if _, err := crm.Authorize(ctx, crm.P(crm.ResConsents, crm.Write)); err != nil {
		return rep, err
	}
	cr, err := csvx.NewReader(r, enc)
	if err != nil {
		return rep, crm.Errorf(crm.EINVALID, "%v", err)
	}
	header, _, err := cr.Read()
	if err == io.EOF {
		return rep, crm.Errorf(crm.EINVALID, "the file is empty")
	}
	if err != nil {
		return rep, readError("cannot read the header: ", err)
	}
	col := map[string]int{}
	for i, h := range header {
		if c, ok := consentColumns[normHeader(h)]; ok {
			if _, dup := col[c]; !dup {
				col[c] = i
			}
		}
	}
	if _, ok := col["email"]; !ok {
		return rep, crm.Errorf(crm.EINVALID, "the file has no email column")
	}
	reject := func(line int, field, reason string) {
		rep.Rejected = append(rep.Rejected, Rejected{Line: line, Field: field, Reason: reason})
		switch {
		case log == nil:
		case field == "":
			fmt.Fprintf(log, "line %d: %s\n", line, reason)
		default:
			fmt.Fprintf(log, "line %d: %s: %s\n", line, field, reason)
		}
	}
	const batch = 500
	var pending []crm.ConsentInput
	var lines []int
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := t.svc.Consents.RecordConsents(ctx, pending); err != nil {
			// One bad entry fails its batch: record them one by one to
			// name the line.
			for i, in := range pending {
				if _, err := t.svc.Consents.RecordConsent(ctx, in); err != nil {
					reject(lines[i], firstField(err), errReason(err))
					continue
				}
				rep.Recorded++
			}
		} else {
			rep.Recorded += len(pending)
		}
		pending, lines = pending[:0], lines[:0]
		return nil
	}
	now := time.Now()
	for {
		rec, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if le, ok := err.(*csvx.LineError); ok {
				reject(le.Line, "", lineReason(le))
				if le.Fatal() {
					rep.StoppedAt = le.Line
					break // every further Read returns the same error
				}
				continue
			}
			reject(line, "", err.Error())
			break
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return cell(rec[i])
			}
			return ""
		}
		in, field, reason := t.consentRow(ctx, get, ref, now)
		if reason != "" {
			reject(line, field, reason)
			continue
		}
		pending, lines = append(pending, in), append(lines, line)
		if len(pending) == batch {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	return rep, flush()
}

// consentRow turns one line into an entry, or names what is wrong.
func (t *Transfer) consentRow(ctx context.Context, get func(string) string, ref string, now time.Time) (crm.ConsentInput, string, string) {
	in := crm.ConsentInput{Purpose: crm.PurposeMarketing, Channel: crm.ChannelEmail, Status: crm.ConsentGranted, Source: crm.SourceImport, SourceRef: ref,
		IP: get("ip"), UserAgent: get("user_agent"), Wording: get("wording"), WordingVersion: get("wording_version"), LegalBasis: get("legal_basis")}
	email, ok := crm.NormalizeEmail(get("email"))
	if !ok {
		return in, "email", "not a valid email address"
	}
	if in.IP != "" {
		// Proof of consent names the address it came from: an IP, or
		// nothing, never free text.
		addr, err := netip.ParseAddr(in.IP)
		if err != nil {
			return in, "ip", "not an IP address (203.0.113.9 or 2001:db8::1)"
		}
		in.IP = addr.String()
	}
	page, err := t.svc.Contacts.FindContacts(ctx, crm.ContactFilter{Email: email, Limit: 1})
	if err != nil {
		return in, "email", crm.ErrorMessage(err)
	}
	if len(page.Items) == 0 {
		return in, "email", "no contact has this email address; import the contacts first"
	}
	in.ContactID = page.Items[0].ID
	if v := get("purpose"); v != "" {
		in.Purpose = strings.ToLower(v)
	}
	if v := get("channel"); v != "" {
		in.Channel = strings.ToLower(v)
	}
	switch strings.ToLower(get("status")) {
	case "", "granted", "yes", "y", "true", "1", "subscribed", "opted in", "opt-in":
	case "withdrawn", "no", "n", "false", "0", "unsubscribed", "opted out", "opt-out":
		in.Status = crm.ConsentWithdrawn
	default:
		return in, "status", "use granted or withdrawn (yes/no, subscribed/unsubscribed)"
	}
	if v := get("at"); v != "" {
		at, ok := parseTime(v)
		if !ok {
			return in, "at", "not a date and time (2024-05-31 or 2024-05-31 14:05:00 or RFC 3339)"
		}
		if at.After(now) {
			return in, "at", "lies in the future"
		}
		in.At = &at
	}
	if v := get("expires_at"); v != "" {
		exp, ok := parseTime(v)
		if !ok {
			return in, "expires_at", "not a date and time"
		}
		in.ExpiresAt = &exp
	}
	if err := in.Validate(); err != nil {
		return in, firstField(err), errReason(err)
	}
	return in, "", ""
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// errReason is the English sentence for the first field error of err.
func errReason(err error) string {
	if fe := crm.FieldErrors(err); len(fe) > 0 {
		return reason(fe[0].Key, fe[0].Args)
	}
	return crm.ErrorMessage(err)
}

func firstField(err error) string {
	if fe := crm.FieldErrors(err); len(fe) > 0 {
		return fe[0].Field
	}
	return ""
}
