package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/ecrm/ecrm/internal/crm"
)

// FindPipelines lists every pipeline with its stages and how many deals
// are in each (own-only actors count only their own deals).
func (db *DB) FindPipelines(ctx context.Context) ([]*crm.Pipeline, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.pipelines(ctx, db.read, a, 0)
}

// FindPipelineByID returns one pipeline.
func (db *DB) FindPipelineByID(ctx context.Context, id int64) (*crm.Pipeline, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Read))
	if err != nil {
		return nil, err
	}
	return db.pipeline(ctx, db.read, a, id)
}

func (db *DB) pipeline(ctx context.Context, q queryer, a *crm.Actor, id int64) (*crm.Pipeline, error) {
	ps, err := db.pipelines(ctx, q, a, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, crm.Errorf(crm.ENOTFOUND, "pipeline %d not found", id)
	}
	return ps[0], nil
}

// pipelines reads pipelines (all, or the one with id) in two queries.
func (db *DB) pipelines(ctx context.Context, q queryer, a *crm.Actor, id int64) ([]*crm.Pipeline, error) {
	where, args := "", []any{}
	if id != 0 {
		where, args = " WHERE id = $1", []any{id}
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, position, created_at, updated_at FROM pipelines`+where+` ORDER BY position, id`, args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	var out []*crm.Pipeline
	byID := map[int64]*crm.Pipeline{}
	for rows.Next() {
		var p crm.Pipeline
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.Name, &p.Position, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
		p.Stages = []crm.Stage{}
		out = append(out, &p)
		byID[p.ID] = &p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.mapErr(err)
	}
	if len(out) == 0 {
		return out, nil
	}
	sq := &listQuery{d: db.dialect}
	count := "SELECT COUNT(*) FROM deals d WHERE d.stage_id = s.id"
	if a.Restricted() {
		count += " AND d.owner_id = " + sq.arg(a.UserID)
	}
	if id != 0 {
		sq.add("s.pipeline_id = " + sq.arg(id))
	}
	rows, err = q.QueryContext(ctx, `SELECT s.id, s.pipeline_id, s.name, s.position, s.probability, s.kind, (`+count+`)
		FROM pipeline_stages s WHERE `+sq.sql()+` ORDER BY s.pipeline_id, s.position, s.id`, sq.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s crm.Stage
		if err := rows.Scan(&s.ID, &s.PipelineID, &s.Name, &s.Position, &s.Probability, &s.Kind, &s.DealCount); err != nil {
			return nil, err
		}
		if p := byID[s.PipelineID]; p != nil {
			p.Stages = append(p.Stages, s)
		}
	}
	return out, db.mapErr(rows.Err())
}

// CreatePipeline adds a pipeline with its stages (the default five when
// none are given).
func (db *DB) CreatePipeline(ctx context.Context, in crm.PipelineInput) (*crm.Pipeline, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	for _, s := range *in.Stages {
		if s.ID != nil {
			var v crm.Validation
			v.Add("stages", "invalid_value")
			return nil, v.Err()
		}
	}
	var p *crm.Pipeline
	err = db.inTx(ctx, func(tx *Tx) error {
		pos := deref(in.Position)
		if in.Position == nil {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position) + 1, 0) FROM pipelines`).Scan(&pos); err != nil {
				return err
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO pipelines (name, position, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			*in.Name, pos, ms(tx.now)).Scan(&id); err != nil {
			return err
		}
		if err := tx.writeStages(ctx, id, nil, *in.Stages); err != nil {
			return err
		}
		if p, err = db.pipeline(ctx, tx, a, id); err != nil {
			return err
		}
		return tx.audit(ctx, "create", "pipeline", id, nil, p)
	})
	return p, err
}

