package avatarmw

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// BenchmarkCacheHit compares a cache hit through the whole handler (parse, check, groupcache,
// headers) with a plain handler that writes the same bytes from memory: once over real loopback
// HTTP connections, which is what a server spends per request, and once handler-only, which shows
// what avatarkit itself adds; and the same hit with the handler's Prometheus metrics on (its
// collector registered and scraped meanwhile). Results and the command are in BENCHMARKS.md.
func BenchmarkCacheHit(b *testing.B) {
	h, _, _ := newTestHandler(b, nil)
	u := user(b, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_90,w_90/" + u.ID + ".jpg"

	// The same handler with metrics: its collector registered, and scraped while it serves.
	hm, _, _ := newTestHandler(b, nil)
	reg := prometheus.NewRegistry()
	reg.MustRegister(hm.Collector())
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				reg.Gather() //nolint:errcheck // a scrape, for its cost only
			}
		}
	}()

	// Warm the caches and take the bytes the plain handler will serve.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	require.Equal(b, http.StatusOK, rec.Code)
	recm := httptest.NewRecorder()
	hm.ServeHTTP(recm, httptest.NewRequest("GET", path, nil))
	require.Equal(b, http.StatusOK, recm.Code)
	require.Equal(b, rec.Body.Bytes(), recm.Body.Bytes())
	body, etag, cc := rec.Body.Bytes(), rec.Header().Get("ETag"), rec.Header().Get("Cache-Control")
	// The plain handler sends the same response, headers included: what avatarkit adds is the
	// work of finding it.
	plainHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Type", "image/jpeg")
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
		hdr.Set("ETag", etag)
		hdr.Set("Cache-Control", cc)
		hdr.Set("X-Content-Type-Options", "nosniff")
		w.Write(body)
	})

	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"plain", plainHandler}, {"avatarkit", h}, {"avatarkit+metrics", hm}} {
		b.Run("http/"+c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(srv.URL + path)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Fatal(res.Status)
					}
				}
			})
		})
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"plain", plainHandler}, {"avatarkit", h}, {"avatarkit+metrics", hm}} {
		b.Run("handler/"+c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			w := &discardWriter{hdr: http.Header{}}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			for range b.N {
				clear(w.hdr)
				w.code = 0
				c.h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatal(w.code)
				}
			}
		})
	}
}

// reportCPU starts counting the processor time of the process, and returns the function that
// reports it per operation as cpu-ns/op: on a shared machine, other processes take wall time from
// a benchmark but not processor time, which makes comparisons steadier.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; used > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops the body, so the handler
// benchmark measures the handler and not a recorder's buffer.
type discardWriter struct {
	hdr  http.Header
	code int
}

func (w *discardWriter) Header() http.Header  { return w.hdr }
func (w *discardWriter) WriteHeader(code int) { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

// WriteString is net/http's too: a cached body is a string, written without a copy.
func (w *discardWriter) WriteString(s string) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(s), nil
}
