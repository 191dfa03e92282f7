package jpeg

import (
	"bytes"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"sync"
	"testing"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// The benchmarks decode photo-like n×n JPEGs (n = 1024, 2048) at every scale, against
// image/jpeg.Decode:
//
//	go test -run='^$' -bench=Decode -benchmem -count=6 -cpu=1 ./imageops/internal/jpeg
//
// Besides the wall time they report the process's CPU time per decode (cpu-ns/op, on Linux),
// which a machine busy with other work does not inflate.
// "baseline" is a quality-90 4:2:0 file written by image/jpeg (as the imageops benchmarks use);
// "progressive" is the same picture as a quality-90 4:2:0 progressive file with libjpeg's default
// scan script and optimal Huffman tables, as cjpeg -progressive writes it (encoder_test.go).

var benchFiles sync.Map // "n/mode" → []byte

func benchFile(b *testing.B, n int, progressive bool) []byte {
	key := fmt.Sprint(n, progressive)
	if v, ok := benchFiles.Load(key); ok {
		return v.([]byte)
	}
	p := photoPlanes(n, n, 1)
	var data []byte
	if progressive {
		k := kind{space: YCbCr, sampling: []Sampling{s22, s11, s11}, progressive: true}
		data = generateFrom(k, n, n, 90, p)
	} else {
		m := image.NewRGBA(image.Rect(0, 0, n, n))
		for i := range n * n {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = p[0][i], p[1][i], p[2][i], 255
		}
		var buf bytes.Buffer
		if err := stdjpeg.Encode(&buf, m, &stdjpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		data = buf.Bytes()
	}
	benchFiles.Store(key, data)
	return data
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		for _, progressive := range []bool{false, true} {
			mode := "baseline"
			if progressive {
				mode = "progressive"
			}
			b.Run(fmt.Sprintf("%d/%s/stdlib", n, mode), func(b *testing.B) {
				data := benchFile(b, n, progressive)
				b.ReportAllocs()
				b.SetBytes(int64(n * n))
				reportCPU(b, func() {
					if _, err := stdjpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				})
			})
			for _, s := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("%d/%s/scale%d", n, mode, s), func(b *testing.B) {
					data := benchFile(b, n, progressive)
					b.ReportAllocs()
					b.SetBytes(int64(n * n))
					reportCPU(b, func() {
						if _, err := Decode(bytes.NewReader(data), s); err != nil {
							b.Fatal(err)
						}
					})
				})
			}
		}
	}
}

// BenchmarkThumbnail is the decode and resize of a cold thumbnail, without the encoding: an n×n
// baseline photo to 200×200, through image/jpeg at full size ("stdlib") or through Decode at the
// largest scale that keeps at least 200×200 pixels ("scaled"), then imageops' resizer:
//
//	go test -run='^$' -bench=Thumbnail -benchmem -count=6 -cpu=1 ./imageops/internal/jpeg
func BenchmarkThumbnail(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		b.Run(fmt.Sprintf("%d/stdlib", n), func(b *testing.B) {
			data := benchFile(b, n, false)
			b.ReportAllocs()
			reportCPU(b, func() {
				img, err := stdjpeg.Decode(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				resize.Resize(img, 200, 200)
			})
		})
		b.Run(fmt.Sprintf("%d/scaled", n), func(b *testing.B) {
			data := benchFile(b, n, false)
			b.ReportAllocs()
			reportCPU(b, func() {
				cfg, err := DecodeConfig(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				img, err := Decode(bytes.NewReader(data), ScaleFor(cfg, 200, 200))
				if err != nil {
					b.Fatal(err)
				}
				resize.Resize(img, 200, 200)
			})
		})
	}
}

// manyScans returns an n×n flat gray progressive file followed by extra AC refinement scans of
// its (empty) blocks, scans in all: the cheapest file, per byte, in CPU per scan.
func manyScans(n, scans int) []byte {
	flat := [3][]byte{make([]byte, n*n), make([]byte, n*n), make([]byte, n*n)}
	for i := range flat {
		for j := range flat[i] {
			flat[i][j] = 128
		}
	}
	data := generateFrom(kind{space: Gray, sampling: []Sampling{s11}, progressive: true}, n, n, 90, flat)
	data = data[:len(data)-2] // EOI
	blocks := ((n + 7) / 8) * ((n + 7) / 8)
	// One AC table whose only code, "0", is an EOB run of 2¹⁴ to 2¹⁵-1 blocks.
	dht := []byte{0xff, dhtMarker, 0, 20, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0}
	data = append(data, dht...)
	for range scans - progressiveScans(data) {
		data = append(data, 0xff, sosMarker, 0, 8, 1, 1, 0x00, 1, 63, 0x10)
		var w bitWriter
		for left := blocks; left > 0; {
			run := min(left, 0x7fff)
			if left > run && left-run < 1<<14 {
				run = left - 1<<14 // leave a run the table can code
			}
			if run < 1<<14 {
				panic("the table has only runs of 2¹⁴ blocks or more")
			}
			w.emit(0, 1)
			w.emit(uint32(run-1<<14), 14)
			left -= run
		}
		w.flush()
		data = append(data, w.buf...)
	}
	return append(data, 0xff, eoiMarker)
}

// progressiveScans counts the SOS markers of a file written by the test encoder.
func progressiveScans(data []byte) int {
	return bytes.Count(data, []byte{0xff, sosMarker})
}

// BenchmarkManyScans decodes a 2048² flat gray progressive file of 500 scans (the most Decode
// accepts), 494 of them refinements of empty blocks: about 14 bytes a scan, each visiting the
// 65,536 blocks.
func BenchmarkManyScans(b *testing.B) {
	data := manyScans(2048, maxScans)
	for _, s := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("scale%d", s), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			reportCPU(b, func() {
				if _, err := Decode(bytes.NewReader(data), s); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
