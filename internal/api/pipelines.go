package api

import (
	"context"

	"github.com/ecrm/ecrm/internal/crm"
)

type pipelineOut struct{ Body *crm.Pipeline }

func (s *server) listPipelines(ctx context.Context, in *struct{}) (*items[*crm.Pipeline], error) {
	ps, err := s.svc.Pipelines.FindPipelines(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(ps), nil
}

func (s *server) getPipeline(ctx context.Context, in *IDPath) (*pipelineOut, error) {
	p, err := s.svc.Pipelines.FindPipelineByID(ctx, in.ID)
	return &pipelineOut{p}, err
}

type pipelineCreateInput struct {
	Idempotency
	Body crm.PipelineInput
}

func (s *server) createPipeline(ctx context.Context, in *pipelineCreateInput) (*pipelineOut, error) {
	p, err := s.svc.Pipelines.CreatePipeline(ctx, in.Body)
	return &pipelineOut{p}, err
}

type pipelineUpdateInput struct {
	IDPath
	Body crm.PipelineInput
}

func (s *server) updatePipeline(ctx context.Context, in *pipelineUpdateInput) (*pipelineOut, error) {
	p, err := s.svc.Pipelines.UpdatePipeline(ctx, in.ID, in.Body)
	return &pipelineOut{p}, err
}

func (s *server) deletePipeline(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Pipelines.DeletePipeline(ctx, in.ID)
}

type stageCreateInput struct {
	IDPath
	Body crm.StageInput
}

func (s *server) createStage(ctx context.Context, in *stageCreateInput) (*pipelineOut, error) {
	p, err := s.svc.Pipelines.CreateStage(ctx, in.ID, in.Body)
	return &pipelineOut{p}, err
}

// StagePath is the {id}/stages/{stage_id} of one stage.
type StagePath struct {
	ID      int64 `path:"id" minimum:"1"`
	StageID int64 `path:"stage_id" minimum:"1"`
}

type stageUpdateInput struct {
	StagePath
	Body crm.StageInput
}

func (s *server) updateStage(ctx context.Context, in *stageUpdateInput) (*pipelineOut, error) {
	p, err := s.svc.Pipelines.UpdateStage(ctx, in.ID, in.StageID, in.Body)
	return &pipelineOut{p}, err
}

func (s *server) deleteStage(ctx context.Context, in *StagePath) (*struct{}, error) {
	_, err := s.svc.Pipelines.DeleteStage(ctx, in.ID, in.StageID)
	return nil, err
}
