package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"

	"github.com/ecrm/ecrm/internal/crm"
)

// IdempotencyHeader lets a client retry a POST safely: the first answer is
// stored and replayed, so a retried create makes one record.
const IdempotencyHeader = "Idempotency-Key"

// maxIdempotencyKey bounds the key; longer keys are rejected, not cut,
// since two keys sharing a prefix must not collide.
const maxIdempotencyKey = 255

// idempotency wraps POST requests that carry an Idempotency-Key. It runs
// after authentication because keys are kept per actor. Reservations live
// in the database (svc.Idempotency), so retries reaching another server
// process are recognised too.
func (s *server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		if r.Method != http.MethodPost || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > maxIdempotencyKey {
			s.writeProblem(w, r, badRequest("header."+IdempotencyHeader, "idempotency_key_too_long"))
			return
		}
		// The body is read here to hash it; the limit matches the one huma
		// applies, so a big body gets the same 413 with or without a key.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			s.writeProblem(w, r, badRequest("body", "unreadable_body"))
			return
		}
		if len(body) > maxBody {
			s.writeProblem(w, r, crm.Errorf(crm.ETOOLARGE, "request body too large"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ctx := r.Context()
		stored, err := s.svc.Idempotency.BeginIdempotent(ctx, key, requestHash(r, body))
		if err != nil {
			if crm.ErrorCode(err) == crm.EINVALID {
				err = invalid("header."+IdempotencyHeader, "idempotency_key_reused")
			}
			s.writeProblem(w, r, err)
			return
		}
		if stored != nil {
			replay(w, stored)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// The request may have been cancelled by the client; the outcome
		// must still be recorded or the key stays reserved.
		ctx = context.WithoutCancel(ctx)
		if rec.status >= 500 {
			// A server fault is not an answer: let a retry try again.
			if err := s.svc.Idempotency.AbandonIdempotent(ctx, key); err != nil {
				s.log.Error("api: abandon idempotency key", "err", err)
			}
			return
		}
		if err := s.svc.Idempotency.CompleteIdempotent(ctx, key, crm.IdempotentResponse{Status: rec.status, Body: rec.body.Bytes()}); err != nil {
			s.log.Error("api: store Idempotency response", "err", err)
		}
	})
}

// requestHash identifies a request so a reused key with a different
// request is caught. The method and path are included: the same body
// posted to two endpoints is two requests.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// replay writes a stored answer. Only status and body are kept, which is
// enough: every POST answers JSON, problems as problem+json.
func replay(w http.ResponseWriter, resp *crm.IdempotentResponse) {
	w.Header().Set("Idempotent-Replayed", "true")
	if len(resp.Body) > 0 {
		ct := "application/json"
		if resp.Status >= 400 {
			ct = "application/problem+json"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}

// recorder passes a response through while keeping a copy to store.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(st int) {
	r.status = st
	r.ResponseWriter.WriteHeader(st)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