// UpdatePipeline renames or moves a pipeline and, when Stages is sent,
// replaces its stage list (see crm.PipelineInput).
func (db *DB) UpdatePipeline(ctx context.Context, id int64, in crm.PipelineInput) (*crm.Pipeline, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Write))
	if err != nil {
		return nil, err
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	var p *crm.Pipeline
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.pipeline(ctx, tx, crm.SystemActor, id)
		if err != nil {
			return err
		}
		name, pos := before.Name, before.Position
		if in.Name != nil {
			name = *in.Name
		}
		if in.Position != nil {
			pos = *in.Position
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET name = $1, position = $2, updated_at = $3 WHERE id = $4`, name, pos, ms(tx.now), id); err != nil {
			return err
		}
		if in.Stages != nil {
			if err := tx.writeStages(ctx, id, before, *in.Stages); err != nil {
				return err
			}
		}
		if p, err = db.pipeline(ctx, tx, a, id); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "pipeline", id, before, p)
	})
	return p, err
}

// writeStages makes the stages of pipeline id exactly list, in order.
// Stages of before missing from list are deleted, which fails while deals
// are in them.
func (tx *Tx) writeStages(ctx context.Context, id int64, before *crm.Pipeline, list []crm.StageInput) error {
	keep := map[int64]bool{}
	for i, s := range list {
		if s.ID != nil {
			if before == nil || before.Stage(*s.ID) == nil {
				var v crm.Validation
				v.Add("stages["+itoa(int64(i))+"].id", "stage_not_in_pipeline")
				return v.Err()
			}
			keep[*s.ID] = true
		}
	}
	if before != nil {
		for _, s := range before.Stages {
			if !keep[s.ID] {
				if err := tx.deleteStage(ctx, &s); err != nil {
					return err
				}
			}
		}
	}
	for i, s := range list {
		if s.ID == nil {
			kind, prob := crm.StageOpen, 0
			if s.Kind != nil {
				kind = *s.Kind
			}
			if s.Probability != nil {
				prob = *s.Probability
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pipeline_stages (pipeline_id, name, position, probability, kind) VALUES ($1, $2, $3, $4, $5)`,
				id, *s.Name, i, prob, kind); err != nil {
				return err
			}
			continue
		}
		old := before.Stage(*s.ID)
		name, prob, kind := old.Name, old.Probability, old.Kind
		if s.Name != nil {
			name = *s.Name
		}
		if s.Probability != nil {
			prob = *s.Probability
		}
		if s.Kind != nil {
			kind = *s.Kind
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pipeline_stages SET name = $1, position = $2, probability = $3, kind = $4 WHERE id = $5`,
			name, i, prob, kind, *s.ID); err != nil {
			return err
		}
		if kind != old.Kind {
			if err := tx.restatusStage(ctx, *s.ID, kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// restatusStage keeps deals' status in step with a stage whose kind
// changed: a stage that becomes "won" closes its deals as won.
func (tx *Tx) restatusStage(ctx context.Context, stageID int64, kind string) error {
	if kind == crm.StageOpen {
		_, err := tx.ExecContext(ctx, `UPDATE deals SET status = 'open', closed_at = NULL, updated_at = $1 WHERE stage_id = $2`, ms(tx.now), stageID)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE deals SET status = $1, closed_at = COALESCE(closed_at, $2), updated_at = $2 WHERE stage_id = $3`, kind, ms(tx.now), stageID)
	return err
}

// deleteStage removes a stage, refusing with ECONFLICT while deals are in it.
func (tx *Tx) deleteStage(ctx context.Context, s *crm.Stage) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deals WHERE stage_id = $1`, s.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &crm.Error{Code: crm.ECONFLICT, Message: "the stage " + s.Name + " still has deals; move them first",
			Fields: []crm.FieldError{{Field: "stage_id", Key: "stage_has_deals", Args: []any{s.Name, n}}}}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM pipeline_stages WHERE id = $1`, s.ID)
	return err
}

