package imageops

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
	"github.com/avatarkit/avatarkit/internal/facephotos"
)

var docPictures = flag.String("docpictures", "", "write the pictures of docs/faces.md into this directory")

// TestFaceDocPictures makes the pictures of docs/faces.md from photographs of the evaluation set:
//
//	go test ./imageops -run TestFaceDocPictures -args -docpictures=$PWD/docs/images/faces
//
// Each picture is a row of panels on white: the source (its detected faces outlined in red; not
// in effects.png), then what the chains make of it.
func TestFaceDocPictures(t *testing.T) {
	if *docPictures == "" {
		t.Skip("writes docs/images/faces only when asked to (-docpictures)")
	}
	require.NoError(t, os.MkdirAll(*docPictures, 0o755))
	photo := func(name string) facephotos.Photo {
		p, ok := facephotos.Lookup(name)
		require.True(t, ok, name)
		return p
	}
	row := func(file string, src []byte, sourceHeight int, chains ...string) {
		a, err := Analyze(context.Background(), src, Limits{})
		require.NoError(t, err)
		var panels []image.Image
		if sourceHeight > 0 {
			panels = append(panels, outlined(t, src, a.Faces, sourceHeight))
		}
		for _, c := range chains {
			out, err := Transform(context.Background(), src, mustChain(t, c), PNG, Limits{})
			require.NoError(t, err, c)
			panels = append(panels, decodeAny(t, out))
		}
		writePanels(t, filepath.Join(*docPictures, file), panels)
	}

	girl := photo("caire-sample.jpg").Bytes()
	row("thumb-zoom.png", girl, 128,
		"c_thumb,g_face,w_128,h_128,z_0.7", "c_thumb,g_face,w_128,h_128", "c_thumb,g_face,w_128,h_128,z_1.5")
	row("effects.png", girl, 0,
		"c_thumb,g_face,w_128,h_128,z_0.7", "c_thumb,g_face,w_128,h_128,z_0.7/e_pixelate_faces", "c_thumb,g_face,w_128,h_128,z_0.7/e_blur_faces")

	// The photographs at the edge of a wide banner (3.2:1) and of a tall full-body shape (1:3), on
	// a backdrop without people, as in the evaluation.
	place := func(name, backdrop string, tall, far bool) []byte {
		back := photo(backdrop).Image()
		m, _ := placement(photo(name).Image(), back, nil, tall, far)
		return jpegBytes(t, m, 90)
	}
	row("wide.png", place("opencv-basketball1.jpg", "opencv-home.jpg", false, true), 128,
		"c_fill,w_128,h_128", "c_fill,g_face,w_128,h_128", "c_thumb,g_face,w_128,h_128")
	row("tall.png", place("opencv-messi5.jpg", "opencv-building.jpg", true, true), 240,
		"c_fill,w_128,h_128", "c_fill,g_face,w_128,h_128", "c_thumb,g_face,w_128,h_128")
}

// outlined returns the picture src scaled to height h with the boxes outlined in red.
func outlined(t testing.TB, src []byte, boxes []image.Rectangle, h int) image.Image {
	info, err := inspect(src, Limits{}.WithDefaults())
	require.NoError(t, err)
	img, err := decode(src, info, 1)
	require.NoError(t, err)
	b := img.Bounds()
	k := float64(h) / float64(b.Dy())
	m := resize.Resize(img, max(1, int(float64(b.Dx())*k+0.5)), h)
	red := color.RGBA{220, 30, 30, 255}
	for _, f := range boxes {
		r := scaleRect(f, k)
		for i := range 2 { // 2 px
			r := r.Inset(i)
			for x := r.Min.X; x < r.Max.X; x++ {
				m.Set(x, r.Min.Y, red)
				m.Set(x, r.Max.Y-1, red)
			}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				m.Set(r.Min.X, y, red)
				m.Set(r.Max.X-1, y, red)
			}
		}
	}
	return m
}

// writePanels writes the panels side by side, bottom-aligned, 8 px apart on white, as a PNG.
func writePanels(t testing.TB, file string, panels []image.Image) {
	const gap = 8
	w, h := gap, 0
	for _, p := range panels {
		w += p.Bounds().Dx() + gap
		h = max(h, p.Bounds().Dy())
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h+2*gap))
	draw.Draw(m, m.Rect, image.White, image.Point{}, draw.Src)
	x := gap
	for _, p := range panels {
		b := p.Bounds()
		draw.Draw(m, image.Rect(x, gap+h-b.Dy(), x+b.Dx(), gap+h), p, b.Min, draw.Over)
		x += b.Dx() + gap
	}
	var buf bytes.Buffer
	require.NoError(t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, m))
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
}
