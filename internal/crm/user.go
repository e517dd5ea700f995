package crm

import (
	"context"
	"time"
)

// User is a staff member who signs in to the console.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Language  string    `json:"language"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// PasswordHash is never serialised.
	PasswordHash string `json:"-"`
}

// UserInput is what an admin may set on a user.
type UserInput struct {
	Email    *string `json:"email,omitempty"`
	Name     *string `json:"name,omitempty"`
	Role     *Role   `json:"role,omitempty"`
	Language *string `json:"language,omitempty"`
	Active   *bool   `json:"active,omitempty"`
	Password *string `json:"password,omitempty"`
}

// RoleSetting is the run-time setting of a role.
type RoleSetting struct {
	Role    Role `json:"role"`
	OwnOnly bool `json:"own_only"`
}

// Session is a signed-in console session. The token is only in the
// cookie; the database keeps its hash.
type Session struct {
	UserID    int64
	CSRF      string
	ExpiresAt time.Time
}

// UserService is implemented by the store.
type UserService interface {
	FindUserByID(ctx context.Context, id int64) (*User, error)
	FindUsers(ctx context.Context) ([]*User, error)
	CreateUser(ctx context.Context, in UserInput) (*User, error)
	UpdateUser(ctx context.Context, id int64, in UserInput) (*User, error)
	// Authenticate checks an email and password and returns the user.
	Authenticate(ctx context.Context, email, password string) (*User, error)
	ChangePassword(ctx context.Context, id int64, oldPassword, newPassword string) error
	RoleSettings(ctx context.Context) ([]RoleSetting, error)
	SetRoleOwnOnly(ctx context.Context, r Role, ownOnly bool) error
	// ActorForUser builds the actor for a signed-in user.
	ActorForUser(ctx context.Context, id int64) (*Actor, error)

	CreateSession(ctx context.Context, userID int64) (token string, err error)
	FindSession(ctx context.Context, token string) (*Session, error)
	DeleteSession(ctx context.Context, token string) error
	DeleteUserSessions(ctx context.Context, userID int64) error
}

// APIKey is a credential for programs. Only a hash of the secret is kept;
// the secret is shown once at creation.
type APIKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  *int64     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// APIKeyService is implemented by the store.
type APIKeyService interface {
	CreateAPIKey(ctx context.Context, name string, scopes []string) (key *APIKey, secret string, err error)
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, id int64) error
	// ActorForAPIKey authenticates a bearer secret.
	ActorForAPIKey(ctx context.Context, secret string) (*Actor, error)
}

// AuditEntry records who did what to which record, with the record before
// and after as JSON.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	ActorID  *int64    `json:"actor_id"`
	Action   string    `json:"action"` // create, update, delete, merge, bulk, export, import, login
	Entity   string    `json:"entity"`
	EntityID *int64    `json:"entity_id"`
	Before   string    `json:"before"`
	After    string    `json:"after"`
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Entity   string
	EntityID *int64
	After    string
	Limit    int
}

// AuditService is implemented by the store.
type AuditService interface {
	FindAudit(ctx context.Context, f AuditFilter) (Page[*AuditEntry], error)
	RecordAudit(ctx context.Context, e AuditEntry) error
}

// SavedView is a user's named set of list filters and columns.
type SavedView struct {
	ID      int64    `json:"id"`
	UserID  int64    `json:"user_id"`
	Entity  string   `json:"entity"`
	Name    string   `json:"name"`
	Query   string   `json:"query"` // the list's URL query string
	Columns []string `json:"columns"`
}

// ViewService is implemented by the store.
type ViewService interface {
	FindViews(ctx context.Context, entity string) ([]*SavedView, error)
	CreateView(ctx context.Context, v SavedView) (*SavedView, error)
	DeleteView(ctx context.Context, id int64) error
}
