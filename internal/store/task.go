package store

import (
	"context"
	"database/sql"

	"github.com/ecrm/ecrm/internal/crm"
)

const taskCols = `t.id, t.title, t.body, t.contact_id, t.company_id, t.assignee_id, t.due_at, t.remind_at, t.status, t.created_at, t.updated_at,
	COALESCE(u.name, ''), COALESCE(TRIM(c.first_name || ' ' || c.last_name), '')`

const taskFrom = ` FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id LEFT JOIN contacts c ON c.id = t.contact_id`

func scanTask(row interface{ Scan(...any) error }) (*crm.Task, error) {
	var t crm.Task
	var contact, company, assignee, due, remind sql.NullInt64
	var created, updated int64
	if err := row.Scan(&t.ID, &t.Title, &t.Body, &contact, &company, &assignee, &due, &remind, &t.Status, &created, &updated, &t.AssigneeName, &t.ContactName); err != nil {
		return nil, err
	}
	t.ContactID, t.CompanyID, t.AssigneeID = idPtr(contact), idPtr(company), idPtr(assignee)
	t.DueAt, t.RemindAt = fromNullMS(due), fromNullMS(remind)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return &t, nil
}

// taskVisible: an own-only actor sees tasks assigned to them or hanging
// on their own records.
func (db *DB) taskVisible(ctx context.Context, q queryer, a *crm.Actor, t *crm.Task) bool {
	if !a.Restricted() || (t.AssigneeID != nil && *t.AssigneeID == a.UserID) {
		return true
	}
	if t.ContactID == nil && t.CompanyID == nil {
		return false
	}
	return db.visibleParent(ctx, q, a, t.ContactID, t.CompanyID) == nil
}

// FindTaskByID returns one task.
func (db *DB) FindTaskByID(ctx context.Context, id int64) (*crm.Task, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResTasks, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.findTask(ctx, db.read, a, id)
}

func (db *DB) findTask(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskCols+taskFrom+` WHERE t.id = $1`, id))
	if err == sql.ErrNoRows || (err == nil && !db.taskVisible(ctx, q, a, t)) {
		return nil, crm.Errorf(crm.ENOTFOUND, "task %d not found", id)
	}
	return t, db.mapErr(err)
}

// FindTasks lists tasks, soonest due first (undated last).
func (db *DB) FindTasks(ctx context.Context, f crm.TaskFilter) (crm.Page[*crm.Task], error) {
	var page crm.Page[*crm.Task]
	a, err := crm.Authorize(ctx, crm.P(crm.ResTasks, crm.Read))
	if err != nil {
		return page, err
	}
	q := &listQuery{d: db.dialect}
	if a.Restricted() {
		own := &listQuery{d: db.dialect, args: q.args}
		ownParentCond(own, "t", a)
		q.args = own.args
		q.add("(t.assignee_id = " + q.arg(a.UserID) + " OR " + own.sql() + ")")
	}
	if f.AssigneeID != nil {
		q.add("t.assignee_id = " + q.arg(*f.AssigneeID))
	}
	if f.ContactID != nil {
		q.add("t.contact_id = " + q.arg(*f.ContactID))
	}
	if f.CompanyID != nil {
		p := q.arg(*f.CompanyID)
		q.add("(t.company_id = " + p + " OR t.contact_id IN (SELECT id FROM contacts WHERE company_id = " + p + "))")
	}
	if f.Status != "" {
		q.add("t.status = " + q.arg(f.Status))
	}
	if f.RemindBefore != nil {
		q.add("t.remind_at <= " + q.arg(ms(*f.RemindBefore)))
	}
	if f.DueBefore != nil {
		q.add("t.due_at < " + q.arg(ms(*f.DueBefore)))
	}
	// Undated tasks sort after dated ones: their key is the largest int64.
	spec := sortSpec{col: "COALESCE(t.due_at, 9223372036854775807)", numeric: true}
	order, err := q.keyset("t", spec, false, f.After)
	if err != nil {
		return page, err
	}
	limit := clampLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT `+taskCols+taskFrom+` WHERE `+q.sql()+order+` LIMIT `+q.arg(limit+1), q.args...)
	if err != nil {
		return page, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, t)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		k := keyCursor{ID: last.ID, Num: 9223372036854775807}
		if last.DueAt != nil {
			k.Num = ms(*last.DueAt)
		}
		page.Next = encodeCursor(k)
	}
	return page, rows.Err()
}

// CreateTask adds a task; unassigned tasks go to the creating user.
func (db *DB) CreateTask(ctx context.Context, in crm.TaskInput) (*crm.Task, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResTasks, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	var id int64
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := db.visibleParent(ctx, tx, a, in.ContactID, in.CompanyID); err != nil {
			return invalidRef(err, in.ContactID != nil)
		}
		t := crm.Task{Title: *in.Title, Body: deref(in.Body), ContactID: in.ContactID, CompanyID: in.CompanyID, AssigneeID: in.AssigneeID,
			DueAt: in.DueAt, RemindAt: in.RemindAt, Status: "open"}
		if in.Status != nil {
			t.Status = *in.Status
		}
		if t.AssigneeID == nil && a.UserID != 0 {
			t.AssigneeID = &a.UserID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO tasks (title, body, contact_id, company_id, assignee_id, due_at, remind_at, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			t.Title, t.Body, nullID(t.ContactID), nullID(t.CompanyID), nullID(t.AssigneeID), nullMS(t.DueAt), nullMS(t.RemindAt), t.Status, ms(tx.now)).Scan(&id); err != nil {
			return err
		}
		t.ID = id
		return tx.audit(ctx, "create", "task", id, nil, &t)
	})
	if err != nil {
		return nil, err
	}
	return db.findTask(ctx, db.write, crm.SystemActor, id)
}

// UpdateTask changes a task (complete it, reschedule, reassign).
func (db *DB) UpdateTask(ctx context.Context, id int64, in crm.TaskInput) (*crm.Task, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResTasks, crm.Write))
	if err != nil {
		return nil, err
	}
	in.ContactID, in.CompanyID = nil, nil
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findTask(ctx, tx, a, id)
		if err != nil {
			return err
		}
		t := *before
		if in.Title != nil {
			t.Title = *in.Title
		}
		if in.Body != nil {
			t.Body = *in.Body
		}
		if in.AssigneeID != nil {
			t.AssigneeID = in.AssigneeID
		}
		if in.DueAt != nil {
			t.DueAt = in.DueAt
		}
		if in.RemindAt != nil {
			t.RemindAt = in.RemindAt
		}
		if in.Status != nil {
			t.Status = *in.Status
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET title=$1, body=$2, assignee_id=$3, due_at=$4, remind_at=$5, status=$6, updated_at=$7 WHERE id=$8`,
			t.Title, t.Body, nullID(t.AssigneeID), nullMS(t.DueAt), nullMS(t.RemindAt), t.Status, ms(tx.now), id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "task", id, before, &t)
	})
	if err != nil {
		return nil, err
	}
	return db.findTask(ctx, db.write, crm.SystemActor, id)
}

// DeleteTask removes a task.
func (db *DB) DeleteTask(ctx context.Context, id int64) error {
	a, err := crm.Authorize(ctx, crm.P(crm.ResTasks, crm.Write))
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.findTask(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "task", id, before, nil)
	})
}
