package resize

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"runtime"
	"testing"

	"github.com/disintegration/imaging"
	xdraw "golang.org/x/image/draw"
)

// The benchmarks resize the photo-like test image as image/jpeg decodes it (*image.YCbCr, 4:2:0):
//
//	go test -run='^$' -bench=. -benchmem -count=6 ./imageops/internal/resize
//
// imaging fans out to GOMAXPROCS goroutines; add -cpu=1 to compare single-core costs.

func benchResizers(b *testing.B, src image.Image, w, h int) {
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			Resize(src, w, h)
		}
	})
	b.Run("imaging-Lanczos", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			imaging.Resize(src, w, h, imaging.Lanczos)
		}
	})
	b.Run("xdraw-CatmullRom", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
		}
	})
}

func BenchmarkResize1024To200(b *testing.B) { benchResizers(b, photoJPEG(b, 1024), 200, 200) }
func BenchmarkResize2048To200(b *testing.B) { benchResizers(b, photoJPEG(b, 2048), 200, 200) }

func BenchmarkResizeUp100To400(b *testing.B) {
	small := Resize(photoJPEG(b, 1024), 100, 100) // an *image.RGBA, like a small PNG avatar
	b.Run("rgba", func(b *testing.B) { benchResizers(b, small, 400, 400) })
	b.Run("ycbcr", func(b *testing.B) { benchResizers(b, viaJPEG(b, small), 400, 400) })
}

// BenchmarkPipeline is the cold transform of the issue: decode a 1024² JPEG, fill 200×200, encode
// a JPEG (quality 82). The source is square, so filling is resizing.
func BenchmarkPipeline(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoJPEG(b, 1024), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	run := func(b *testing.B, fill func(image.Image) image.Image) {
		b.ReportAllocs()
		for range b.N {
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if err := jpeg.Encode(io.Discard, fill(img), &jpeg.Options{Quality: 82}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("ours", func(b *testing.B) {
		run(b, func(img image.Image) image.Image { return Resize(img, 200, 200) })
	})
	b.Run("imaging-Fill-Lanczos", func(b *testing.B) {
		run(b, func(img image.Image) image.Image {
			return imaging.Fill(img, 200, 200, imaging.Center, imaging.Lanczos)
		})
	})
	b.Run("decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStreaming compares the streaming resizer with the one it replaced (oracle_test.go),
// in one run, on one core. Besides wall time it reports the processor time of the benchmark's
// thread (cpu-ns/op), which waiting for a core on a busy machine does not inflate:
//
//	go test -run='^$' -bench=Streaming -benchmem -count=6 -cpu=1 ./imageops/internal/resize > s.txt
//	benchstat -col /impl s.txt
func BenchmarkStreaming(b *testing.B) {
	for _, c := range streamingCases {
		for _, s := range c.sources(b) {
			for _, impl := range []struct {
				name string
				f    func(image.Image, int, int) *image.RGBA
			}{{"old", oracleResize}, {"new", Resize}} {
				b.Run(c.name+"/"+s.kind+"/impl="+impl.name, func(b *testing.B) {
					b.ReportAllocs()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					t0 := threadCPU()
					for range b.N {
						impl.f(s.img, c.w, c.w)
					}
					b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "cpu-ns/op")
				})
			}
		}
	}
}

// streamingCases are the cases BenchmarkStreaming and TestCompareOldNew time.
var streamingCases = []streamingCase{
	{"1024To200", 1024, 200, 0},
	{"2048To200", 2048, 200, 0},
	{"2048To1024", 2048, 1024, 0},
	{"100To400", 1024, 400, 100},
}

type streamingCase struct {
	name   string
	n      int // source side (the photo, as a JPEG decodes it)
	w      int // output side
	upFrom int // for enlargements: the source is the photo reduced to this side first
}

type streamingSource struct {
	kind string
	img  image.Image
}

// sources returns the case's source as image/jpeg decodes it (YCbCr 4:2:0) and as RGBA.
func (c streamingCase) sources(t testing.TB) []streamingSource {
	var ycc *image.YCbCr
	if c.upFrom > 0 {
		ycc = viaJPEG(t, Resize(photoJPEG(t, c.n), c.upFrom, c.upFrom))
	} else {
		ycc = photoJPEG(t, c.n)
	}
	return []streamingSource{{"rgba", toRGBA(ycc)}, {"ycbcr", ycc}}
}
