package imageops

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// encodeCases are the encodings encodeCost describes: each output format at its settings.
var encodeCases = []struct {
	name string
	e    encoding
}{
	{"jpeg", encoding{format: JPEG}},
	{"png", encoding{format: PNG}},
	{"gif", encoding{format: GIF}},
	{"webp-lossy", encoding{format: WebP}},
	{"webp-lossy-fast", encoding{format: WebP, fast: true}},
	{"webp-lossless", encoding{format: WebP, lossless: true}},
	{"avif", encoding{format: AVIF}},
	{"avif-fast", encoding{format: AVIF, fast: true}},
}

// BenchmarkEncode: every encoder on a photo-like picture at 200², 512², 1024² and 2048² (the
// result of a resize, as Transform hands it over), at the default quality (JPEG 82 and its
// equivalents) and at q_100 (the dearest: libwebp's CPU grows with its quality). It reports the
// CPU of the process per encode (the wasm encoders run on the calling goroutine), the output's
// bytes and the peak Go heap above what was live before (for the wasm encoders, mostly the
// module's linear memory), the figures encodecost.go is made of. Run with -cpu=1
// -benchtime=3x; 2048² AVIF and lossless WebP take seconds per encode.
func BenchmarkEncode(b *testing.B) {
	WarmUp(WebP, AVIF)
	for _, n := range []int{200, 512, 1024, 2048} {
		img := photoImage(n)
		for _, c := range encodeCases {
			for _, q := range []Quality{0, 100} {
				if q != 0 && !c.e.isLossy() {
					continue
				}
				name := fmt.Sprintf("%s/%d", c.name, n)
				if q != 0 {
					name += "/q100"
				}
				b.Run(name, func(b *testing.B) {
					e := c.e
					e.quality = q
					var out []byte
					cpu0 := processCPU()
					peak := heapPeak(func() {
						for range b.N {
							var err error
							if out, err = encode(img, e); err != nil {
								b.Fatal(err)
							}
						}
					})
					b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(len(out)), "out-bytes")
					b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				})
			}
		}
	}
}

// heapPeak runs f and returns the largest Go heap (objects in use, runtime/metrics) seen
// during it above the heap before it, sampled every millisecond.
func heapPeak(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// BenchmarkEncodeConcurrent: k encodes at once (k = 1, 2, 4, 8) of a 512² AVIF and of a 1024²
// lossy WebP, each in its own module instance. peak-heap-MiB is the Go heap's peak above the
// heap before (the instances' linear memories add up: it grows with k), held-MiB what is left
// after the encodes and a GC (nothing: instances are not pooled).
func BenchmarkEncodeConcurrent(b *testing.B) {
	WarmUp(WebP, AVIF)
	for _, c := range []struct {
		name string
		n    int
		e    encoding
	}{{"avif-512", 512, encoding{format: AVIF}}, {"webp-1024", 1024, encoding{format: WebP}}} {
		img := photoImage(c.n)
		for _, k := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%s/%d", c.name, k), func(b *testing.B) {
				runtime.GC()
				before := heapObjects()
				peak := heapPeak(func() {
					for range b.N {
						var wg sync.WaitGroup
						for range k {
							wg.Go(func() {
								if _, err := encode(img, c.e); err != nil {
									b.Error(err)
								}
							})
						}
						wg.Wait()
					}
				})
				runtime.GC()
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(max(heapObjects(), before)-before)/(1<<20), "held-MiB")
			})
		}
	}
}

// heapObjects returns the bytes of live and unswept heap objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
