package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

const userCols = `id, email, name, role, language, password_hash, active, created_at`

func scanUser(row interface{ Scan(...any) error }) (*crm.User, error) {
	var u crm.User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Language, &u.PasswordHash, &u.Active, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// FindUserByID returns a user. Staff may see each other's names (owners and
// assignees are shown everywhere), so reading needs only a signed-in actor.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*crm.User, error) {
	if crm.ActorFrom(ctx) == nil {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, db.mapErr(err)
}

// FindUsers lists every user by name.
func (db *DB) FindUsers(ctx context.Context) ([]*crm.User, error) {
	if crm.ActorFrom(ctx) == nil {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "authentication required")
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name, id`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	var out []*crm.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateUser adds a staff user (admins only).
func (db *DB) CreateUser(ctx context.Context, in crm.UserInput) (*crm.User, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResUsers, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	var id int64
	err := db.inTx(ctx, func(tx *Tx) error {
		hash := ""
		if in.Password != nil {
			hash = hashPassword(db.PasswordCost, *in.Password)
		}
		lang := "en"
		if in.Language != nil && *in.Language != "" {
			lang = *in.Language
		}
		active := in.Active == nil || *in.Active
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, language, password_hash, active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			*in.Email, deref(in.Name), string(*in.Role), lang, hash, active, ms(tx.now)).Scan(&id)
		if err != nil {
			return err
		}
		return tx.audit(ctx, "create", "user", id, nil, map[string]any{"email": *in.Email, "role": *in.Role})
	})
	if err != nil {
		return nil, err
	}
	return db.FindUserByID(ctx, id)
}

// UpdateUser changes a user (admins only). Changing role, deactivating or
// setting a password ends the user's sessions.
func (db *DB) UpdateUser(ctx context.Context, id int64, in crm.UserInput) (*crm.User, error) {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResUsers, crm.Write)); err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		before, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
		if err != nil {
			return err
		}
		u := *before
		if in.Email != nil {
			u.Email = *in.Email
		}
		if in.Name != nil {
			u.Name = *in.Name
		}
		if in.Role != nil {
			u.Role = *in.Role
		}
		if in.Language != nil && *in.Language != "" {
			u.Language = *in.Language
		}
		if in.Active != nil {
			u.Active = *in.Active
		}
		if in.Password != nil {
			// Validate saw only the fields given; the password must not
			// be made of the account's email or name either.
			if err := crm.CheckNewPassword(*in.Password, u.Email, u.Name); err != nil {
				return err
			}
			u.PasswordHash = hashPassword(db.PasswordCost, *in.Password)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email=$1, name=$2, role=$3, language=$4, active=$5, password_hash=$6, updated_at=$7 WHERE id=$8`,
			u.Email, u.Name, string(u.Role), u.Language, u.Active, u.PasswordHash, ms(tx.now), id); err != nil {
			return err
		}
		if u.Role != before.Role || !u.Active || in.Password != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "update", "user", id, before, &u)
	})
	if err != nil {
		return nil, err
	}
	return db.FindUserByID(ctx, id)
}

// Authenticate checks credentials. It answers EUNAUTHORIZED alike for an
// unknown email, a wrong password and an inactive account.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*crm.User, error) {
	e, _ := crm.NormalizeEmail(email)
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, e))
	if err != nil {
		checkPassword(dummyHash(db.PasswordCost), password)
		if err == sql.ErrNoRows {
			return nil, crm.Errorf(crm.EUNAUTHORIZED, "wrong email or password")
		}
		return nil, err
	}
	if !checkPassword(u.PasswordHash, password) || !u.Active {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "wrong email or password")
	}
	return u, nil
}