// DeletePipeline removes a pipeline that has no deals. The last pipeline
// stays: deals need somewhere to go.
func (db *DB) DeletePipeline(ctx context.Context, id int64) error {
	if _, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Write)); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		before, err := db.pipeline(ctx, tx, crm.SystemActor, id)
		if err != nil {
			return err
		}
		var deals, pipelines int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM deals WHERE pipeline_id = $1), (SELECT COUNT(*) FROM pipelines)`, id).Scan(&deals, &pipelines); err != nil {
			return err
		}
		switch {
		case deals > 0:
			return &crm.Error{Code: crm.ECONFLICT, Message: "the pipeline still has deals",
				Fields: []crm.FieldError{{Field: "id", Key: "pipeline_has_deals", Args: []any{deals}}}}
		case pipelines <= 1:
			return &crm.Error{Code: crm.ECONFLICT, Message: "the last pipeline cannot be deleted",
				Fields: []crm.FieldError{{Field: "id", Key: "last_pipeline"}}}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pipelines WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.audit(ctx, "delete", "pipeline", id, before, nil)
	})
}

// CreateStage adds a stage at Position (at the end without one).
func (db *DB) CreateStage(ctx context.Context, pipelineID int64, in crm.StageInput) (*crm.Pipeline, error) {
	in.ID = nil
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	return db.editStages(ctx, pipelineID, func(list []crm.StageInput) ([]crm.StageInput, error) {
		at := len(list)
		if in.Position != nil && *in.Position < at {
			at = *in.Position
		}
		return slices.Insert(list, at, in), nil
	})
}

// UpdateStage renames a stage, changes its probability or kind, or moves
// it to Position.
func (db *DB) UpdateStage(ctx context.Context, pipelineID, stageID int64, in crm.StageInput) (*crm.Pipeline, error) {
	in.ID = &stageID
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	return db.editStages(ctx, pipelineID, func(list []crm.StageInput) ([]crm.StageInput, error) {
		i := slices.IndexFunc(list, func(s crm.StageInput) bool { return *s.ID == stageID })
		if i < 0 {
			return nil, crm.Errorf(crm.ENOTFOUND, "stage %d not found", stageID)
		}
		list[i] = in
		if in.Position != nil {
			list = slices.Delete(list, i, i+1)
			at := min(*in.Position, len(list))
			list = slices.Insert(list, at, in)
		}
		return list, nil
	})
}

// DeleteStage removes a stage without deals.
func (db *DB) DeleteStage(ctx context.Context, pipelineID, stageID int64) (*crm.Pipeline, error) {
	return db.editStages(ctx, pipelineID, func(list []crm.StageInput) ([]crm.StageInput, error) {
		i := slices.IndexFunc(list, func(s crm.StageInput) bool { return *s.ID == stageID })
		if i < 0 {
			return nil, crm.Errorf(crm.ENOTFOUND, "stage %d not found", stageID)
		}
		if len(list) == 1 {
			return nil, &crm.Error{Code: crm.ECONFLICT, Message: "a pipeline needs at least one stage",
				Fields: []crm.FieldError{{Field: "stage_id", Key: "last_stage"}}}
		}
		return slices.Delete(list, i, i+1), nil
	})
}

// editStages runs one stage change as an edit of the pipeline's whole
// stage list, so positions always stay 0…n-1 and every change is audited
// the same way.
func (db *DB) editStages(ctx context.Context, pipelineID int64, edit func([]crm.StageInput) ([]crm.StageInput, error)) (*crm.Pipeline, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResPipelines, crm.Write))
	if err != nil {
		return nil, err
	}
	var p *crm.Pipeline
	err = db.inTx(ctx, func(tx *Tx) error {
		before, err := db.pipeline(ctx, tx, crm.SystemActor, pipelineID)
		if err != nil {
			return err
		}
		list := make([]crm.StageInput, len(before.Stages))
		for i, s := range before.Stages {
			list[i] = crm.StageInput{ID: &s.ID}
		}
		if list, err = edit(list); err != nil {
			return err
		}
		if len(list) > crm.MaxStages {
			var v crm.Validation
			v.Add("stages", "too_many", crm.MaxStages)
			return v.Err()
		}
		if err := tx.writeStages(ctx, pipelineID, before, list); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET updated_at = $1 WHERE id = $2`, ms(tx.now), pipelineID); err != nil {
			return err
		}
		if p, err = db.pipeline(ctx, tx, a, pipelineID); err != nil {
			return err
		}
		return tx.audit(ctx, "update", "pipeline", pipelineID, before, p)
	})
	return p, err
}

// stageOf returns a stage with its pipeline id, or ENOTFOUND.
func (db *DB) stageOf(ctx context.Context, q queryer, id int64) (*crm.Stage, error) {
	var s crm.Stage
	err := q.QueryRowContext(ctx, `SELECT id, pipeline_id, name, position, probability, kind FROM pipeline_stages WHERE id = $1`, id).
		Scan(&s.ID, &s.PipelineID, &s.Name, &s.Position, &s.Probability, &s.Kind)
	if err == sql.ErrNoRows {
		return nil, crm.Errorf(crm.ENOTFOUND, "stage %d not found", id)
	}
	return &s, db.mapErr(err)
}
