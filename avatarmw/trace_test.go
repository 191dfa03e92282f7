package avatarmw

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// newTracing returns a tracer provider that records every span in memory, and its exporter.
func newTracing(t testing.TB) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp, exp
}

// spanNames returns the names of the spans of one trace, counted.
func spanNames(spans tracetest.SpanStubs, id trace.TraceID) map[string]int {
	out := map[string]int{}
	for _, s := range spans {
		if s.SpanContext.TraceID() == id {
			out[s.Name]++
		}
	}
	return out
}

func attrOf(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value, true
		}
	}
	return attribute.Value{}, false
}

// One request, followed across two nodes: the node that got it asked the other for a value, and
// the other's spans are children of that ask, in the same trace, down to the network's lookup
// and download.
func TestTraceAcrossTwoNodes(t *testing.T) {
	fake := clusterFake(t)
	providers := make([]*sdktrace.TracerProvider, 2)
	exporters := make([]*tracetest.InMemoryExporter, 2)
	for i := range providers {
		providers[i], exporters[i] = newTracing(t)
	}
	nodes := newCluster(t, 2, newClusterName(), fake, func(i int, cfg *Config) { cfg.TracerProvider = providers[i] })
	client := clusterClient(t)

	// Cold requests at the first node, for avatars whose keys the two nodes share: some are the
	// second node's (2^-20 that none is).
	for _, a := range tenAvatars(t) {
		code, _, _, _, err := clusterGet(client, nodes[0].url+"/avatars/"+a.typ+"/c_thumb,g_face,h_60,w_60/"+a.id+".jpg")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
	}
	first, second := exporters[0].GetSpans(), exporters[1].GetSpans()

	// The asks of the first node, by span ID, and the requests, by trace.
	asks := map[trace.SpanID]tracetest.SpanStub{}
	requests := map[trace.TraceID]tracetest.SpanStub{}
	for _, s := range first {
		switch s.Name {
		case "avatarkit.peer.get":
			asks[s.SpanContext.SpanID()] = s
			assert.Equal(t, trace.SpanKindClient, s.SpanKind)
		case "avatarkit.request":
			requests[s.SpanContext.TraceID()] = s
		}
	}
	require.NotEmpty(t, asks, "the first node asked the second for something")
	require.Len(t, requests, 10, "one trace per request")

	served := 0
	for _, s := range second {
		if s.Name != "avatarkit.peer.serve" {
			continue
		}
		served++
		assert.Equal(t, trace.SpanKindServer, s.SpanKind)
		ask, ok := asks[s.Parent.SpanID()]
		require.True(t, ok, "a span of the second node's peer endpoint is the child of an ask of the first node")
		assert.Equal(t, ask.SpanContext.TraceID(), s.SpanContext.TraceID())
		assert.True(t, s.Parent.IsRemote())
		_, ok = requests[s.SpanContext.TraceID()]
		assert.True(t, ok, "and of a request the first node served")
	}
	require.Positive(t, served)

	// Each request's trace, both nodes together, holds the whole work of a cold request.
	all := append(append(tracetest.SpanStubs{}, first...), second...)
	for id, req := range requests {
		names := spanNames(all, id)
		typ, _ := attrOf(req, "avatarkit.type")
		fromNetwork := 0 // besides a load from the network, peeks for the last picture (revalidation)
		for _, s := range all {
			if v, _ := attrOf(s, "avatarkit.source"); s.SpanContext.TraceID() == id && s.Name == "avatarkit.load" && v.AsString() == "network" {
				fromNetwork++
			}
		}
		assert.Equal(t, 1, fromNetwork, "trace %s: one load from the network", id)
		for _, want := range []string{"avatarkit.request", "avatarkit.lookup", "avatarkit.download", "avatarkit.analysis", "avatarkit.transform"} {
			if want == "avatarkit.lookup" && typ.AsString() == "gravatar" {
				continue // Gravatar has no lookup: one download
			}
			assert.Equal(t, 1, names[want], "trace %s: %s in %v", id, want, names)
		}
		v, ok := attrOf(req, "http.response.status_code")
		assert.True(t, ok)
		assert.Equal(t, int64(200), v.AsInt64())
		v, _ = attrOf(req, "avatarkit.hit")
		assert.False(t, v.AsBool(), "a cold request")
	}
	for _, s := range all {
		if s.Name == "avatarkit.lookup" || s.Name == "avatarkit.download" {
			v, ok := attrOf(s, "url.full")
			assert.True(t, ok, s.Name)
			assert.NotContains(t, v.AsString(), "?", "no query, where a token may travel")
			assert.NotContains(t, v.AsString(), "access_token")
			assert.Equal(t, trace.SpanKindClient, s.SpanKind)
		}
	}

	// Again: no work, anywhere. The first node answers from its memory, or asks the owner, which
	// answers from its own.
	for _, e := range exporters {
		e.Reset()
	}
	for _, a := range tenAvatars(t) {
		code, _, _, _, err := clusterGet(client, nodes[0].url+"/avatars/"+a.typ+"/c_thumb,g_face,h_60,w_60/"+a.id+".jpg")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code)
	}
	for i, e := range exporters {
		for _, s := range e.GetSpans() {
			assert.Contains(t, []string{"avatarkit.request", "avatarkit.peer.get", "avatarkit.peer.serve"}, s.Name, "node %d", i)
		}
	}
}

