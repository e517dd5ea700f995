package crm

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultStages are the stages of a pipeline created without any, and of
// the "Sales" pipeline the migration seeds.
func DefaultStages() []StageInput {
	st := func(name string, prob int, kind string) StageInput {
		return StageInput{Name: &name, Probability: &prob, Kind: &kind}
	}
	return []StageInput{
		st("Qualified", 10, StageOpen), st("Proposal", 30, StageOpen), st("Negotiation", 60, StageOpen),
		st("Won", 100, StageWon), st("Lost", 0, StageLost),
	}
}

// Validate normalises a pipeline input and checks it; a new pipeline
// without stages gets DefaultStages.
func (in *PipelineInput) Validate(create bool) error {
	var v Validation
	cleanString(&v, "name", in.Name, MaxName, create)
	if in.Name != nil && *in.Name == "" && !create {
		v.Add("name", "required")
	}
	if in.Position != nil && (*in.Position < 0 || *in.Position > 1000) {
		v.Add("position", "out_of_range")
	}
	if create && (in.Stages == nil || len(*in.Stages) == 0) {
		d := DefaultStages()
		in.Stages = &d
	}
	if in.Stages != nil {
		switch n := len(*in.Stages); {
		case n == 0:
			v.Add("stages", "required")
		case n > MaxStages:
			v.Add("stages", "too_many", MaxStages)
		}
		seen := map[int64]bool{}
		for i := range *in.Stages {
			s := &(*in.Stages)[i]
			f := fmt.Sprintf("stages[%d]", i)
			if s.ID != nil {
				if *s.ID <= 0 || seen[*s.ID] {
					v.Add(f+".id", "invalid_value")
				}
				seen[*s.ID] = true
			}
			s.validate(&v, f+".", s.ID == nil)
		}
	}
	return v.Err()
}

// Validate normalises a stage input and checks it.
func (in *StageInput) Validate(create bool) error {
	var v Validation
	in.validate(&v, "", create)
	return v.Err()
}

func (in *StageInput) validate(v *Validation, prefix string, create bool) {
	cleanString(v, prefix+"name", in.Name, MaxName, create)
	if in.Name != nil && *in.Name == "" && !create {
		v.Add(prefix+"name", "required")
	}
	if in.Probability != nil && (*in.Probability < 0 || *in.Probability > 100) {
		v.Add(prefix+"probability", "out_of_range")
	}
	if in.Kind != nil && !slices.Contains(StageKinds, *in.Kind) {
		v.Add(prefix+"kind", "invalid_choice")
	}
	if in.Position != nil && (*in.Position < 0 || *in.Position > MaxStages) {
		v.Add(prefix+"position", "out_of_range")
	}
}

// Validate normalises a deal input and checks what can be checked without
// the database (stages, products and people are the store's).
func (in *DealInput) Validate(create bool) error {
	var v Validation
	cleanString(&v, "title", in.Title, MaxText, create)
	if in.Title != nil && *in.Title == "" && !create {
		v.Add("title", "required")
	}
	for _, f := range []struct {
		name string
		p    *int64
	}{{"pipeline_id", in.PipelineID}, {"stage_id", in.StageID}} {
		if f.p != nil && *f.p <= 0 {
			v.Add(f.name, "not_found")
		}
	}
	for _, f := range []struct {
		name string
		p    *int64
	}{{"owner_id", in.OwnerID}, {"contact_id", in.ContactID}, {"company_id", in.CompanyID}} {
		if f.p != nil && *f.p < 0 {
			v.Add(f.name, "out_of_range")
		}
	}
	if in.Amount != nil && (*in.Amount < 0 || *in.Amount > MaxAmount) {
		v.Add("amount", "out_of_range")
	}
	if in.Currency != nil {
		c, ok := NormalizeCurrency(*in.Currency)
		if !ok {
			v.Add("currency", "invalid_currency")
		}
		*in.Currency = c
	} else if create {
		v.Add("currency", "required")
	}
	if in.ExpectedClose != nil {
		*in.ExpectedClose = strings.TrimSpace(*in.ExpectedClose)
		if d := *in.ExpectedClose; d != "" {
			t, err := time.Parse(time.DateOnly, d)
			if err != nil || t.Year() < 1900 || t.Year() > 9999 {
				v.Add("expected_close", "invalid_date")
			}
		}
	}
	if in.Probability != nil && (*in.Probability < -1 || *in.Probability > 100) {
		v.Add("probability", "out_of_range")
	}
	if in.Status != nil && !slices.Contains(DealStatuses, *in.Status) {
		v.Add("status", "invalid_choice")
	}
	cleanString(&v, "lost_reason", in.LostReason, MaxText, false)
	if in.Lines != nil {
		validateDealLines(&v, *in.Lines)
	}
	return v.Err()
}

func validateDealLines(v *Validation, lines []DealLineInput) {
	if len(lines) > MaxLines {
		v.Add("lines", "too_many", MaxLines)
		return
	}
	for i := range lines {
		l := &lines[i]
		f := fmt.Sprintf("lines[%d]", i)
		l.SKU = strings.TrimSpace(l.SKU)
		if !skuRe.MatchString(l.SKU) {
			v.Add(f+".sku", "invalid_sku")
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			v.Add(f+".quantity", "out_of_range")
		}
		if l.Discount < 0 || l.Discount > MaxAmount {
			v.Add(f+".discount", "out_of_range")
		}
	}
}

// Validate checks a stage move.
func (in *DealStageInput) Validate() error {
	var v Validation
	if in.StageID <= 0 {
		v.Add("stage_id", "required")
	}
	cleanString(&v, "lost_reason", &in.LostReason, MaxText, false)
	return v.Err()
}

// ValidMonth reports whether s is a month written YYYY-MM.
func ValidMonth(s string) bool {
	t, err := time.Parse("2006-01", s)
	return err == nil && t.Year() >= 1900 && t.Year() <= 9999
}

// Validate checks a forecast's range.
func (f *ForecastFilter) Validate() error {
	var v Validation
	if f.From != "" && !ValidMonth(f.From) {
		v.Add("from", "invalid_month")
	}
	if f.To != "" && !ValidMonth(f.To) {
		v.Add("to", "invalid_month")
	}
	return v.Err()
}

func sortRows(rows []ForecastRow, cmp func(a, b ForecastRow) int) { slices.SortFunc(rows, cmp) }

func cmpStr(a, b string) int { return strings.Compare(a, b) }

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