// ChangePassword lets a user change their own password; every session of
// the user ends, and the caller starts a fresh one.
func (db *DB) ChangePassword(ctx context.Context, id int64, oldPassword, newPassword string) error {
	a := crm.ActorFrom(ctx)
	if a == nil || (a.UserID != id && !a.System) {
		return crm.Errorf(crm.EFORBIDDEN, "you can only change your own password")
	}
	in := crm.UserInput{Password: &newPassword}
	if err := in.Validate(false); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var hash, email, name string
		if err := tx.QueryRowContext(ctx, `SELECT password_hash, email, name FROM users WHERE id = $1`, id).Scan(&hash, &email, &name); err != nil {
			return err
		}
		if !a.System && !checkPassword(hash, oldPassword) {
			var v crm.Validation
			v.Add("old_password", "wrong_password")
			return v.Err()
		}
		if err := crm.CheckNewPassword(newPassword, email, name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hashPassword(db.PasswordCost, newPassword), ms(tx.now), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "password", "user", id, nil, nil)
	})
}

// RoleSettings returns the own-records-only setting of every role.
func (db *DB) RoleSettings(ctx context.Context) ([]crm.RoleSetting, error) {
	own := map[crm.Role]bool{}
	rows, err := db.read.QueryContext(ctx, `SELECT role, own_only FROM role_settings`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var o bool
		if err := rows.Scan(&r, &o); err != nil {
			return nil, err
		}
		own[crm.Role(r)] = o
	}
	out := make([]crm.RoleSetting, 0, len(crm.Roles))
	for _, r := range crm.Roles {
		out = append(out, crm.RoleSetting{Role: r, OwnOnly: own[r]})
	}
	return out, rows.Err()
}

// SetRoleOwnOnly turns "own records only" on or off for a role (admins only).
func (db *DB) SetRoleOwnOnly(ctx context.Context, r crm.Role, ownOnly bool) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResUsers, crm.Write)); err != nil {
		return err
	}
	if !r.Valid() || r == crm.RoleAdmin {
		var v crm.Validation
		v.Add("role", "invalid_choice")
		return v.Err()
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_settings (role, own_only) VALUES ($1, $2)
			ON CONFLICT (role) DO UPDATE SET own_only = excluded.own_only`, string(r), ownOnly); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "role", 0, nil, map[string]any{"role": r, "own_only": ownOnly})
	})
}

// ActorForUser builds the request actor of an active user.
func (db *DB) ActorForUser(ctx context.Context, id int64) (*crm.Actor, error) {
	var a crm.Actor
	var role string
	var active bool
	var own sql.NullBool
	err := db.readRow(ctx, `SELECT u.id, u.name, u.email, u.role, u.active, r.own_only
		FROM users u LEFT JOIN role_settings r ON r.role = u.role WHERE u.id = $1`, id).
		Scan(&a.UserID, &a.Name, new(string), &role, &active, &own)
	if err != nil {
		return nil, db.mapErr(err)
	}
	if !active {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "account disabled")
	}
	a.Role = crm.Role(role)
	a.OwnOnly = own.Valid && own.Bool && a.Role != crm.RoleAdmin
	return &a, nil
}

// CreateSession starts a session for a user and returns the cookie token.
func (db *DB) CreateSession(ctx context.Context, userID int64) (string, error) {
	token := newToken(32)
	err := db.inTx(ctx, func(tx *Tx) error {
		// Expired sessions are swept here rather than by a job: logins are
		// rare enough and this keeps the table small on every engine.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, ms(tx.now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			tokenHash(token), userID, newToken(24), ms(tx.now), ms(tx.now.Add(SessionLifetime)))
		return err
	})
	return token, err
}

// SessionLifetime is how long a session lasts without being renewed.
const SessionLifetime = 12 * time.Hour

// FindSession returns a live session by its cookie token.
func (db *DB) FindSession(ctx context.Context, token string) (*crm.Session, error) {
	var s crm.Session
	var exp int64
	err := db.readRow(ctx, `SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = $1`, tokenHash(token)).Scan(&s.UserID, &s.CSRF, &exp)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "session expired")
	}
	if err != nil {
		return nil, db.mapErr(err)
	}
	s.ExpiresAt = fromMS(exp)
	if db.Now().After(s.ExpiresAt) {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "session expired")
	}
	return &s, nil
}

// DeleteSession ends one session (logout).
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token))
	return db.mapErr(err)
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return db.mapErr(err)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
