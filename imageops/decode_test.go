package imageops

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/HugoSmits86/nativewebp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngHeaderOnly returns a PNG that claims w×h RGBA pixels but holds only a few KB of data.
func pngHeaderOnly(t testing.TB, w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		_ = binary.Write(&buf, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, err := zw.Write(make([]byte, 64<<10))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

// allocatedBy returns the bytes allocated while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestSourcePixelLimitBeforeDecoding(t *testing.T) {
	ctx := context.Background()
	bomb := pngHeaderOnly(t, 30000, 30000)
	require.Less(t, len(bomb), 4096)
	var err error
	start := time.Now()
	alloc := allocatedBy(func() { _, err = Transform(ctx, bomb, mustChain(t, "c_fill,w_100,h_100"), JPEG, Limits{}) })
	e := requireKind(t, err, KindSourceLimit, "")
	assert.Contains(t, e.Msg, "30000×30000")
	assert.Less(t, alloc, uint64(256<<10), "refused without allocating the image")
	assert.Less(t, time.Since(start), time.Second)

	// A JPEG whose frame header claims 60000×60000.
	jpg := jpegBytes(t, image.NewGray(image.Rect(0, 0, 8, 8)), 80)
	i := bytes.Index(jpg, []byte{0xFF, 0xC0})
	require.Positive(t, i)
	binary.BigEndian.PutUint16(jpg[i+5:], 60000)
	binary.BigEndian.PutUint16(jpg[i+7:], 60000)
	alloc = allocatedBy(func() { _, err = Transform(ctx, jpg, mustChain(t, "w_10"), JPEG, Limits{}) })
	requireKind(t, err, KindSourceLimit, "")
	assert.Less(t, alloc, uint64(256<<10))

	// Under the pixel limit but over the output limit: also refused before decoding.
	wide := pngHeaderOnly(t, 30000, 1000)
	alloc = allocatedBy(func() { _, err = Transform(ctx, wide, Chain{}, PNG, Limits{}) })
	requireKind(t, err, KindOutputLimit, "")
	assert.Less(t, alloc, uint64(256<<10))

	// A custom pixel limit.
	src := pngBytes(t, quadImage(100, 100))
	_, err = Transform(ctx, src, Chain{}, PNG, Limits{MaxSourcePixels: 9999})
	requireKind(t, err, KindSourceLimit, "")
	_, err = Transform(ctx, src, Chain{}, PNG, Limits{MaxSourcePixels: 10000})
	require.NoError(t, err)
}

func TestSourceByteLimit(t *testing.T) {
	src := pngBytes(t, quadImage(100, 100))
	_, err := Transform(context.Background(), src, Chain{}, PNG, Limits{MaxSourceBytes: int64(len(src) - 1)})
	e := requireKind(t, err, KindSourceLimit, "")
	assert.Contains(t, e.Msg, "bytes")
	_, err = Transform(context.Background(), src, Chain{}, PNG, Limits{MaxSourceBytes: int64(len(src))})
	require.NoError(t, err)
	// default: 16 MiB
	big := append(pngBytes(t, quadImage(4, 4)), make([]byte, 16<<20)...)
	_, err = Transform(context.Background(), big, Chain{}, PNG, Limits{})
	requireKind(t, err, KindSourceLimit, "")
}

func TestBadSource(t *testing.T) {
	png := pngBytes(t, quadImage(40, 40))
	gifData := gifBytes(t, []color.Color{qRed})
	tests := map[string][]byte{
		"empty":         nil,
		"text":          []byte("hello, world"),
		"html":          []byte("<html><body>no</body></html>"),
		"bmp":           append([]byte("BM"), make([]byte, 60)...),
		"svg":           []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
		"png magic":     png[:8],
		"truncated png": png[:len(png)/2],
		"jpeg magic":    {0xFF, 0xD8, 0xFF},
		"gif magic":     []byte("GIF89a"),
		"truncated gif": gifData[:len(gifData)-8],
		"riff not webp": append([]byte("RIFF\x10\x00\x00\x00WAVEfmt "), make([]byte, 16)...),
		"webp header":   []byte("RIFF\x04\x00\x00\x00WEBP"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Transform(context.Background(), data, mustChain(t, "w_10"), PNG, Limits{})
			requireKind(t, err, KindBadSource, "")
		})
	}
}