// Without a TracerProvider the handler makes no span, even when the app traces its requests with
// a provider of its own: the providers do not see the app's span.
func TestNoTracingWithoutAProvider(t *testing.T) {
	tp, exp := newTracing(t)
	h, _, _ := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	ctx, span := tp.Tracer("app").Start(context.Background(), "app request")
	req := httptest.NewRequestWithContext(ctx, "GET", fmt.Sprintf("/avatars/facebook/c_fill,h_50,w_50/%s.jpg", u.ID), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	span.End()
	require.Equal(t, http.StatusOK, rec.Code)
	spans := exp.GetSpans()
	require.Len(t, spans, 1, "only the app's own span: %v", spans)
	assert.Equal(t, "app request", spans[0].Name)
}

// With a provider, the handler's span is the child of the app's.
func TestTraceUnderTheAppsSpan(t *testing.T) {
	tp, exp := newTracing(t)
	h, _, _ := newTestHandler(t, func(cfg *Config) { cfg.TracerProvider = tp })
	u := user(t, "gravatar", plain)
	ctx, span := tp.Tracer("app").Start(context.Background(), "app request")
	req := httptest.NewRequestWithContext(ctx, "GET", "/avatars/gravatar/"+u.ID+".jpg", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	span.End()
	require.Equal(t, http.StatusOK, rec.Code)
	byName := map[string]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		if v, _ := attrOf(s, "avatarkit.source"); s.Name == "avatarkit.load" && v.AsString() != "network" {
			continue // a peek for the last picture
		}
		byName[s.Name] = s
		assert.Equal(t, span.SpanContext().TraceID(), s.SpanContext.TraceID(), s.Name)
	}
	require.Contains(t, byName, "avatarkit.request")
	assert.Equal(t, span.SpanContext().SpanID(), byName["avatarkit.request"].Parent.SpanID())
	require.Contains(t, byName, "avatarkit.load")
	require.Contains(t, byName, "avatarkit.download")
	assert.Equal(t, byName["avatarkit.load"].SpanContext.SpanID(), byName["avatarkit.download"].Parent.SpanID())
	v, _ := attrOf(byName["avatarkit.load"], "avatarkit.source")
	assert.Equal(t, "network", v.AsString())
	v, _ = attrOf(byName["avatarkit.download"], "http.response.status_code")
	assert.Equal(t, int64(200), v.AsInt64())

	// A hit: the request's span, and nothing under it.
	exp.Reset()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/avatars/gravatar/"+u.ID+".jpg", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	spans := exp.GetSpans()
	require.Len(t, spans, 1, "%v", spans)
	assert.Equal(t, "avatarkit.request", spans[0].Name)
	v, _ = attrOf(spans[0], "avatarkit.hit")
	assert.True(t, v.AsBool())
}
