package store

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

// Cursors are opaque to clients: base64url JSON of the last row's sort key
// and id. Keyset pagination keeps deep pages as fast as the first.
type idCursor struct {
	ID int64 `json:"i"`
}

type keyCursor struct {
	Key string `json:"k"`
	Num int64  `json:"n"`
	ID  int64  `json:"i"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 2048 || json.Unmarshal(b, v) != nil {
		var v crm.Validation
		v.Add("after", "invalid_cursor")
		return v.Err()
	}
	return nil
}

// DefaultLimit and MaxLimit bound list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

func joinAnd(where []string) string { return strings.Join(where, " AND ") }

// idPage reads the rows of a list that asked for limit+1 into a page: the
// extra row only tells that there is more, and the next page starts after
// the id of the last row kept. Items is never nil, so an empty page is [].
func idPage[T any](rows *sql.Rows, limit int, scan func(interface{ Scan(...any) error }) (T, error), id func(T) int64) (crm.Page[T], error) {
	defer rows.Close()
	page := crm.Page[T]{Items: []T{}}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, x)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = encodeCursor(idCursor{ID: id(page.Items[limit-1])})
	}
	return page, nil
}