// gifBytes returns a 20×10 GIF with one solid frame per colour.
func gifBytes(t testing.TB, frames []color.Color) []byte {
	g := &gif.GIF{}
	for _, c := range frames {
		p := image.NewPaletted(image.Rect(0, 0, 20, 10), palette.Plan9)
		idx := uint8(color.Palette(palette.Plan9).Index(c))
		for i := range p.Pix {
			p.Pix[i] = idx
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	require.NoError(t, gif.EncodeAll(&buf, g))
	return buf.Bytes()
}

func TestGIFFirstFrame(t *testing.T) {
	src := gifBytes(t, []color.Color{qRed, qBlue, qGreen})
	out := run(t, src, "", FormatOriginal)
	assert.Equal(t, GIF, out.Format)
	img := decodeAny(t, out)
	requireColor(t, img, 10, 5, qRed, 0, "first frame")
	g, err := gif.DecodeAll(bytes.NewReader(out.Bytes))
	require.NoError(t, err)
	assert.Len(t, g.Image, 1, "a single frame")

	out = run(t, src, "w_40", PNG)
	requireColor(t, decodeAny(t, out), 20, 10, qRed, 0, "first frame, scaled")

	// A crop of a GIF stays paletted; its offset must not leak into the output frame.
	quad := image.NewPaletted(image.Rect(0, 0, 20, 10), color.Palette{qRed, qGreen, qBlue, qYellow})
	for y := range 10 {
		for x := range 20 {
			quad.SetColorIndex(x, y, uint8(x/10+2*(y/5)))
		}
	}
	var qb bytes.Buffer
	require.NoError(t, gif.Encode(&qb, quad, nil))
	out = run(t, qb.Bytes(), "c_crop,g_south_east,w_4,h_3", FormatOriginal)
	assert.Equal(t, GIF, out.Format)
	img = decodeAny(t, out)
	requireColor(t, img, 0, 0, qYellow, 0, "cropped GIF")
	requireColor(t, img, 3, 2, qYellow, 0, "cropped GIF")

	// A first frame smaller than the logical screen, at an offset: the rest is transparent.
	frame := image.NewPaletted(image.Rect(10, 5, 20, 10), color.Palette{qYellow})
	var buf bytes.Buffer
	require.NoError(t, gif.EncodeAll(&buf, &gif.GIF{
		Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{Width: 20, Height: 10, ColorModel: frame.Palette},
	}))
	out = run(t, buf.Bytes(), "", PNG)
	assert.Equal(t, [2]int{20, 10}, [2]int{out.Width, out.Height})
	img = decodeAny(t, out)
	requireColor(t, img, 15, 7, qYellow, 0, "frame")
	requireColor(t, img, 2, 2, color.NRGBA{}, 0, "outside the frame")
}

func TestWebPInput(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, nativewebp.Encode(&buf, quadImage(40, 30), nil))
	out := run(t, buf.Bytes(), "c_crop,g_south_east,w_10,h_10", FormatOriginal)
	assert.Equal(t, WebP, out.Format)
	requireColor(t, decodeAny(t, out), 5, 5, qYellow, 0, "lossless WebP in and out")

	lossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	require.NoError(t, err)
	out = run(t, lossy, "c_fill,w_30,h_30", JPEG)
	assert.Equal(t, [2]int{30, 30}, [2]int{out.Width, out.Height})
	decodeAny(t, out)

	alpha, err := os.ReadFile("testdata/yellow_rose.lossy-with-alpha.webp")
	require.NoError(t, err)
	out = run(t, alpha, "w_100", PNG)
	assert.Equal(t, [2]int{100, 75}, [2]int{out.Width, out.Height})
	img := decodeAny(t, out)
	assert.Equal(t, uint8(0), nrgbaAt(img, 1, 1).A, "transparent corner kept")
}

func TestSniff(t *testing.T) {
	assert.Equal(t, JPEG, sniff([]byte{0xFF, 0xD8, 0xFF, 0xE0}))
	assert.Equal(t, PNG, sniff([]byte("\x89PNG\r\n\x1a\nxxxx")))
	assert.Equal(t, GIF, sniff([]byte("GIF87a")))
	assert.Equal(t, WebP, sniff([]byte("RIFF\x00\x00\x00\x00WEBPVP8 ")))
	assert.Equal(t, FormatOriginal, sniff([]byte("RIFF\x00\x00\x00\x00AVI ")))
	assert.Equal(t, FormatOriginal, sniff([]byte{0xFF, 0xD8}))
	assert.Equal(t, FormatOriginal, sniff(nil))
}
