package tracking

import "github.com/prometheus/client_golang/prometheus"

// metrics are the collect endpoint's back-pressure figures: how full the
// queue is, what was accepted, what was refused and why, and how the
// group commits behave.
type metrics struct {
	accepted     prometheus.Counter
	counted      prometheus.Counter
	written      prometheus.Counter
	dropped      *prometheus.CounterVec
	writeErrors  prometheus.Counter
	batchSize    prometheus.Histogram
	batchSeconds prometheus.Histogram
	commitDelay  prometheus.Histogram
	spoolSync    prometheus.Histogram
	replayed     prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "ecrm_collect_events_accepted_total", Help: "Consented events accepted into the queue."}),
		counted:  prometheus.NewCounter(prometheus.CounterOpts{Name: "ecrm_collect_pageviews_counted_total", Help: "Cookieless (pre-consent) page views accepted into the queue."}),
		written:  prometheus.NewCounter(prometheus.CounterOpts{Name: "ecrm_collect_events_written_total", Help: "Consented events committed to the database."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecrm_collect_dropped_total",
			Help: "Events refused or lost, by reason: queue_full, spool_failed, rate_limited, invalid, origin, unknown_site, withdrawn, write_failed."}, []string{"reason"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ecrm_collect_write_errors_total", Help: "Failed batch writes (each is retried)."}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ecrm_collect_batch_size", Help: "Events and counts per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13)}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ecrm_collect_batch_seconds", Help: "Time to write one batch.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		commitDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ecrm_collect_commit_delay_seconds",
			Help:    "From an event's arrival to its commit: how long until it is visible.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		spoolSync: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ecrm_collect_spool_sync_seconds", Help: "Time to write and fsync one generation of the collect spool.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25}}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "ecrm_collect_spool_replayed_total", Help: "Events written at start from the spool of an earlier run."}),
	}
}

func (m *metrics) register(reg prometheus.Registerer, depth func() float64, capacity int) {
	reg.MustRegister(m.accepted, m.counted, m.written, m.dropped, m.writeErrors, m.batchSize, m.batchSeconds, m.commitDelay, m.spoolSync, m.replayed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ecrm_collect_queue_depth", Help: "Events and counts waiting to be written."}, depth),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ecrm_collect_queue_capacity", Help: "Capacity of the collect queue."}, func() float64 { return float64(capacity) }))
}
