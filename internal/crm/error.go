// Package crm holds ecrm's domain: the records a business keeps about its
// customers, their validation and who may touch them. It knows nothing of
// HTTP, SQL or HTML; adapters translate to and from these types.
package crm

import (
	"errors"
	"fmt"
)

// Error codes are the small vocabulary every adapter maps to its own world
// (HTTP status, CLI exit message) in exactly one place.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOLARGE     = "too_large"
	ERATELIMIT    = "rate_limited"
	EINTERNAL     = "internal"
)

// FieldError names one invalid input. Key is a message-catalogue key so the
// console can show it in the reader's language; Args fill its placeholders.
type FieldError struct {
	Field string
	Key   string
	Args  []any
}

// Error is a domain error. Message is safe to show to the user; anything
// not wrapped in an Error is treated as internal and never shown.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Key)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns a domain error with a user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, or EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// FieldErrors returns the field errors of a validation error, if any.
func FieldErrors(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors while a value is checked.
type Validation struct{ fields []FieldError }

// Add records that field is invalid with the catalogue key and args.
func (v *Validation) Add(field, key string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Key: key, Args: args})
}

// Err returns nil when nothing was added, else an EINVALID error.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "validation failed", Fields: v.fields}
}
