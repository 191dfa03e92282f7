package avatarmw

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// The families every app can count on, present from the start, with their types and labels.
var contractFamilies = map[string]struct {
	typ    dto.MetricType
	labels []string
}{
	"avatarkit_requests_total":             {dto.MetricType_COUNTER, []string{"code"}},
	"avatarkit_request_duration_seconds":   {dto.MetricType_HISTOGRAM, []string{"cache"}},
	"avatarkit_origin_fetches_total":       {dto.MetricType_COUNTER, []string{"outcome", "provider"}},
	"avatarkit_transforms_total":           {dto.MetricType_COUNTER, nil},
	"avatarkit_transform_duration_seconds": {dto.MetricType_HISTOGRAM, nil},
	"avatarkit_cache_bytes":                {dto.MetricType_GAUGE, []string{"group"}},
	"avatarkit_peer_requests_total":        {dto.MetricType_COUNTER, []string{"outcome"}},
	"avatarkit_shed_total":                 {dto.MetricType_COUNTER, nil},
}

// scrape serves the registry as /metrics does and parses the text exposition, as Prometheus
// would read it.
func scrape(t testing.TB, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err, "the exposition parses")
	return fams
}

// sample returns the value of a counter or gauge, or the count of a histogram, of the series of
// family name with the given labels (pairs); -1 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
	for _, m := range f.Metric {
		if !hasLabels(m, labels...) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func hasLabels(m *dto.Metric, labels ...string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.Label {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestMetricsFamiliesAndCounters(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.Collector())
	assert.Same(t, h.Collector(), h.Collector(), "one collector per handler")

	// Before any request: every family is there, its labelled series pre-initialised.
	fams := scrape(t, reg)
	for name, want := range contractFamilies {
		f, ok := fams[name]
		require.True(t, ok, "family %s is present from the start", name)
		assert.Equal(t, want.typ, f.GetType(), name)
		require.NotEmpty(t, f.Metric, name)
		for _, m := range f.Metric {
			var got []string
			for _, l := range m.Label {
				got = append(got, l.GetName())
			}
			assert.ElementsMatch(t, want.labels, got, "%s: labels", name)
		}
	}
	assert.Equal(t, 0.0, sample(fams, "avatarkit_requests_total", "code", "200"))
	assert.Equal(t, 0.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "hit"))
	assert.Equal(t, 0.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "miss"))
	assert.Equal(t, 0.0, sample(fams, "avatarkit_origin_fetches_total", "provider", "facebook", "outcome", "picture"))
	assert.Equal(t, 0.0, sample(fams, "avatarkit_origin_fetches_total", "provider", "gravatar", "outcome", "rate_limited"))
	for _, g := range []string{"originals", "index", "analyses", "variants", "probation"} {
		assert.Equal(t, 0.0, sample(fams, "avatarkit_cache_bytes", "group", g), g)
	}
	assert.Equal(t, 0.0, sample(fams, "avatarkit_peer_requests_total", "outcome", "error"))
	assert.Equal(t, -1.0, sample(fams, "avatarkit_store_up"), "no store, no store families")
	assert.Equal(t, -1.0, sample(fams, "avatarkit_origin_fetches_total", "provider", "gplus"), "a withdrawn network is never called")

	// A cold request, two hits, a 304 and a refusal.
	u := user(t, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_90,w_90/" + u.ID + ".jpg"
	first := do(t, srv, "GET", path)
	require.Equal(t, http.StatusOK, first.StatusCode)
	for range 2 {
		require.Equal(t, http.StatusOK, do(t, srv, "GET", path).StatusCode)
	}
	require.Equal(t, http.StatusNotModified, do(t, srv, "GET", path, "If-None-Match", first.Header.Get("ETag")).StatusCode)
	require.Equal(t, http.StatusBadRequest, do(t, srv, "GET", "/avatars/facebook/w_ninety/"+u.ID+".jpg").StatusCode)

	fams = scrape(t, reg)
	assert.Equal(t, 3.0, sample(fams, "avatarkit_requests_total", "code", "200"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_requests_total", "code", "304"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_requests_total", "code", "400"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "miss"), "the cold request")
	assert.Equal(t, 3.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "hit"), "two hits and the 304; the 400 never reached the cache")
	assert.Equal(t, 1.0, sample(fams, "avatarkit_origin_fetches_total", "provider", "facebook", "outcome", "picture"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_origin_fetch_duration_seconds", "provider", "facebook"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_transforms_total"))
	assert.Equal(t, 1.0, sample(fams, "avatarkit_transform_duration_seconds"))
	assert.Positive(t, sample(fams, "avatarkit_cache_bytes", "group", "originals"))
	assert.Positive(t, sample(fams, "avatarkit_cache_bytes", "group", "variants")+sample(fams, "avatarkit_cache_bytes", "group", "probation"))
	assert.Equal(t, 0.0, sample(fams, "avatarkit_shed_total"))
	assert.Equal(t, float64(DefaultWorkBytes), sample(fams, "avatarkit_work_budget_bytes"))
	assert.Positive(t, sample(fams, "avatarkit_work_peak_bytes"), "the transform held room in the budget")

	// A "no such user" is counted as such, and a second request for it is a hit.
	missing := "/avatars/facebook/" + fetchtest.MissingFacebookID + ".jpg"
	require.Equal(t, http.StatusNotFound, do(t, srv, "GET", missing).StatusCode)
	require.Equal(t, http.StatusNotFound, do(t, srv, "GET", missing).StatusCode)
	fams = scrape(t, reg)
	assert.Equal(t, 1.0, sample(fams, "avatarkit_origin_fetches_total", "provider", "facebook", "outcome", "not_found"))
	assert.Equal(t, 2.0, sample(fams, "avatarkit_requests_total", "code", "404"))
	assert.Equal(t, 2.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "miss"))
	assert.Equal(t, 4.0, sample(fams, "avatarkit_request_duration_seconds", "cache", "hit"), "a remembered outcome is a hit")

	// Labels have few, known values: never an identifier or a URL.
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.NotContains(t, rec.Body.String(), u.ID)
	assert.NotContains(t, rec.Body.String(), fetchtest.MissingFacebookID)
	assert.NotContains(t, rec.Body.String(), "c_fill")
	series := 0
	for _, f := range fams {
		series += len(f.Metric)
	}
	assert.Less(t, series, 600, "a bounded number of series")
}

