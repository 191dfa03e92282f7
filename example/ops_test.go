package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// metricsOf reads the example's /metrics with Prometheus's text parser.
func metricsOf(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res := get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, res.code)
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(res.body))
	require.NoError(t, err)
	return fams
}

// value returns the value of a counter or gauge, or the count of a histogram, of the first series
// of family name with the labels given (pairs); -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
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

// The operator's routes of the demo: /metrics with every family from the start and counters that
// move, /healthz, /readyz, and no profiles without -pprof.
func TestDemoOperations(t *testing.T) {
	base := startDemo(t)
	fams := metricsOf(t, base)
	for _, name := range []string{
		"avatarkit_requests_total", "avatarkit_request_duration_seconds", "avatarkit_origin_fetches_total",
		"avatarkit_transforms_total", "avatarkit_transform_duration_seconds", "avatarkit_cache_bytes",
		"avatarkit_peer_requests_total", "avatarkit_shed_total",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		assert.Contains(t, fams, name)
	}
	assert.Equal(t, dto.MetricType_GAUGE, fams["avatarkit_cache_bytes"].GetType())
	assert.Equal(t, dto.MetricType_HISTOGRAM, fams["avatarkit_request_duration_seconds"].GetType())
	before200 := value(fams, "avatarkit_requests_total", "code", "200")
	beforeFetches := value(fams, "avatarkit_origin_fetches_total", "provider", "gravatar", "outcome", "picture")
	beforeHits := value(fams, "avatarkit_request_duration_seconds", "cache", "hit")

	var id string
	for _, u := range fetchtest.Users {
		if u.Network == fetchtest.Gravatar && !u.NoPicture && !u.Default {
			id = u.ID
			break
		}
	}
	require.NotEmpty(t, id)
	for range 3 {
		require.Equal(t, http.StatusOK, get(t, base+"/avatars/gravatar/c_fill,h_30,w_30/"+id+".png").code)
	}
	fams = metricsOf(t, base)
	assert.Equal(t, before200+3, value(fams, "avatarkit_requests_total", "code", "200"))
	assert.Equal(t, beforeFetches+1, value(fams, "avatarkit_origin_fetches_total", "provider", "gravatar", "outcome", "picture"))
	assert.GreaterOrEqual(t, value(fams, "avatarkit_request_duration_seconds", "cache", "hit"), beforeHits+1)
	assert.Positive(t, value(fams, "avatarkit_transforms_total"))
	assert.Positive(t, value(fams, "avatarkit_transform_duration_seconds"))
	assert.Positive(t, value(fams, "avatarkit_cache_bytes", "group", "originals"))

	res := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, res.code)
	res = get(t, base+"/readyz")
	assert.Equal(t, http.StatusOK, res.code)
	assert.Equal(t, "ready\n", string(res.body))
	assert.Equal(t, http.StatusNotFound, get(t, base+"/debug/pprof/").code, "no profiles without -pprof")
	assert.Equal(t, http.StatusNotFound, get(t, base+"/admin/").code, "no admin page without -admin-token")
}

func TestDemoPprof(t *testing.T) {
	base := startDemo(t, "-pprof")
	res := get(t, base+"/debug/pprof/")
	assert.Equal(t, http.StatusOK, res.code)
	assert.Contains(t, string(res.body), "goroutine")
	res = get(t, base+"/debug/pprof/heap?debug=1")
	assert.Equal(t, http.StatusOK, res.code)
	assert.Contains(t, string(res.body), "heap profile")
	res = get(t, base+"/debug/pprof/cmdline")
	assert.Equal(t, http.StatusOK, res.code)
}

// The admin listing and page: what was fetched is listed, with its thumbnail; the page is served
// with a policy that lets it load nothing but its own files and the thumbnails.
func TestDemoAdminListing(t *testing.T) {
	const token = "admin-token-0123456789"
	base := startDemo(t, "-admin-token", token)
	var id string
	for _, u := range fetchtest.Users {
		if u.Network == fetchtest.Facebook && !u.NoPicture && !u.Default {
			id = u.ID
			break
		}
	}
	require.Equal(t, http.StatusOK, get(t, base+"/avatars/facebook/c_fill,h_40,w_40/"+id+".jpg").code)

	res := get(t, base+"/admin/avatars/")
	assert.Equal(t, http.StatusUnauthorized, res.code)
	res = getWith(t, base+"/admin/avatars/?type=facebook", "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, res.code, "%s", res.body)
	var page struct {
		Total   int `json:"total"`
		Avatars []struct {
			Type, ID, Outcome, Thumbnail string
			Variants                     []struct{ Transformation string }
		} `json:"avatars"`
	}
	require.NoError(t, json.Unmarshal(res.body, &page))
	found := false
	for _, a := range page.Avatars {
		if a.ID != id {
			continue
		}
		found = true
		assert.Equal(t, "picture", a.Outcome)
		require.NotEmpty(t, a.Thumbnail)
		assert.Equal(t, http.StatusOK, get(t, base+a.Thumbnail).code)
		var trs []string
		for _, v := range a.Variants {
			trs = append(trs, v.Transformation)
		}
		assert.Contains(t, trs, "c_fill,h_40,w_40")
	}
	assert.True(t, found, "the avatar fetched is listed: %s", res.body)

	for path, ct := range map[string]string{"/admin/": "text/html", "/admin/admin.js": "text/javascript", "/admin/admin.css": "text/css"} {
		res := get(t, base+path)
		require.Equal(t, http.StatusOK, res.code, path)
		assert.True(t, strings.HasPrefix(res.ctype, ct), "%s: %s", path, res.ctype)
		assert.Contains(t, res.hdr.Get("Content-Security-Policy"), "default-src 'none'", path)
	}
	assert.Contains(t, string(get(t, base+"/admin/").body), `src="/admin/admin.js"`)
}
