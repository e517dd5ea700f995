package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Users, API keys and the audit log: admin-only resources. crm.User and
// crm.APIKey never serialise password or key hashes (json:"-" or absent),
// so the types can be returned as they are.

type userOut struct{ Body *crm.User }

func (s *server) listUsers(ctx context.Context, _ *struct{}) (*items[*crm.User], error) {
	list, err := s.svc.Users.FindUsers(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type userCreateInput struct {
	Idempotency
	Body crm.UserInput
}

func (s *server) createUser(ctx context.Context, in *userCreateInput) (*userOut, error) {
	u, err := s.svc.Users.CreateUser(ctx, in.Body)
	return &userOut{u}, err
}

type userUpdateInput struct {
	IDPath
	Body crm.UserInput
}

func (s *server) updateUser(ctx context.Context, in *userUpdateInput) (*userOut, error) {
	u, err := s.svc.Users.UpdateUser(ctx, in.ID, in.Body)
	return &userOut{u}, err
}

func (s *server) listAPIKeys(ctx context.Context, _ *struct{}) (*items[*crm.APIKey], error) {
	list, err := s.svc.APIKeys.FindAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type apiKeyCreateInput struct {
	Idempotency
	Body struct {
		Name   string   `json:"name" minLength:"1" maxLength:"200"`
		Scopes []string `json:"scopes" minItems:"1" doc:"RESOURCE:read, RESOURCE:write or *."`
	}
}

// NewAPIKey is the answer to creating a key: the only time the secret is
// shown.
type NewAPIKey struct {
	Key    *crm.APIKey `json:"key"`
	Secret string      `json:"secret" doc:"The bearer token. It is shown only in this response; store it now."`
}

type apiKeyCreateOutput struct{ Body NewAPIKey }

func (s *server) createAPIKey(ctx context.Context, in *apiKeyCreateInput) (*apiKeyCreateOutput, error) {
	k, secret, err := s.svc.APIKeys.CreateAPIKey(ctx, in.Body.Name, in.Body.Scopes)
	if err != nil {
		return nil, err
	}
	return &apiKeyCreateOutput{NewAPIKey{Key: k, Secret: secret}}, nil
}

func (s *server) revokeAPIKey(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.APIKeys.RevokeAPIKey(ctx, in.ID)
}

type auditListInput struct {
	request
	Entity   string `query:"entity" maxLength:"40" doc:"contact, company, user, apikey, …"`
	EntityID int64  `query:"entity_id" minimum:"1"`
	Paging
}

func (in *auditListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"entity", "entity_id", "limit", "after"}, false)
}

func (s *server) listAudit(ctx context.Context, in *auditListInput) (*listOutput[*crm.AuditEntry], error) {
	p, err := s.svc.Audit.FindAudit(ctx, crm.AuditFilter{Entity: in.Entity, EntityID: in.optionalID("entity_id", in.EntityID), After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}
