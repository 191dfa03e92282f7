package imageops

import (
	"bytes"
	"image"
	"image/draw"
	"sync"
	"sync/atomic"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/webp"
)

// The lossy WebP and the AVIF encoders are libwebp 1.4 and libavif 1.1 with libaom 3.10,
// compiled to WebAssembly and run by wazero, a WebAssembly runtime in pure Go (through
// github.com/gen2brain/webp and github.com/gen2brain/avif): no cgo, and a bug in the C code
// cannot touch Go's memory.
//
// Each module is compiled to machine code once per process, on first use or by [WarmUp]
// (WebP about 0.3 s of CPU, AVIF about 1.7 s, and a transient 35 / 90 MiB of Go heap while
// compiling; the compiled code then stays, about 5 / 15 MiB of RSS). Every encode then runs
// in a fresh instance of the module that is closed when it returns: the instance's linear
// memory is an ordinary Go byte slice that the garbage collector takes back, so nothing is
// held between encodes. (Pooling instances would save about 1 ms per WebP encode and 6 ms
// per AVIF encode, but a WebAssembly memory never shrinks: each pooled instance would hold
// the largest memory it ever needed, hundreds of MiB after one large AVIF.)
//
// The packages use a shared libwebp or libavif of the system instead when the binary is
// dynamically linked and one is installed under its development name (libwebp.so,
// libavif.so); build with -tags nodynamic to always use the WebAssembly modules.

var (
	webpOnce, avifOnce   sync.Once
	webpReady, avifReady atomic.Bool // compiled
)

// WarmUp compiles the WebAssembly encoders of the given formats now (WebP and AVIF; others are
// ignored), so that the first request that needs one does not pay for it: about 0.3 s of CPU
// for WebP and 1.7 s for AVIF. It returns when they are ready; call it in a goroutine at
// start-up. Without it each is compiled by the first encode that needs it. Safe for
// concurrent use; compiling happens once per process.
func WarmUp(formats ...Format) {
	for _, f := range formats {
		switch f {
		case WebP:
			initWebP()
		case AVIF:
			initAVIF()
		}
	}
}

func initWebP() {
	webpOnce.Do(func() {
		webp.Init()
		webpReady.Store(true)
	})
}

func initAVIF() {
	avifOnce.Do(func() {
		avif.InitEncoder()
		avifReady.Store(true)
	})
}

// encoderReady reports whether f's encoder needs no start-up work any more.
func encoderReady(f Format) bool {
	switch f {
	case WebP:
		return webpReady.Load()
	case AVIF:
		return avifReady.Load()
	}
	return true
}

// webpEncode writes img as WebP: lossy at quality (libwebp's scale, 1–100) or lossless, with
// effort method (0 fastest – 6 slowest).
func webpEncode(buf *bytes.Buffer, img image.Image, quality, method int, lossless bool) error {
	initWebP()
	return webp.Encode(buf, straightRGBA(img), webp.Options{Quality: quality, Method: method, Lossless: lossless})
}

// avifAlphaQuality is libavif's quality for the alpha plane: at 95 no alpha value is more than
// 5/255 off (invisible on an anti-aliased edge), and a 200² circle costs 1.4 kB less than
// lossless alpha, which would make AVIF larger than lossy WebP (whose alpha is lossless but
// cheaper) on smooth pictures.
const avifAlphaQuality = 95

// avifEncode writes img as lossy AVIF, 4:2:0, at quality (libavif's scale, 1–99) and speed
// (0 slowest – 10 fastest). Alpha, when img has any, is kept nearly losslessly
// (avifAlphaQuality).
func avifEncode(buf *bytes.Buffer, img image.Image, quality, speed int) error {
	initAVIF()
	return avif.Encode(buf, premultipliedRGBA(img), avif.Options{
		Quality: quality, QualityAlpha: avifAlphaQuality, Speed: speed,
		ChromaSubsampling: image.YCbCrSubsampleRatio420,
	})
}

// straightRGBA returns img as what gen2brain/webp reads directly: a *image.NRGBA (or an opaque
// *image.RGBA, the same bytes) whose pixels start at its first byte, rows back to back.
func straightRGBA(img image.Image) image.Image {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.NRGBA:
		if m.Rect.Min == (image.Point{}) && m.Stride == 4*b.Dx() {
			return m
		}
	case *image.RGBA:
		if m.Rect.Min == (image.Point{}) && m.Stride == 4*b.Dx() && m.Opaque() {
			return m
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// premultipliedRGBA returns img as a *image.RGBA whose pixels start at its first byte, rows
// back to back (what gen2brain/avif hands to libavif, as premultiplied RGBA).
func premultipliedRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) && m.Stride == 4*b.Dx() {
		return m
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}
