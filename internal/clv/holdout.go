package clv

import "math"

// Holdout is the model's check on purchases it did not see: fitted on the
// purchases up to the end of the calibration, its expected purchase days
// in the holdout period against the actual ones, in total and per
// customer.
type Holdout struct {
	CalibrationEnd int32   `json:"-"`
	Weeks          float64 `json:"weeks"`
	Customers      int     `json:"customers"`
	BGNBD          BGNBD   `json:"bgnbd"`
	LogLikelihood  float64 `json:"log_likelihood"`
	Actual         float64 `json:"actual"`    // repeat purchase days in the holdout
	Predicted      float64 `json:"predicted"` // Σ E[Y(holdout) | calibration history]
	MAE            float64 `json:"mae"`       // mean absolute error per customer
	RMSE           float64 `json:"rmse"`
	Correlation    float64 `json:"correlation"` // Pearson, predicted vs actual per customer
	// ByFrequency is the paper's conditional-expectation check: mean
	// actual and predicted holdout purchases by calibration x (the last
	// bin holds x ≥ its value).
	ByFrequency []HoldoutBin `json:"by_frequency"`
}

// HoldoutBin is one calibration frequency's customers.
type HoldoutBin struct {
	X         int     `json:"x"`
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// Histories are customers' purchase days and values, flat: customer i
// has Days[Start[i]:Start[i+1]] (ascending, distinct) and the same range
// of Value.
type Histories struct {
	Start []int
	Days  []int32
	Value []float64
}

// Len is the number of customers.
func (h *Histories) Len() int { return len(h.Start) - 1 }

// Customer returns customer i's days and values.
func (h *Histories) Customer(i int) ([]int32, []float64) {
	a, b := h.Start[i], h.Start[i+1]
	return h.Days[a:b], h.Value[a:b]
}

// CheckHoldout fits the BG/NBD model on the customers' purchases up to
// calEnd (customers whose first purchase is later are left out) and
// compares its prediction for (calEnd, end] with what they did.
func CheckHoldout(h *Histories, calEnd, end int32) (Holdout, error) {
	var cs []Customer
	var actual []float64
	for i := 0; i < h.Len(); i++ {
		days, vals := h.Customer(i)
		c, _, ok := Summarize(days, vals, calEnd)
		if !ok {
			continue
		}
		n := 0
		for _, d := range days {
			if d > calEnd && d <= end {
				n++
			}
		}
		cs = append(cs, c)
		actual = append(actual, float64(n))
	}
	out := Holdout{CalibrationEnd: calEnd, Weeks: float64(end-calEnd) * WeeksPerDay, Customers: len(cs)}
	fit, err := FitBGNBD(cs)
	if err != nil {
		return out, err
	}
	out.BGNBD, out.LogLikelihood = fit.BGNBD, fit.LogLikelihood
	pred := make([]float64, len(cs))
	cache := map[cacheKey]float64{}
	const bins = 7
	by := make([]HoldoutBin, bins+1)
	for i, c := range cs {
		k := cacheKey{c.X, c.T}
		e, ok := cache[k]
		if !ok {
			e = fit.expectedIfAlive(out.Weeks, c.X, c.T)
			cache[k] = e
		}
		pred[i] = e * fit.PAlive(c.X, c.Tx, c.T)
		out.Actual += actual[i]
		out.Predicted += pred[i]
		d := pred[i] - actual[i]
		out.MAE += math.Abs(d)
		out.RMSE += d * d
		b := min(int(c.X), bins)
		by[b].X = b
		by[b].Customers++
		by[b].Actual += actual[i]
		by[b].Predicted += pred[i]
	}
	n := float64(len(cs))
	out.MAE /= n
	out.RMSE = math.Sqrt(out.RMSE / n)
	out.Correlation = pearson(pred, actual)
	for _, b := range by {
		if b.Customers > 0 {
			b.Actual /= float64(b.Customers)
			b.Predicted /= float64(b.Customers)
			out.ByFrequency = append(out.ByFrequency, b)
		}
	}
	return out, nil
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