// Only the handler's own families, on the app's registry: nothing on the global one.
func TestMetricsNotOnTheDefaultRegistry(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.Collector())
	fams, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		assert.False(t, strings.HasPrefix(f.GetName(), "avatarkit_"), "%s on the default registry", f.GetName())
	}
	mine, err := reg.Gather()
	require.NoError(t, err)
	name := regexp.MustCompile(`^avatarkit_[a-z_]+$`)
	for _, f := range mine {
		assert.Regexp(t, name, f.GetName())
		assert.NotEmpty(t, f.GetHelp(), f.GetName())
	}
}

// The hit path's allocations are the same with metrics on.
func TestMetricsCostAHitNoAllocation(t *testing.T) {
	u := user(t, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_90,w_90/" + u.ID + ".jpg"
	allocs := func(h *Handler) float64 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusOK, rec.Code)
		req := httptest.NewRequest("GET", path, nil)
		w := &discardWriter{hdr: http.Header{}}
		return testing.AllocsPerRun(200, func() {
			clear(w.hdr)
			w.code = 0
			h.ServeHTTP(w, req)
		})
	}
	plainH, _, _ := newTestHandler(t, nil)
	metered, _, _ := newTestHandler(t, nil)
	prometheus.NewRegistry().MustRegister(metered.Collector())
	assert.Equal(t, allocs(plainH), allocs(metered))
}

// Hits and misses, as the cache tells them: a request that waited for another's load of the same
// variant is a miss too.
func TestHitsAndMisses(t *testing.T) {
	h, fake, _ := newTestHandler(t, nil)
	u := user(t, "x", plain)
	path := "/avatars/twitter/c_fill,h_60,w_60/" + u.ID + ".png"
	get := func() served {
		return h.serve(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	results := make([]served, 8)
	// The network answers once every request has asked the cache for the avatar.
	fake.OnNext(fetchtest.XLookup, func() {
		for deadline := time.Now().Add(time.Minute); h.Stats().Index.Gets < int64(len(results)) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	})
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = get() })
	}
	wg.Wait()
	for i, r := range results {
		assert.Equal(t, http.StatusOK, r.code)
		assert.False(t, r.hit, "request %d came while the avatar was loaded", i)
	}
	r := get()
	assert.True(t, r.cached)
	assert.True(t, r.hit)
	assert.Equal(t, "twitter", r.typ)
	r = h.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/avatars/nosuchtype/1.jpg", nil))
	assert.Equal(t, http.StatusBadRequest, r.code)
	assert.False(t, r.cached)
}

// The origin outcomes are a bounded list the metrics are pre-initialised with.
func TestOriginOutcomesLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range cache.OriginOutcomes {
		assert.Regexp(t, `^[a-z_]+$`, o)
		assert.False(t, seen[o], o)
		seen[o] = true
	}
	assert.Len(t, cache.OriginOutcomes, 17)
}

// docs/operations.md lists every family the collector has.
func TestMetricsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	require.NoError(t, err)
	h, _, _ := newTestHandler(t, nil)
	ch := make(chan *prometheus.Desc, 100)
	go func() { h.Collector().Describe(ch); close(ch) }()
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	n := 0
	for d := range ch {
		m := name.FindStringSubmatch(d.String())
		require.NotNil(t, m, d.String())
		assert.Contains(t, string(doc), "`"+m[1]+"`", "docs/operations.md does not list %s", m[1])
		n++
	}
	assert.Greater(t, n, 40)
}
