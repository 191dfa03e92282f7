package avatarmw

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch"
)

// Metrics. Collector returns a prometheus.Collector that the app registers on a registry of its
// own and serves where it likes:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(avatars.Collector())
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Most of what it reports is read from Stats at each scrape, counters the handler keeps anyway,
// so that a hit pays nothing for them; the histograms are observed where the work is done (a
// request, a transform, an origin call, an ask of a peer). Labels have few, known values: status
// codes, delivery types, outcomes, group names; never an identifier or a URL. docs/operations.md
// lists the families and what to alert on.

// statusCodes are the statuses the handler answers with, each a value of the code label of
// avatarkit_requests_total; any other is "other".
var statusCodes = [...]int{200, 304, 400, 401, 403, 404, 405, 410, 414, 422, 499, 500, 502, 503, 504}

// codeIndex returns the index of code in statusCodes, or len(statusCodes) for any other.
func codeIndex(code int) int {
	switch code {
	case 200:
		return 0
	case 304:
		return 1
	case 400:
		return 2
	case 401:
		return 3
	case 403:
		return 4
	case 404:
		return 5
	case 405:
		return 6
	case 410:
		return 7
	case 414:
		return 8
	case 422:
		return 9
	case 499:
		return 10
	case 500:
		return 11
	case 502:
		return 12
	case 503:
		return 13
	case 504:
		return 14
	}
	return len(statusCodes)
}

// codeLabel is the label value of a codeIndex.
func codeLabel(i int) string {
	if i < len(statusCodes) {
		return strconv.Itoa(statusCodes[i])
	}
	return "other"
}

// Buckets of the histograms, in seconds.
var (
	// A hit takes tens of microseconds through a server, a cold request up to seconds.
	requestBuckets = []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30}
	// Transforms and analyses take milliseconds to a second (the CPU limit of one URL).
	workBuckets = []float64{1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10}
	// Origin calls take tens of milliseconds to the load timeout.
	originBuckets = []float64{10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30}
	// An ask of a peer takes a fraction of a millisecond (a hit on the owner) to a cold load.
	peerBuckets = []float64{250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30}
)

// peerOutcomes are the outcomes of an ask of a peer (cache.Observer.PeerRequest).
var peerOutcomes = []string{"ok", "owner_error", "error"}

// groupNames are the values of the group label: the cache's groups.
var groupNames = []string{"originals", "index", "analyses", "variants", "probation"}

// metrics are the handler's Prometheus metrics (Collector).
type metrics struct {
	h     *Handler
	types []string // the delivery types whose networks may be called

	requests      *prometheus.HistogramVec
	hit, miss     prometheus.Observer
	transforms    prometheus.Histogram
	analyses      prometheus.Histogram
	origins       *prometheus.HistogramVec
	originByType  map[string]prometheus.Observer
	peers         *prometheus.HistogramVec
	peerByOutcome map[string]prometheus.Observer

	descs map[string]*prometheus.Desc
}

// Collector returns the handler's Prometheus collector, for the app to register on a registry of
// its own (never a global one: avatarkit registers nothing itself). The same collector is
// returned each time. Until it is first called, requests are not timed: an app without metrics
// pays nothing for them. docs/operations.md lists its families.
func (h *Handler) Collector() prometheus.Collector {
	if m := h.metrics.Load(); m != nil {
		return m
	}
	m := newMetrics(h)
	if !h.metrics.CompareAndSwap(nil, m) {
		return h.metrics.Load()
	}
	return m
}

