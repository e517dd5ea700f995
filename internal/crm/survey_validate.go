package crm

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,59}$`)

// Validate normalises a survey input in place and checks it. create
// requires a name and a slug and defaults kind and status.
func (in *SurveyInput) Validate(create bool) error {
	var v Validation
	if in.Slug != nil {
		*in.Slug = strings.ToLower(strings.TrimSpace(*in.Slug))
		if !slugRe.MatchString(*in.Slug) {
			v.Add("slug", "invalid_survey_slug")
		}
	} else if create {
		v.Add("slug", "required")
	}
	cleanString(&v, "name", in.Name, MaxName, create)
	if create && in.Kind == nil {
		k := SurveyNPS
		in.Kind = &k
	}
	if in.Kind != nil && !slices.Contains(SurveyKinds, *in.Kind) {
		v.Add("kind", "invalid_choice")
	}
	if create && in.Status == nil {
		st := SurveyDraft
		in.Status = &st
	}
	if in.Status != nil && !slices.Contains(SurveyStatuses, *in.Status) {
		v.Add("status", "invalid_choice")
	}
	cleanString(&v, "question", in.Question, MaxText, false)
	cleanString(&v, "intro", in.Intro, MaxSurveyText, false)
	cleanString(&v, "thank_you", in.ThankYou, MaxSurveyText, false)
	if in.Questions != nil {
		*in.Questions = validateQuestions(&v, *in.Questions)
	}
	return v.Err()
}

// CheckComplete checks what only the whole survey shows: a custom
// survey needs at least one question.
func (s *Survey) CheckComplete() error {
	var v Validation
	if s.Kind == SurveyCustom && len(s.Questions) == 0 {
		v.Add("questions", "required")
	}
	return v.Err()
}

func validateQuestions(v *Validation, qs []SurveyQuestion) []SurveyQuestion {
	if len(qs) > MaxSurveyQuestions {
		v.Add("questions", "too_many", MaxSurveyQuestions)
		return qs
	}
	seen := map[string]bool{}
	out := make([]SurveyQuestion, 0, len(qs))
	for i, q := range qs {
		f := "questions." + strconv.Itoa(i)
		q.Key = strings.TrimSpace(q.Key)
		if !keyRe.MatchString(q.Key) || seen[q.Key] {
			v.Add(f+".key", "invalid_key")
		}
		seen[q.Key] = true
		if !slices.Contains(QuestionTypes, q.Type) {
			v.Add(f+".type", "invalid_choice")
		}
		cleanString(v, f+".label", &q.Label, MaxText, true)
		switch q.Type {
		case QuestionSingle, QuestionMultiple:
			if len(q.Options) == 0 {
				v.Add(f+".options", "required")
			}
			if len(q.Options) > MaxQuestionOptions {
				v.Add(f+".options", "too_many", MaxQuestionOptions)
			}
			opts := map[string]bool{}
			for j, o := range q.Options {
				o = strings.TrimSpace(o)
				q.Options[j] = o
				if o == "" || opts[o] || utf8.RuneCountInString(o) > MaxName || !utf8.ValidString(o) {
					v.Add(f+".options", "invalid_option", o)
				}
				opts[o] = true
			}
			q.Min, q.Max = 0, 0
		case QuestionRating:
			q.Options = nil
			if q.Min == 0 && q.Max == 0 {
				q.Min, q.Max = 1, 5
			}
			if q.Min < 0 || q.Max > 10 || q.Min >= q.Max {
				v.Add(f+".max", "out_of_range")
			}
		default:
			q.Options, q.Min, q.Max = nil, 0, 0
		}
		out = append(out, q)
	}
	return out
}

// CheckAnswer validates a respondent's answer against the survey and
// returns the custom answers normalised: a string for text and single
// questions, a list for multiple ones, a number for ratings. Field names
// are "score", "comment" and "q.<key>", the names of the public form.
func (s *Survey) CheckAnswer(in *SurveyAnswer) (map[string]any, error) {
	var v Validation
	if s.Scored() {
		lo, hi := s.ScoreRange()
		switch {
		case in.Score == nil:
			v.Add("score", "required")
		case *in.Score < lo || *in.Score > hi:
			v.Add("score", "out_of_range")
		}
	} else {
		in.Score = nil
	}
	cleanString(&v, "comment", &in.Comment, MaxSurveyComment, false)
	answers := map[string]any{}
	for _, q := range s.Questions {
		f := "q." + q.Key
		var vals []string
		for _, x := range in.Answers[q.Key] {
			if x = strings.TrimSpace(x); x != "" {
				vals = append(vals, x)
			}
		}
		if len(vals) == 0 {
			if q.Required {
				v.Add(f, "required")
			}
			continue
		}
		switch q.Type {
		case QuestionText:
			t := strings.Join(vals, "\n")
			cleanString(&v, f, &t, MaxAnswerText, false)
			answers[q.Key] = t
		case QuestionSingle:
			if len(vals) != 1 || !slices.Contains(q.Options, vals[0]) {
				v.Add(f, "invalid_choice")
				continue
			}
			answers[q.Key] = vals[0]
		case QuestionMultiple:
			var picked []string
			for _, x := range vals {
				if !slices.Contains(q.Options, x) {
					v.Add(f, "invalid_choice")
					break
				}
				if !slices.Contains(picked, x) {
					picked = append(picked, x)
				}
			}
			answers[q.Key] = picked
		case QuestionRating:
			n, err := strconv.Atoi(vals[0])
			if err != nil || len(vals) != 1 || n < q.Min || n > q.Max {
				v.Add(f, "out_of_range")
				continue
			}
			answers[q.Key] = n
		}
	}
	// Keys the survey does not ask are refused, not dropped silently.
	for k := range in.Answers {
		if !slices.ContainsFunc(s.Questions, func(q SurveyQuestion) bool { return q.Key == k }) {
			v.Add("q."+truncate(k, 40), "unknown_field")
		}
	}
	if len(in.IP) > 64 {
		in.IP = in.IP[:64]
	}
	if len(in.UserAgent) > 500 {
		in.UserAgent = strings.ToValidUTF8(in.UserAgent[:500], "")
	}
	return answers, v.Err()
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Score summarises scored answers; kind decides NPS or CSAT figures.
func Score(kind string, scores []int) SurveyScore {
	var r SurveyScore
	sum := 0
	for _, n := range scores {
		r.add(kind, n)
		sum += n
	}
	r.finish(sum)
	return r
}

// add counts one answer.
func (r *SurveyScore) add(kind string, n int) {
	r.Responses++
	switch kind {
	case SurveyNPS:
		switch {
		case n >= 9:
			r.Promoters++
		case n >= 7:
			r.Passives++
		default:
			r.Detractors++
		}
	case SurveyCSAT:
		if n >= 4 {
			r.Satisfied++
		}
	}
}

func (r *SurveyScore) finish(sum int) {
	if r.Responses == 0 {
		return
	}
	n := float64(r.Responses)
	r.NPS = round1(100 * float64(r.Promoters-r.Detractors) / n)
	r.CSAT = round1(100 * float64(r.Satisfied) / n)
	r.Average = round2(float64(sum) / n)
}

// ScoreAccumulator sums answers for Score without keeping them all.
type ScoreAccumulator struct {
	Kind string
	sum  int
	SurveyScore
}

// Add counts one answer.
func (a *ScoreAccumulator) Add(n int) { a.add(a.Kind, n); a.sum += n }

// Result returns the summary.
func (a *ScoreAccumulator) Result() SurveyScore {
	r := a.SurveyScore
	r.finish(a.sum)
	return r
}

func round1(f float64) float64 { return float64(int64(f*10+half(f))) / 10 }
func round2(f float64) float64 { return float64(int64(f*100+half(f))) / 100 }

// half rounds away from zero.
func half(f float64) float64 {
	if f < 0 {
		return -0.5
	}
	return 0.5
}

// Band names the answer's group: promoter, passive or detractor for NPS;
// satisfied, neutral or unsatisfied for CSAT; "" otherwise. The timeline
// shows it as the entry's outcome.
func (s *Survey) Band(score *int) string {
	if score == nil {
		return ""
	}
	n := *score
	switch s.Kind {
	case SurveyNPS:
		switch {
		case n >= 9:
			return "promoter"
		case n >= 7:
			return "passive"
		}
		return "detractor"
	case SurveyCSAT:
		switch {
		case n >= 4:
			return "satisfied"
		case n == 3:
			return "neutral"
		}
		return "unsatisfied"
	}
	return ""
}

// AnswerText writes a custom answer as text: lists comma-separated.
func AnswerText(a any) string {
	switch v := a.(type) {
	case []string:
		return strings.Join(v, ", ")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(a)
}
