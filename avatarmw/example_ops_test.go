package avatarmw_test

import (
	"log"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/avatarkit/avatarkit/avatarmw"
)

// Running avatarkit in production: metrics on the app's own registry, the probes, profiles on the
// app's own mux, and traces through the app's tracer provider. docs/operations.md shows this
// function as a whole program (TestDocsShowCheckedCode keeps the two in step).
func ExampleHandler_Collector() {
	// The app's tracer provider, with the exporter of its choice (OTLP, Jaeger…).
	tracing := sdktrace.NewTracerProvider()
	avatars, err := avatarmw.New(avatarmw.Config{TracerProvider: tracing})
	if err != nil {
		log.Fatal(err)
	}

	reg := prometheus.NewRegistry() // the app's own, never prometheus.DefaultRegisterer
	reg.MustRegister(avatars.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	mux.Handle("/avatars/", avatars)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {}) // the process serves
	mux.Handle("GET /readyz", avatars.ReadyHandler())                               // peers, store, start
	mux.HandleFunc("/debug/pprof/", pprof.Index)                                    // on the app's mux
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	admin, err := avatars.AdminHandler("/admin/avatars/", "a-random-token-of-16-bytes-or-more")
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("/admin/avatars/", admin) // forced refreshes, and the avatars held
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", avatars.Front(mux)))
}
