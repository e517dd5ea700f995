package crm

import (
	"context"
	"time"
)

// Stage kinds. A deal moved into a won or lost stage takes that status;
// into an open stage it is open again.
const (
	StageOpen = "open"
	StageWon  = "won"
	StageLost = "lost"
)

// StageKinds lists every kind of stage.
var StageKinds = []string{StageOpen, StageWon, StageLost}

// MaxStages bounds a pipeline: a board with more columns is unusable.
const MaxStages = 30

// Pipeline is one sales process (new business, renewals, partners…) with
// its ordered stages.
type Pipeline struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Position  int       `json:"position"`
	Stages    []Stage   `json:"stages"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Stage is a column of a pipeline. Probability is the default win
// probability (0–100) of deals in it.
type Stage struct {
	ID          int64  `json:"id"`
	PipelineID  int64  `json:"pipeline_id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Probability int    `json:"probability"`
	Kind        string `json:"kind"`
	DealCount   int    `json:"deal_count"`
}

// Stage returns the stage with id, or nil.
func (p *Pipeline) Stage(id int64) *Stage {
	for i := range p.Stages {
		if p.Stages[i].ID == id {
			return &p.Stages[i]
		}
	}
	return nil
}

// FirstOfKind returns the first stage of kind, or nil.
func (p *Pipeline) FirstOfKind(kind string) *Stage {
	for i := range p.Stages {
		if p.Stages[i].Kind == kind {
			return &p.Stages[i]
		}
	}
	return nil
}

// PipelineInput creates or changes a pipeline. Stages, when sent,
// describe the whole list in order: entries with an id change that stage,
// entries without one add a stage, and stages left out are deleted (which
// is refused while deals are in them).
type PipelineInput struct {
	Name     *string       `json:"name,omitempty"`
	Position *int          `json:"position,omitempty"`
	Stages   *[]StageInput `json:"stages,omitempty"`
}

// StageInput creates or changes a stage. Position moves the stage to that
// index of the pipeline (0 is first); the others close up around it.
type StageInput struct {
	ID          *int64  `json:"id,omitempty"`
	Name        *string `json:"name,omitempty"`
	Position    *int    `json:"position,omitempty"`
	Probability *int    `json:"probability,omitempty"`
	Kind        *string `json:"kind,omitempty"`
}

// PipelineService is implemented by the store.
type PipelineService interface {
	FindPipelines(ctx context.Context) ([]*Pipeline, error)
	FindPipelineByID(ctx context.Context, id int64) (*Pipeline, error)
	CreatePipeline(ctx context.Context, in PipelineInput) (*Pipeline, error)
	UpdatePipeline(ctx context.Context, id int64, in PipelineInput) (*Pipeline, error)
	// DeletePipeline is refused with ECONFLICT while it has deals.
	DeletePipeline(ctx context.Context, id int64) error
	CreateStage(ctx context.Context, pipelineID int64, in StageInput) (*Pipeline, error)
	UpdateStage(ctx context.Context, pipelineID, stageID int64, in StageInput) (*Pipeline, error)
	// DeleteStage is refused with ECONFLICT while deals are in the stage.
	DeleteStage(ctx context.Context, pipelineID, stageID int64) (*Pipeline, error)
}
