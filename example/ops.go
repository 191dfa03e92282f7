package main

import (
	_ "embed"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatarkit/avatarkit/avatarmw"
)

// The routes an operator uses: /metrics, /healthz, /readyz, the admin page (with -admin-token)
// and, with -pprof, the profiles under /debug/pprof/. All of them are on the app's own mux.

// newRegistry returns the app's Prometheus registry: the handler's collector, and the Go
// runtime's and the process's (resident memory, CPU), on a registry of the app's own.
func newRegistry(avatars *avatarmw.Handler) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		avatars.Collector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// mountOps mounts the operators' routes on mux.
func mountOps(mux *http.ServeMux, avatars *avatarmw.Handler, o options) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(newRegistry(avatars), promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n")) //nolint:errcheck // the prober went away
	})
	mux.Handle("GET /readyz", avatars.ReadyHandler())
	if o.adminToken != "" {
		mux.HandleFunc("GET /admin/{$}", serveAsset("text/html; charset=utf-8", adminHTML))
		mux.HandleFunc("GET /admin/admin.js", serveAsset("text/javascript; charset=utf-8", adminJS))
		mux.HandleFunc("GET /admin/admin.css", serveAsset("text/css; charset=utf-8", adminCSS))
	}
	if o.pprof {
		// net/http/pprof's handlers, on the app's mux: importing the package also registers them
		// on http.DefaultServeMux, which this app never serves.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
}

//go:embed admin.html
var adminHTML string

//go:embed admin.js
var adminJS string

//go:embed admin.css
var adminCSS string

// adminCSP lets the admin page load its own script, style and the thumbnails, and nothing else.
const adminCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// serveAsset serves one file of the admin page.
func serveAsset(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", adminCSP)
		h.Set("Referrer-Policy", "no-referrer")
		w.Write([]byte(body)) //nolint:errcheck // the client went away
	}
}