func newMetrics(h *Handler) *metrics {
	m := &metrics{h: h, originByType: map[string]prometheus.Observer{}, peerByOutcome: map[string]prometheus.Observer{}}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatarkit_request_duration_seconds",
		Help:    "Time to answer an avatar request that reached the cache, by whether it was a hit (answered from this node's memory) or a miss (something was loaded, computed or asked of a peer for it).",
		Buckets: requestBuckets,
	}, []string{"cache"})
	m.hit, m.miss = m.requests.WithLabelValues("hit"), m.requests.WithLabelValues("miss")
	m.transforms = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "avatarkit_transform_duration_seconds",
		Help:    "Time a transform took on this node (decode, transformation and encode), its wait for room in the work budget aside.",
		Buckets: workBuckets,
	})
	m.analyses = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "avatarkit_analysis_duration_seconds",
		Help:    "Time a face and detail analysis took on this node.",
		Buckets: workBuckets,
	})
	m.origins = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatarkit_origin_fetch_duration_seconds",
		Help:    "Time a call to a provider took on this node (lookup and download), by delivery type.",
		Buckets: originBuckets,
	}, []string{"provider"})
	for _, typ := range h.typeNames() {
		if _, err := h.providers[typ].CheckID(""); fetch.KindOf(err) == fetch.KindGone {
			continue // a network that withdrew its API is never called: no series of its own
		}
		m.types = append(m.types, typ)
		m.originByType[typ] = m.origins.WithLabelValues(typ)
	}
	m.peers = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatarkit_peer_request_duration_seconds",
		Help:    "Time an ask of another node for a value took, by outcome: ok, owner_error (the owner's load failed), error (the owner could not be asked, or did not answer).",
		Buckets: peerBuckets,
	}, []string{"outcome"})
	for _, o := range peerOutcomes {
		m.peerByOutcome[o] = m.peers.WithLabelValues(o)
	}
	m.descs = map[string]*prometheus.Desc{}
	for _, d := range families {
		m.descs[d.name] = prometheus.NewDesc(d.name, d.help, d.labels, nil)
	}
	return m
}

// family is a metric family read from Stats.
type family struct {
	name, help string
	labels     []string
}

// families are the families Collect reads from Stats.
var families = []family{
	{"avatarkit_requests_total", "Avatar requests answered, by status code.", []string{"code"}},
	{"avatarkit_origin_fetches_total", "Calls to a provider (network lookups and downloads) this node made, by delivery type and outcome.", []string{"provider", "outcome"}},
	{"avatarkit_rate_limited_until_timestamp_seconds", "When the network of a delivery type stops holding this node off (Unix time), or 0: it rate-limited this node or another node of the fleet.", []string{"provider"}},
	{"avatarkit_rate_limit_notices_total", "Rate limits other nodes of the fleet told this node of.", nil},
	{"avatarkit_transforms_total", "Variants computed on this node.", nil},
	{"avatarkit_analyses_total", "Face and detail analyses computed on this node.", nil},
	{"avatarkit_stale_served_total", "Requests answered with the last good picture because the avatar's refresh failed.", nil},
	{"avatarkit_defaults_served_total", "Requests answered with a default picture (d_).", nil},
	{"avatarkit_refreshes_total", "Forced refreshes made on this node, by whether they called the network (made) or took the version of one just made (coalesced).", []string{"result"}},
	{"avatarkit_admission_total", "Variants asked for the first time that were computed in the probation group, promoted from it at their second request, or looked for on their owner in vain (peer_peek_miss).", []string{"event"}},
	{"avatarkit_cache_bytes", "Bytes the cache's values take now, by group.", []string{"group"}},
	{"avatarkit_cache_items", "Values in the cache now, by group.", []string{"group"}},
	{"avatarkit_cache_capacity_bytes", "The most the cache's values may take (CacheBytes), all groups together.", nil},
	{"avatarkit_cache_gets_total", "Gets of a value, by group.", []string{"group"}},
	{"avatarkit_cache_hits_total", "Gets of a value answered from this node's memory, by group.", []string{"group"}},
	{"avatarkit_cache_loads_total", "Values loaded on this node (it owns them, or their owner could not be asked), by group.", []string{"group"}},
	{"avatarkit_cache_load_errors_total", "Loads on this node that failed, by group.", []string{"group"}},
	{"avatarkit_cache_evictions_total", "Values evicted to make room, by group.", []string{"group"}},
	{"avatarkit_work_budget_bytes", "The work budget: the memory cold work may hold at once (WorkBytes).", nil},
	{"avatarkit_work_used_bytes", "Memory the cold work running now holds.", nil},
	{"avatarkit_work_peak_bytes", "The most memory cold work has held at once since the start.", nil},
	{"avatarkit_work_slots", "Transforms that may run at once.", nil},
	{"avatarkit_work_running", "Transforms running now.", nil},
	{"avatarkit_work_queue_length", "Cold work waiting for room now.", nil},
	{"avatarkit_work_queue_cpu_seconds", "Estimated processor time of the cold work waiting now.", nil},
	{"avatarkit_work_admitted_total", "Cold work started.", nil},
	{"avatarkit_work_waited_total", "Cold work that waited for room before it started.", nil},
	{"avatarkit_work_wait_seconds_total", "Time cold work waited for room, in all.", nil},
	{"avatarkit_shed_total", "Cold work refused because it could not start soon (503 with Retry-After).", nil},
	{"avatarkit_held_responses_total", "Large response bodies that held room in the work budget while they were sent.", nil},
	{"avatarkit_peers", "Nodes of the cluster as this node sees them, itself included, by state: up, or set aside (down) because they could not be reached.", []string{"state"}},
	{"avatarkit_peer_requests_total", "Asks of another node for a value, by outcome: ok, or error (it failed, or the owner's load did).", []string{"outcome"}},
	{"avatarkit_peer_served_total", "Requests of other nodes to this one's peer endpoint, by outcome: ok, refused_credentials (401, 403), refused_request (a bad group, key or notice).", []string{"outcome"}},
	{"avatarkit_store_up", "1 when the durable store answers, 0 while it is set aside after a failure. Absent without a store.", nil},
	{"avatarkit_store_reads_total", "Reads of the durable store, by result: hit (an original served), miss (nothing, or another period's), error (failed), corrupt (ignored), skipped (not made: the store was set aside).", []string{"result"}},
	{"avatarkit_store_writes_total", "Writes to the durable store, by result: ok, failed, dropped (the queue was full).", []string{"result"}},
	{"avatarkit_store_queue_length", "Writes to the durable store waiting now.", nil},
	{"avatarkit_store_queue_bytes", "Bytes of the writes to the durable store waiting now.", nil},
	{"avatarkit_store_swept_total", "Entries of the durable store deleted for their age.", nil},
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range m.descs {
		ch <- d
	}
	m.requests.Describe(ch)
	m.transforms.Describe(ch)
	m.analyses.Describe(ch)
	m.origins.Describe(ch)
	m.peers.Describe(ch)
}

