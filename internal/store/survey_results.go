package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/ecrm/ecrm/internal/crm"
)

// maxPeriods bounds the results over time: two years of weeks, or more
// than eight years of months.
const maxPeriods = 104

// SurveyResults computes a survey's results from its answers: totals,
// the distribution of scores, the score per month or week (UTC, weeks
// start on Monday) by the time of the latest answer, the score per
// account manager (the contact's owner when the answer was given), the
// response rate of invitations and the latest comments. The scores are
// read in one pass over the survey's rows (a few bytes each) and summed
// here, which keeps the SQL the same on both engines.
func (db *DB) SurveyResults(ctx context.Context, id int64, f crm.SurveyResultsFilter) (*crm.SurveyResults, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read))
	if err != nil {
		return nil, err
	}
	if f.Bucket == "" {
		f.Bucket = crm.BucketMonth
	}
	if f.Bucket != crm.BucketMonth && f.Bucket != crm.BucketWeek {
		var v crm.Validation
		v.Add("bucket", "invalid_choice")
		return nil, v.Err()
	}
	s, err := db.findSurvey(ctx, db.read, id)
	if err != nil {
		return nil, err
	}
	res := &crm.SurveyResults{SurveyID: id, Kind: s.Kind, Periods: []crm.SurveyPeriod{}, Managers: []crm.SurveyManagerScore{}, Distribution: []int{}}
	lo, hi := s.ScoreRange()
	if s.Scored() {
		res.Distribution = make([]int, hi-lo+1)
	}
	q := &listQuery{d: db.dialect}
	q.add("r.survey_id = " + q.arg(id))
	scopeResponses(q, a)
	if f.From != nil {
		q.add("r.updated_at >= " + q.arg(ms(*f.From)))
	}
	if f.To != nil {
		q.add("r.updated_at < " + q.arg(ms(*f.To)))
	}
	qr := newQuestionTally(s)
	rows, err := db.read.QueryContext(ctx, `SELECT r.score, r.manager_id, r.contact_id IS NULL, r.updated_at, r.answers FROM survey_responses r WHERE `+q.sql(), q.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	total := crm.ScoreAccumulator{Kind: s.Kind}
	periods := map[time.Time]*crm.ScoreAccumulator{}
	managers := map[int64]*crm.ScoreAccumulator{}
	for rows.Next() {
		var score, manager sql.NullInt64
		var anon bool
		var at int64
		var answers string
		if err := rows.Scan(&score, &manager, &anon, &at, &answers); err != nil {
			rows.Close()
			return nil, err
		}
		qr.add(answers)
		if anon {
			res.Anonymous++
		}
		n := int(score.Int64)
		if !score.Valid {
			// A custom survey: counted, with no score to sum.
			total.Responses++
			continue
		}
		total.Add(n)
		if n >= lo && n <= hi {
			res.Distribution[n-lo]++
		}
		start := bucketStart(fromMS(at), f.Bucket)
		if periods[start] == nil {
			periods[start] = &crm.ScoreAccumulator{Kind: s.Kind}
		}
		periods[start].Add(n)
		m := manager.Int64 // 0: no owner, or anonymous
		if managers[m] == nil {
			managers[m] = &crm.ScoreAccumulator{Kind: s.Kind}
		}
		managers[m].Add(n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.mapErr(err)
	}
	res.Total = total.Result()
	res.Questions = qr.results()
	res.Periods = fillPeriods(periods, f.Bucket, s.Kind)
	if res.Managers, err = db.managerScores(ctx, managers); err != nil {
		return nil, err
	}
	if err := db.responseRate(ctx, res, id, a); err != nil {
		return nil, err
	}
	cq := &listQuery{d: db.dialect}
	cq.add("r.survey_id = " + cq.arg(id))
	cq.add("r.comment <> ''")
	scopeResponses(cq, a)
	crows, err := db.read.QueryContext(ctx, `SELECT `+responseCols+responseFrom+` WHERE `+cq.sql()+` ORDER BY r.updated_at DESC, r.id DESC LIMIT 10`, cq.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer crows.Close()
	res.Comments = []*crm.SurveyResponse{}
	for crows.Next() {
		r, err := scanResponse(crows)
		if err != nil {
			return nil, err
		}
		res.Comments = append(res.Comments, r)
	}
	return res, db.mapErr(crows.Err())
}

// bucketStart is the first instant (UTC) of the month or ISO week of t.
func bucketStart(t time.Time, bucket string) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if bucket == crm.BucketWeek {
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// fillPeriods lists the buckets from the first to the last with answers,
// empty ones included so a chart's gaps are visible, the latest
// maxPeriods of them.
func fillPeriods(m map[time.Time]*crm.ScoreAccumulator, bucket, kind string) []crm.SurveyPeriod {
	out := []crm.SurveyPeriod{}
	if len(m) == 0 {
		return out
	}
	var first, last time.Time
	for t := range m {
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	next := func(t time.Time) time.Time {
		if bucket == crm.BucketWeek {
			return t.AddDate(0, 0, 7)
		}
		return t.AddDate(0, 1, 0)
	}
	for t := first; !t.After(last); t = next(t) {
		p := crm.SurveyPeriod{Start: t}
		if acc := m[t]; acc != nil {
			p.SurveyScore = acc.Result()
		}
		out = append(out, p)
	}
	if len(out) > maxPeriods {
		out = out[len(out)-maxPeriods:]
	}
	return out
}

// managerScores names the managers and orders them by number of
// answers; answers credited to nobody come last.
func (db *DB) managerScores(ctx context.Context, m map[int64]*crm.ScoreAccumulator) ([]crm.SurveyManagerScore, error) {
	out := []crm.SurveyManagerScore{}
	if len(m) == 0 {
		return out, nil
	}
	names := map[int64]string{}
	rows, err := db.read.QueryContext(ctx, `SELECT id, COALESCE(NULLIF(name, ''), email) FROM users`)
	if err != nil {
		return nil, db.mapErr(err)
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		names[id] = name
	}
	rows.Close()
	for id, acc := range m {
		ms := crm.SurveyManagerScore{SurveyScore: acc.Result()}
		if id != 0 {
			mid := id
			ms.ManagerID, ms.ManagerName = &mid, names[id]
		}
		out = append(out, ms)
	}
	slices.SortFunc(out, func(a, b crm.SurveyManagerScore) int {
		switch {
		case (a.ManagerID == nil) != (b.ManagerID == nil):
			if a.ManagerID == nil {
				return 1
			}
			return -1
		case a.Responses != b.Responses:
			return b.Responses - a.Responses
		case a.ManagerID == nil:
			return 0
		}
		return int(*a.ManagerID - *b.ManagerID)
	})
	return out, nil
}

// responseRate fills how many contacts were invited and how many of them
// answered (by any channel, at any time).
func (db *DB) responseRate(ctx context.Context, res *crm.SurveyResults, id int64, a *crm.Actor) error {
	q := &listQuery{d: db.dialect}
	q.add("s.survey_id = " + q.arg(id))
	if a.Restricted() {
		q.add("s.contact_id IN (SELECT id FROM contacts WHERE owner_id = " + q.arg(a.UserID) + ")")
	}
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT s.contact_id),
		COUNT(DISTINCT (SELECT r.contact_id FROM survey_responses r WHERE r.survey_id = s.survey_id AND r.contact_id = s.contact_id))
		FROM survey_sends s WHERE `+q.sql(), q.args...).Scan(&res.Sent, &res.Answered)
	if err != nil {
		return db.mapErr(err)
	}
	if res.Sent > 0 {
		res.ResponseRate = float64(int64(1000*float64(res.Answered)/float64(res.Sent)+0.5)) / 10
	}
	return nil
}

// questionTally counts custom answers by option or value.
type questionTally struct {
	qs     []crm.SurveyQuestion
	counts []map[string]int
	n      []int
	sum    []int
}

func newQuestionTally(s *crm.Survey) *questionTally {
	t := &questionTally{qs: s.Questions, counts: make([]map[string]int, len(s.Questions)), n: make([]int, len(s.Questions)), sum: make([]int, len(s.Questions))}
	for i := range t.counts {
		t.counts[i] = map[string]int{}
	}
	return t
}

// add counts one response's answers (the stored JSON). Answers to
// questions since removed, or options since renamed, are not counted.
func (t *questionTally) add(raw string) {
	if len(t.qs) == 0 || raw == "{}" {
		return
	}
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return
	}
	for i, q := range t.qs {
		a, ok := m[q.Key]
		if !ok {
			continue
		}
		t.n[i]++
		switch v := a.(type) {
		case string:
			t.counts[i][v]++
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					t.counts[i][s]++
				}
			}
		case float64:
			t.counts[i][strconv.Itoa(int(v))]++
			t.sum[i] += int(v)
		}
	}
}

func (t *questionTally) results() []crm.QuestionResult {
	out := []crm.QuestionResult{}
	for i, q := range t.qs {
		r := crm.QuestionResult{Key: q.Key, Label: q.Label, Type: q.Type, Answers: t.n[i], Options: []crm.OptionCount{}}
		switch q.Type {
		case crm.QuestionSingle, crm.QuestionMultiple:
			for _, o := range q.Options {
				r.Options = append(r.Options, crm.OptionCount{Option: o, Count: t.counts[i][o]})
			}
		case crm.QuestionRating:
			for v := q.Min; v <= q.Max; v++ {
				r.Options = append(r.Options, crm.OptionCount{Option: strconv.Itoa(v), Count: t.counts[i][strconv.Itoa(v)]})
			}
			if t.n[i] > 0 {
				r.Average = float64(int64(100*float64(t.sum[i])/float64(t.n[i])+0.5)) / 100
			}
		}
		out = append(out, r)
	}
	return out
}

// SurveyResponseCounts counts the answers of every survey in one query;
// own-only actors count their contacts' answers only.
func (db *DB) SurveyResponseCounts(ctx context.Context) (map[int64]int, error) {
	a, err := crm.Authorize(ctx, crm.P(crm.ResSurveys, crm.Read))
	if err != nil {
		return nil, err
	}
	q := &listQuery{d: db.dialect}
	scopeResponses(q, a)
	rows, err := db.read.QueryContext(ctx, `SELECT r.survey_id, COUNT(*) FROM survey_responses r WHERE `+q.sql()+` GROUP BY r.survey_id`, q.args...)
	if err != nil {
		return nil, db.mapErr(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, db.mapErr(rows.Err())
}
