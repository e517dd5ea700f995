package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// Forms (forms:read|write): definitions with their consent wording, and
// the submissions they received. Submitting is public and not part of the
// API: people submit on the hosted page or the embed (/f/{slug}), which
// carry the anti-spam checks and the double opt-in.

var formsR, formsW = crm.P(crm.ResForms, crm.Read), crm.P(crm.ResForms, crm.Write)

// formDoc describes create-form in the OpenAPI document.
const formDoc = "A form has fields mapped to contact fields (`maps`: first_name, last_name, email, phone, company, title, city, country, " +
	"language or custom.<key>; empty keeps the answer on the submission only) and consent checkboxes, one per purpose and channel, " +
	"with their exact wording. Changing a checkbox's wording makes a new version (`version`); every version is kept, so each submission " +
	"and consent ledger entry names the text the person saw (`wording_version` form-{id}/{purpose}.{channel}/v{n}). One field must map " +
	"to the email and be required: submissions create the contact with that address or fill in the empty fields of the existing one. " +
	"With `double_opt_in`, ticked consents are granted only when the person confirms by the mailed link. The page is /f/{slug}; " +
	"the embed script /f/{slug}/embed.js."

type formOut struct{ Body *crm.Form }

type formListInput struct {
	request
	Status string `query:"status" enum:"active,archived" doc:"Only forms in this state."`
}

func (in *formListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"status"}, false)
}

func (s *server) listForms(ctx context.Context, in *formListInput) (*items[*crm.Form], error) {
	list, err := s.svc.Forms.FindForms(ctx, in.Status)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

func (s *server) getForm(ctx context.Context, in *IDPath) (*formOut, error) {
	f, err := s.svc.Forms.FindFormByID(ctx, in.ID)
	return &formOut{f}, err
}

type formCreateInput struct {
	Idempotency
	Body crm.FormInput
}

func (s *server) createForm(ctx context.Context, in *formCreateInput) (*formOut, error) {
	f, err := s.svc.Forms.CreateForm(ctx, in.Body)
	return &formOut{f}, err
}

type formUpdateInput struct {
	IDPath
	Body crm.FormInput
}

func (s *server) updateForm(ctx context.Context, in *formUpdateInput) (*formOut, error) {
	f, err := s.svc.Forms.UpdateForm(ctx, in.ID, in.Body)
	return &formOut{f}, err
}

func (s *server) deleteForm(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, s.svc.Forms.DeleteForm(ctx, in.ID)
}

func (s *server) formVersions(ctx context.Context, in *IDPath) (*items[*crm.FormConsentVersion], error) {
	list, err := s.svc.Forms.FormConsentVersions(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return itemsOf(list), nil
}

type submissionListInput struct {
	request
	IDPath
	Status string `query:"status" enum:"accepted,pending,confirmed" doc:"Only submissions in this state (pending: awaiting the double opt-in)."`
	Paging
}

func (in *submissionListInput) Resolve(ctx huma.Context) []error {
	in.request.Resolve(ctx)
	return in.checkParams([]string{"status", "limit", "after"}, false)
}

func (s *server) listFormSubmissions(ctx context.Context, in *submissionListInput) (*listOutput[*crm.FormSubmission], error) {
	p, err := s.svc.Forms.FindFormSubmissions(ctx, crm.FormSubmissionFilter{FormID: in.ID, Status: in.Status, After: in.After, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	return listOf(&in.request, p, false), nil
}

// registerForms adds the form operations (called from routes).
func registerForms(s *server, a huma.API) {
	handle(s, a, op(get, "/forms", "list-forms", "List forms with their view and submission counts", formsR), s.listForms)
	handle(s, a, op(post, "/forms", "create-form", "Create a form", formsW).status(201).doc(formDoc), s.createForm)
	handle(s, a, op(get, "/forms/{id}", "get-form", "Get a form", formsR), s.getForm)
	handle(s, a, op(patch, "/forms/{id}", "update-form", "Update a form (only the fields sent); changed consent wording gets a new version", formsW), s.updateForm)
	handle(s, a, op(del, "/forms/{id}", "delete-form", "Delete a form nobody submitted (409 otherwise: archive it with status=archived)", formsW).status(204), s.deleteForm)
	handle(s, a, op(get, "/forms/{id}/consent-versions", "form-consent-versions", "Every wording the form's consent checkboxes have had, newest first", formsR), s.formVersions)
	handle(s, a, op(get, "/forms/{id}/submissions", "list-form-submissions", "A form's submissions, newest first, with the consents asked and ticked", formsR), s.listFormSubmissions)
}
