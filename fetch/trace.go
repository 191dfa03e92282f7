package fetch

import (
	"context"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Tracing. fetch has no tracer of its own: a lookup (Client.API) or a download (Client.Picture)
// is a span of the tracer whose span the context carries, the cache's load of the original when
// the app traces avatarkit, so that a slow avatar shows where its time went, and an app that
// does not trace pays nothing. A Provider of the app's own can do the same with
// trace.SpanFromContext(ctx).TracerProvider().

// The names of the spans and of the instrumentation scope that makes them, and their attributes.
const (
	spanLookup   = "avatarkit.lookup"
	spanDownload = "avatarkit.download"
	tracerName   = "github.com/avatarkit/avatarkit/fetch"
	attrBytes    = "avatarkit.bytes"
	attrStatus   = "http.response.status_code"
	attrServer   = "server.address"
	attrURL      = "url.full"
	attrMethod   = "http.request.method"
)

// startSpan starts the span of one origin call to rawURL, a child of the span ctx carries when
// that one records; otherwise it returns ctx and a span that does nothing.
func startSpan(ctx context.Context, name, rawURL string) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noSpan
	}
	attrs := []attribute.KeyValue{attribute.String(attrMethod, "GET")}
	if u, err := url.Parse(rawURL); err == nil {
		// Without the query, where a token may travel (Graph's access_token).
		attrs = append(attrs, attribute.String(attrURL, redactURL(u)), attribute.String(attrServer, u.Hostname()))
	}
	return parent.TracerProvider().Tracer(tracerName).Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// noSpan is the span of calls that are not traced.
var noSpan = trace.SpanFromContext(context.Background())

// endSpan ends the span of one origin call: its answer's status and size, or its error (whose
// message is public: it holds no secret).
func endSpan(span trace.Span, status, size int, err error) {
	if !span.IsRecording() {
		return
	}
	if status != 0 {
		span.SetAttributes(attribute.Int(attrStatus, status))
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Int(attrBytes, size))
	}
	span.End()
}

// statusOf is the status of a result, for its span; 0 when there is none.
func statusOf(r *result) int {
	if r == nil {
		return 0
	}
	return r.status
}