// Collect implements prometheus.Collector: it reads the handler's Stats once.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.h.Stats()
	counter := func(name string, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.descs[name], prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(m.descs[name], prometheus.GaugeValue, v, labels...)
	}
	for i := range m.h.codes {
		counter("avatarkit_requests_total", m.h.codes[i].Load(), codeLabel(i))
	}
	for _, typ := range m.types {
		for _, o := range cache.OriginOutcomes {
			counter("avatarkit_origin_fetches_total", s.OriginOutcomes[typ][o], typ, o)
		}
		until := 0.0
		if t, ok := s.RateLimitedUntil[typ]; ok {
			until = float64(t.UnixMilli()) / 1e3
		}
		gauge("avatarkit_rate_limited_until_timestamp_seconds", until, typ)
	}
	counter("avatarkit_rate_limit_notices_total", s.RateLimitHolds)
	counter("avatarkit_transforms_total", s.Transforms)
	counter("avatarkit_analyses_total", s.Analyses)
	counter("avatarkit_stale_served_total", s.StaleServed)
	counter("avatarkit_defaults_served_total", s.DefaultsServed)
	counter("avatarkit_refreshes_total", s.Refreshes, "made")
	counter("avatarkit_refreshes_total", s.RefreshesCoalesced, "coalesced")
	counter("avatarkit_admission_total", s.Admission.Probation, "probation")
	counter("avatarkit_admission_total", s.Admission.Promoted, "promoted")
	counter("avatarkit_admission_total", s.Admission.PeerPeeks, "peer_peek_miss")

	gauge("avatarkit_cache_capacity_bytes", float64(s.CacheBytes))
	for i, g := range []cache.GroupStats{s.Originals, s.Index, s.AnalysesG, s.Variants, s.Probation} {
		name := groupNames[i]
		gauge("avatarkit_cache_bytes", float64(g.MainCache.Bytes+g.HotCache.Bytes), name)
		gauge("avatarkit_cache_items", float64(g.MainCache.Items+g.HotCache.Items), name)
		counter("avatarkit_cache_gets_total", g.Gets, name)
		counter("avatarkit_cache_hits_total", g.CacheHits, name)
		counter("avatarkit_cache_loads_total", g.LocalLoads, name)
		counter("avatarkit_cache_load_errors_total", g.LocalLoadErrs, name)
		counter("avatarkit_cache_evictions_total", g.MainCache.Evictions+g.HotCache.Evictions, name)
	}

	w := s.Work
	gauge("avatarkit_work_budget_bytes", float64(w.WorkBytes))
	gauge("avatarkit_work_used_bytes", float64(w.UsedBytes))
	gauge("avatarkit_work_peak_bytes", float64(w.PeakBytes))
	gauge("avatarkit_work_slots", float64(w.Slots))
	gauge("avatarkit_work_running", float64(w.Running))
	gauge("avatarkit_work_queue_length", float64(w.Queued))
	gauge("avatarkit_work_queue_cpu_seconds", w.QueuedCPU.Seconds())
	counter("avatarkit_work_admitted_total", w.Admitted)
	counter("avatarkit_work_waited_total", w.Waited)
	ch <- prometheus.MustNewConstMetric(m.descs["avatarkit_work_wait_seconds_total"], prometheus.CounterValue, w.WaitedTotal.Seconds())
	counter("avatarkit_shed_total", w.Shed)
	counter("avatarkit_held_responses_total", w.HeldResponses)

	gauge("avatarkit_peers", float64(s.Peers-s.PeersDown), "up")
	gauge("avatarkit_peers", float64(s.PeersDown), "down")
	counter("avatarkit_peer_requests_total", s.PeerLoads, "ok")
	counter("avatarkit_peer_requests_total", s.PeerErrors, "error")
	counter("avatarkit_peer_served_total", s.ServedForPeers, "ok")
	counter("avatarkit_peer_served_total", s.PeerAuthRefusals, "refused_credentials")
	counter("avatarkit_peer_served_total", s.PeerBadRequests, "refused_request")

	if st := s.Store; st.Enabled {
		up := 1.0
		if st.Down {
			up = 0
		}
		gauge("avatarkit_store_up", up)
		counter("avatarkit_store_reads_total", st.Hits, "hit")
		counter("avatarkit_store_reads_total", st.Misses, "miss")
		counter("avatarkit_store_reads_total", st.ReadErrors, "error")
		counter("avatarkit_store_reads_total", st.Corrupt, "corrupt")
		counter("avatarkit_store_reads_total", st.Skipped, "skipped")
		counter("avatarkit_store_writes_total", st.Writes, "ok")
		counter("avatarkit_store_writes_total", st.WriteFailures, "failed")
		counter("avatarkit_store_writes_total", st.WritesDropped, "dropped")
		gauge("avatarkit_store_queue_length", float64(st.Queued))
		gauge("avatarkit_store_queue_bytes", float64(st.QueuedBytes))
		counter("avatarkit_store_swept_total", st.Swept)
	}

	m.requests.Collect(ch)
	m.transforms.Collect(ch)
	m.analyses.Collect(ch)
	m.origins.Collect(ch)
	m.peers.Collect(ch)
}

