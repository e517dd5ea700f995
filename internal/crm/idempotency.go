package crm

import "context"

// IdempotentResponse is a stored answer to a POST carrying an
// Idempotency-Key, replayed when the same key comes again.
type IdempotentResponse struct {
	Status int
	Body   []byte
}

// IdempotencyService keeps Idempotency-Key reservations per actor, in the
// database so that every app server sees them.
type IdempotencyService interface {
	// BeginIdempotent reserves key for the calling actor. It returns the
	// stored response when the key was completed with the same request
	// hash, ECONFLICT while another request holds the key, and EINVALID
	// when the key was used with a different request.
	BeginIdempotent(ctx context.Context, key, requestHash string) (*IdempotentResponse, error)
	// CompleteIdempotent stores the response for a reserved key.
	CompleteIdempotent(ctx context.Context, key string, resp IdempotentResponse) error
	// AbandonIdempotent frees a reservation whose request failed unexpectedly.
	AbandonIdempotent(ctx context.Context, key string) error
}
