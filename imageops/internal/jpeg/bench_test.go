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
//	go test -run='^$' -bench=Decode -benchmem -count=6 ./imageops/internal/jpeg
//
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
				for b.Loop() {
					if _, err := stdjpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, s := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("%d/%s/scale%d", n, mode, s), func(b *testing.B) {
					data := benchFile(b, n, progressive)
					b.ReportAllocs()
					b.SetBytes(int64(n * n))
					for b.Loop() {
						if _, err := Decode(bytes.NewReader(data), s); err != nil {
							b.Fatal(err)
						}
					}
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
			for b.Loop() {
				img, err := stdjpeg.Decode(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				resize.Resize(img, 200, 200)
			}
		})
		b.Run(fmt.Sprintf("%d/scaled", n), func(b *testing.B) {
			data := benchFile(b, n, false)
			b.ReportAllocs()
			for b.Loop() {
				cfg, err := DecodeConfig(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				img, err := Decode(bytes.NewReader(data), ScaleFor(cfg, 200, 200))
				if err != nil {
					b.Fatal(err)
				}
				resize.Resize(img, 200, 200)
			}
		})
	}
}