// cacheObserver passes the cache's durations to the handler's metrics, once there are any.
type cacheObserver struct{ h *Handler }

func (o cacheObserver) OriginFetch(provider, _ string, d time.Duration) {
	if m := o.h.metrics.Load(); m != nil {
		if obs, ok := m.originByType[provider]; ok {
			obs.Observe(d.Seconds())
		}
	}
}

func (o cacheObserver) Transform(d time.Duration) {
	if m := o.h.metrics.Load(); m != nil {
		m.transforms.Observe(d.Seconds())
	}
}

func (o cacheObserver) Analysis(d time.Duration) {
	if m := o.h.metrics.Load(); m != nil {
		m.analyses.Observe(d.Seconds())
	}
}

func (o cacheObserver) PeerRequest(outcome string, d time.Duration) {
	if m := o.h.metrics.Load(); m != nil {
		if obs, ok := m.peerByOutcome[outcome]; ok {
			obs.Observe(d.Seconds())
		}
	}
}

// tracerName is the instrumentation scope of the handler's spans.
const tracerName = "github.com/avatarkit/avatarkit/avatarmw"

// serveObserved is ServeHTTP with metrics (m, when not nil) or tracing: the request is timed,
// and traced in a span of its own.
func (h *Handler) serveObserved(w http.ResponseWriter, r *http.Request, m *metrics) {
	start := time.Now()
	var span trace.Span
	if h.tracer != nil {
		var ctx context.Context
		ctx, span = h.tracer.Start(r.Context(), "avatarkit.request", trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		r = r.WithContext(ctx)
	}
	o := h.serve(w, r)
	took := time.Since(start)
	h.codes[codeIndex(o.code)].Add(1)
	if m != nil && o.cached {
		if o.hit {
			m.hit.Observe(took.Seconds())
		} else {
			m.miss.Observe(took.Seconds())
		}
	}
	if span != nil {
		attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", o.code)}
		if o.typ != "" {
			attrs = append(attrs, attribute.String("avatarkit.type", o.typ))
		}
		if o.cached {
			attrs = append(attrs, attribute.Bool("avatarkit.hit", o.hit))
		}
		span.SetAttributes(attrs...)
		if o.code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(o.code))
		}
		span.End()
	}
}
