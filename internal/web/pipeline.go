package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ecrm/ecrm/internal/crm"
)

type pipelinesPage struct {
	dealFmt
	Pipelines []*crm.Pipeline
}

func (s *server) pipelinesView(r *http.Request) (*view, error) {
	ps, err := s.svc.Pipelines.FindPipelines(r.Context())
	if err != nil {
		return nil, err
	}
	v := s.newView(r, "deals")
	v.Title = v.L.T("pipelines.title")
	v.Data = pipelinesPage{dealFmt: s.dealFmt(r), Pipelines: ps}
	return v, nil
}

func (s *server) pipelineList(w http.ResponseWriter, r *http.Request) error {
	v, err := s.pipelinesView(r)
	if err != nil {
		return err
	}
	return s.ok(w, r, "pipelines", v)
}

// pipelineDone redirects back to the pipelines page, or shows it again
// with the refusal (a stage that still has deals, a bad probability).
func (s *server) pipelineDone(w http.ResponseWriter, r *http.Request, err error) error {
	if err == nil {
		http.Redirect(w, r, "/pipelines", http.StatusSeeOther)
		return nil
	}
	v, verr := s.pipelinesView(r)
	if verr != nil {
		return verr
	}
	v.Form = newForm(r.PostForm)
	return redisplay(err, "pipelines", v)
}

func stageForm(f url.Values, create bool) (crm.StageInput, error) {
	var in crm.StageInput
	var v crm.Validation
	if name := strings.TrimSpace(f.Get("name")); name != "" || create {
		in.Name = &name
	}
	if p := strings.TrimSpace(f.Get("probability")); p != "" {
		n, err := parseInt(p)
		if err != nil {
			v.Add("probability", "out_of_range")
		}
		pi := int(n)
		in.Probability = &pi
	}
	if k := f.Get("kind"); k != "" {
		in.Kind = &k
	}
	return in, v.Err()
}

func (s *server) pipelineCreate(w http.ResponseWriter, r *http.Request) error {
	name := r.PostForm.Get("name")
	_, err := s.svc.Pipelines.CreatePipeline(r.Context(), crm.PipelineInput{Name: &name})
	return s.pipelineDone(w, r, err)
}

func (s *server) pipelineRename(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	_, err = s.svc.Pipelines.UpdatePipeline(r.Context(), id, crm.PipelineInput{Name: &name})
	return s.pipelineDone(w, r, err)
}

func (s *server) pipelineDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.pipelineDone(w, r, s.svc.Pipelines.DeletePipeline(r.Context(), id))
}

func (s *server) stageCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	in, err := stageForm(r.PostForm, true)
	if err == nil {
		_, err = s.svc.Pipelines.CreateStage(r.Context(), id, in)
	}
	return s.pipelineDone(w, r, err)
}

// stagePipeline finds the pipeline of a stage in the path.
func (s *server) stagePipeline(r *http.Request) (*crm.Pipeline, *crm.Stage, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.svc.Pipelines.FindPipelines(r.Context())
	if err != nil {
		return nil, nil, err
	}
	for _, p := range ps {
		if st := p.Stage(id); st != nil {
			return p, st, nil
		}
	}
	return nil, nil, crm.Errorf(crm.ENOTFOUND, "stage %d not found", id)
}

// stageUpdate saves a stage's row; its up and down buttons move it.
func (s *server) stageUpdate(w http.ResponseWriter, r *http.Request) error {
	p, st, err := s.stagePipeline(r)
	if err != nil {
		return err
	}
	in, err := stageForm(r.PostForm, false)
	if err == nil {
		switch r.PostForm.Get("move") {
		case "up":
			pos := max(st.Position-1, 0)
			in.Position = &pos
		case "down":
			pos := st.Position + 1
			in.Position = &pos
		}
		_, err = s.svc.Pipelines.UpdateStage(r.Context(), p.ID, st.ID, in)
	}
	return s.pipelineDone(w, r, err)
}

func (s *server) stageDelete(w http.ResponseWriter, r *http.Request) error {
	p, st, err := s.stagePipeline(r)
	if err != nil {
		return err
	}
	_, err = s.svc.Pipelines.DeleteStage(r.Context(), p.ID, st.ID)
	return s.pipelineDone(w, r, err)
}
