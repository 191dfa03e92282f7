package cache

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing (Config.TracerProvider). Spans are where the work is, never on a hit:
//
//	avatarkit.load        an original loaded on its owner: from the store (avatarkit.store.read)
//	                      or from the network (the provider's avatarkit.lookup and
//	                      avatarkit.download spans, made by package fetch)
//	avatarkit.analysis    the faces and detail of a picture
//	avatarkit.transform   a variant computed
//	avatarkit.peer.get    a value asked of its owner (a client span); the owner's side is
//	avatarkit.peer.serve  (a server span), under which its loads are
//
// The trace context travels on the peer requests in the W3C traceparent and tracestate headers,
// which the peers' signature does not cover: changing them can only mislabel a trace.
// Without a TracerProvider no span is made, and the loads hide the app's own span, if the
// request had one, from the providers: fetch traces with the tracer of the span it is given.

// The names of the spans, and of the instrumentation scope that makes them.
const (
	tracerName    = "github.com/avatarkit/avatarkit/cache"
	spanLoad      = "avatarkit.load"
	spanStoreRead = "avatarkit.store.read"
	spanAnalysis  = "avatarkit.analysis"
	spanTransform = "avatarkit.transform"
	spanPeerGet   = "avatarkit.peer.get"
	spanPeerServe = "avatarkit.peer.serve"
)

// Attributes of the spans.
const (
	attrType           = "avatarkit.type"
	attrKey            = "avatarkit.key"
	attrGroup          = "avatarkit.group"
	attrOutcome        = "avatarkit.outcome"
	attrSource         = "avatarkit.source"
	attrBytes          = "avatarkit.bytes"
	attrTransformation = "avatarkit.transformation"
	attrFormat         = "avatarkit.format"
	attrWorkWait       = "avatarkit.work_wait_seconds"
	attrPeer           = "server.address"
)

// propagator carries the trace context on peer requests.
var propagator = propagation.TraceContext{}

// noSpan is the span of work that is not traced; a context carrying it hides any span of the
// app's from the providers.
var noSpan = trace.SpanFromContext(context.Background())

// startSpan starts a span when the cache traces; otherwise it returns ctx, or with hide a
// context whose span is none, and a span that does nothing.
func (c *Cache) startSpan(ctx context.Context, name string, kind trace.SpanKind, hide bool, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if c.tracer == nil {
		if hide {
			ctx = trace.ContextWithSpan(ctx, noSpan)
		}
		return ctx, noSpan
	}
	return c.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endSpan ends span, with err as its status when there is one.
func endSpan(span trace.Span, err error, attrs ...attribute.KeyValue) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attrs...)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// spanError sets err as the status of span.
func spanError(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, err.Error())
	}
}

// injectTrace writes the trace context of ctx into the headers of a peer request.
func injectTrace(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// serveSpan starts the span of a peer request this node serves, a child of the asking node's.
func (c *Cache) serveSpan(r *http.Request, group, key string) (context.Context, trace.Span) {
	if c.tracer == nil {
		return r.Context(), noSpan
	}
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	return c.tracer.Start(ctx, spanPeerServe, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String(attrGroup, group), attribute.String(attrKey, key)))
}
