package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ecrm/ecrm/internal/crm"
)

// operation is one entry of the route table: huma's description of it and
// the permissions it needs.
type operation struct {
	huma.Operation
	perms []crm.Permission
}

// op starts a route-table entry. id is the OpenAPI operationId.
func op(method, path, id, summary string, perms ...crm.Permission) operation {
	tag := strings.SplitN(strings.TrimPrefix(path, Prefix+"/"), "/", 2)[0]
	return operation{
		Operation: huma.Operation{OperationID: id, Method: method, Path: Prefix + path, Summary: summary, Tags: []string{tag}},
		perms:     perms,
	}
}

// status sets the success status (201 for creates, 204 for deletes).
func (o operation) status(code int) operation {
	o.DefaultStatus = code
	return o
}

// handle registers the operation. Every handler goes through here, so
// every one gets the early permission check, the error mapping and the
// same documented error responses.
func handle[I, O any](s *server, a huma.API, o operation, h func(context.Context, *I) (*O, error)) {
	ho := o.Operation
	ho.MaxBodyBytes = maxBody
	scopes := make([]string, len(o.perms))
	for i, p := range o.perms {
		scopes[i] = p.String()
	}
	ho.Security = []map[string][]string{{"bearer": scopes}}
	if len(scopes) > 0 {
		ho.Description = strings.TrimSpace(ho.Description + "\n\nRequires scope " + strings.Join(scopes, " and ") + " (or `*`).")
	}
	ho.Errors = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusInternalServerError}
	if strings.Contains(ho.Path, "{") {
		ho.Errors = append(ho.Errors, http.StatusNotFound)
	}
	loc := "query"
	if ho.Method == http.MethodPost || ho.Method == http.MethodPatch {
		loc = "body"
		ho.Errors = append(ho.Errors, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge)
	}
	if ho.Method == http.MethodDelete {
		ho.Errors = append(ho.Errors, http.StatusConflict)
	}
	// The permission is checked before huma reads the body, so a caller
	// without it learns nothing about what a valid request looks like.
	// The store checks again: this is courtesy, not the guard.
	ho.Middlewares = huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
		actor := crm.ActorFrom(ctx.Context())
		for _, p := range o.perms {
			if !actor.Can(p) {
				huma.WriteErr(a, ctx, http.StatusForbidden, "")
				return
			}
		}
		next(ctx)
	}}
	huma.Register(a, ho, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			var p *huma.ErrorModel
			if errors.As(err, &p) {
				return nil, p
			}
			return nil, s.problem(ho.Method, ho.Path, err, loc)
		}
		return out, nil
	})
}
