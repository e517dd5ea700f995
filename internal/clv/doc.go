// Package clv holds the customer value models of ecrm: the BG/NBD model of
// repeat buying and dropout (Fader, Hardie & Lee 2005, "Counting Your
// Customers the Easy Way", Marketing Science 24(2) 275–284), the
// Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005,
// "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR
// 42(4) 415–430; Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary
// Value", brucehardie.com/notes/025), the discounted 12-month customer
// lifetime value and churn risk built on them, and RFM quintile scores
// with named groups. It knows no SQL or HTTP: the score job
// (store/scores) feeds it purchase days and stores what it returns.
//
// Time is in weeks and a transaction is a purchase day, as in the
// literature: a customer's x is the number of distinct purchase days after
// the first (repeat transactions), t_x the time from the first purchase
// day to the last, T the time from the first purchase day to the end of
// the calibration period.
//
// Fits are maximum likelihood with gonum's BFGS on log parameters and
// analytic gradients; the BG/NBD likelihood runs over the unique (x, t_x,
// T) triples with their counts, so its cost grows with the number of
// distinct histories, not of customers. A fit that cannot converge (too
// few customers, no repeat buyers, a likelihood that is not finite)
// returns an error and no parameters: callers never see NaN or Inf.
package clv
