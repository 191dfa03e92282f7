package imageops

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exifSegment returns an APP1 Exif segment whose IFD0 holds the given entries (tag, type,
// count, value) in byte order bo.
func exifSegment(bo binary.ByteOrder, entries ...[4]uint32) []byte {
	var tiff bytes.Buffer
	if bo == binary.BigEndian {
		tiff.WriteString("MM")
	} else {
		tiff.WriteString("II")
	}
	w16 := func(v uint16) { _ = binary.Write(&tiff, bo, v) }
	w32 := func(v uint32) { _ = binary.Write(&tiff, bo, v) }
	w16(42)
	w32(8)
	w16(uint16(len(entries)))
	for _, e := range entries {
		w16(uint16(e[0]))
		w16(uint16(e[1]))
		w32(e[2])
		if e[1] == 3 { // SHORT: left-justified in the 4-byte value field
			w16(uint16(e[3]))
			w16(0)
		} else {
			w32(e[3])
		}
	}
	w32(0) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(seg, payload...)
}

// withSegments splices segments into a JPEG right after its SOI marker.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// withOrientation returns jpg with an Exif APP1 segment carrying orientation o.
func withOrientation(jpg []byte, o int) []byte {
	return withSegments(jpg, exifSegment(binary.BigEndian, [4]uint32{0x0112, 3, 1, uint32(o)}))
}

func TestJPEGOrientationParser(t *testing.T) {
	jpg := jpegBytes(t, image.NewGray(image.Rect(0, 0, 8, 8)), 80)
	app0 := []byte{0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	orient := func(o uint32) [4]uint32 { return [4]uint32{0x0112, 3, 1, o} }
	other := [4]uint32{0x010F, 2, 4, 0} // Make, ASCII
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no exif", jpg, 1},
		{"not a jpeg", []byte("GIF89a"), 1},
		{"empty", nil, 1},
		{"after APP0", withSegments(jpg, app0, exifSegment(binary.BigEndian, orient(6))), 6},
		{"second entry", withSegments(jpg, exifSegment(binary.LittleEndian, other, orient(8))), 8},
		{"LONG type", withSegments(jpg, exifSegment(binary.LittleEndian, [4]uint32{0x0112, 4, 1, 3})), 3},
		{"zero", withSegments(jpg, exifSegment(binary.BigEndian, orient(0))), 1},
		{"nine", withSegments(jpg, exifSegment(binary.BigEndian, orient(9))), 1},
		{"count 2", withSegments(jpg, exifSegment(binary.BigEndian, [4]uint32{0x0112, 3, 2, 6})), 1},
		{"no orientation tag", withSegments(jpg, exifSegment(binary.BigEndian, other)), 1},
		{"first exif wins", withSegments(jpg, exifSegment(binary.BigEndian, orient(2)), exifSegment(binary.BigEndian, orient(5))), 2},
		{"truncated segment", jpg[:2:2], 1},
	}
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
			tests = append(tests, struct {
				name string
				data []byte
				want int
			}{fmt.Sprintf("%v %d", bo, o), withSegments(jpg, exifSegment(bo, orient(uint32(o)))), o})
		}
	}
	seg := exifSegment(binary.BigEndian, orient(6))
	for cut := 1; cut < len(seg); cut++ { // every truncation of the segment
		tests = append(tests, struct {
			name string
			data []byte
			want int
		}{fmt.Sprintf("cut %d", cut), append([]byte{0xFF, 0xD8}, seg[:cut]...), 1})
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, jpegOrientation(tt.data), tt.name)
	}
}

// storedFor returns how a camera stores the upright image u with EXIF orientation o, built from
// the EXIF definition of the tag (which visual edge row 0 and column 0 of the stored image are),
// independently of the code under test.
func storedFor(u *image.NRGBA, o int) *image.NRGBA {
	vw, vh := u.Bounds().Dx(), u.Bounds().Dy()
	sw, sh := vw, vh
	if o >= 5 {
		sw, sh = vh, vw
	}
	s := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	for sy := range sh {
		for sx := range sw {
			var vx, vy int
			switch o {
			case 1: // row 0 top, column 0 left
				vx, vy = sx, sy
			case 2: // row 0 top, column 0 right
				vx, vy = vw-1-sx, sy
			case 3: // row 0 bottom, column 0 right
				vx, vy = vw-1-sx, vh-1-sy
			case 4: // row 0 bottom, column 0 left
				vx, vy = sx, vh-1-sy
			case 5: // row 0 left, column 0 top
				vx, vy = sy, sx
			case 6: // row 0 right, column 0 top
				vx, vy = vw-1-sy, sx
			case 7: // row 0 right, column 0 bottom
				vx, vy = vw-1-sy, vh-1-sx
			case 8: // row 0 left, column 0 bottom
				vx, vy = sy, vh-1-sx
			}
			s.SetNRGBA(sx, sy, u.NRGBAAt(vx, vy))
		}
	}
	return s
}

func TestEXIFOrientationUpright(t *testing.T) {
	upright := quadImage(64, 32) // red green / blue yellow, quadrants aligned to JPEG blocks
	grayUpright := image.NewGray(upright.Bounds())
	for y := range 32 {
		for x := range 64 {
			grayUpright.SetGray(x, y, color.Gray{Y: uint8(x / 32 * 200)}) // left dark, right light
		}
	}
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			stored := storedFor(upright, o)
			if o >= 5 {
				require.Equal(t, image.Rect(0, 0, 32, 64), stored.Bounds())
			}
			src := withOrientation(jpegBytes(t, stored, 95), o)
			out := run(t, src, "", PNG)
			require.Equal(t, [2]int{64, 32}, [2]int{out.Width, out.Height}, "upright size")
			img := decodeAny(t, out)
			requireColor(t, img, 8, 8, qRed, 40, "top left")
			requireColor(t, img, 56, 8, qGreen, 40, "top right")
			requireColor(t, img, 8, 24, qBlue, 40, "bottom left")
			requireColor(t, img, 56, 24, qYellow, 40, "bottom right")

			// the chain works on the upright image
			out = run(t, src, "c_crop,g_north_east,w_16,h_8", PNG)
			require.Equal(t, [2]int{16, 8}, [2]int{out.Width, out.Height})
			requireColor(t, decodeAny(t, out), 8, 4, qGreen, 40, "cropped top right")

			// grayscale JPEGs too
			gs := image.NewGray(stored.Bounds())
			gst := storedFor(toNRGBA(grayUpright), o)
			for i := range gs.Pix {
				gs.Pix[i] = gst.Pix[4*i]
			}
			out = run(t, withOrientation(jpegBytes(t, gs, 95), o), "", PNG)
			require.Equal(t, [2]int{64, 32}, [2]int{out.Width, out.Height})
			img = decodeAny(t, out)
			assert.Less(t, nrgbaAt(img, 8, 16).R, uint8(30), "left is dark")
			assert.Greater(t, nrgbaAt(img, 56, 16).R, uint8(170), "right is light")

			// no metadata in the output
			out = run(t, src, "", JPEG)
			assert.False(t, bytes.Contains(out.Bytes, []byte("Exif")), "output carries no EXIF")
		})
	}
}

func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	m := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, img.At(x, y))
		}
	}
	return m
}

// TestOrientImageTypes checks orient on every image type it handles, against the EXIF
// definition, pixel by pixel.
func TestOrientImageTypes(t *testing.T) {
	fill := func(pix []byte, seed int) {
		for i := range pix {
			pix[i] = byte(i*7 + seed*13 + i/5)
		}
	}
	ycc := func(w, h int, r image.YCbCrSubsampleRatio) image.Image {
		m := image.NewYCbCr(image.Rect(0, 0, w, h), r)
		fill(m.Y, 1)
		fill(m.Cb, 2)
		fill(m.Cr, 3)
		return m
	}
	images := map[string]image.Image{
		"ycbcr444": ycc(7, 5, image.YCbCrSubsampleRatio444),
		"ycbcr422": ycc(8, 6, image.YCbCrSubsampleRatio422),
		"ycbcr420": ycc(8, 6, image.YCbCrSubsampleRatio420),
		"ycbcr440": ycc(8, 6, image.YCbCrSubsampleRatio440),
		"ycbcr411": ycc(8, 6, image.YCbCrSubsampleRatio411), // converted to RGBA
		"ycbcr410": ycc(8, 6, image.YCbCrSubsampleRatio410),
	}
	gray := image.NewGray(image.Rect(0, 0, 7, 5))
	fill(gray.Pix, 4)
	images["gray"] = gray
	rgba := image.NewRGBA(image.Rect(0, 0, 7, 5))
	fill(rgba.Pix, 5)
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 0xff
	}
	images["rgba"] = rgba
	nrgba := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	fill(nrgba.Pix, 6)
	images["nrgba"] = nrgba
	images["offset rgba"] = rgba.SubImage(image.Rect(1, 1, 6, 5))
	pal := image.NewPaletted(image.Rect(0, 0, 7, 5), color.Palette{color.Black, color.White, qRed, qBlue})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 4)
	}
	images["paletted"] = pal

	for name, src := range images {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%s/%d", name, o), func(t *testing.T) {
				got := orient(src, o)
				b := src.Bounds()
				sw, sh := b.Dx(), b.Dy()
				if o >= 5 {
					require.Equal(t, image.Rect(0, 0, sh, sw), got.Bounds())
				} else if o > 1 {
					require.Equal(t, image.Rect(0, 0, sw, sh), got.Bounds())
				}
				// storedFor's mapping, read the other way: stored pixel (sx, sy) shows at (vx, vy).
				vw, vh := sw, sh
				if o >= 5 {
					vw, vh = sh, sw
				}
				for sy := range sh {
					for sx := range sw {
						var vx, vy int
						switch o {
						case 1:
							vx, vy = sx, sy
						case 2:
							vx, vy = vw-1-sx, sy
						case 3:
							vx, vy = vw-1-sx, vh-1-sy
						case 4:
							vx, vy = sx, vh-1-sy
						case 5:
							vx, vy = sy, sx
						case 6:
							vx, vy = vw-1-sy, sx
						case 7:
							vx, vy = vw-1-sy, vh-1-sx
						case 8:
							vx, vy = sy, vh-1-sx
						}
						want := color.RGBAModel.Convert(src.At(b.Min.X+sx, b.Min.Y+sy)).(color.RGBA)
						gb := got.Bounds()
						have := color.RGBAModel.Convert(got.At(gb.Min.X+vx, gb.Min.Y+vy)).(color.RGBA)
						require.Truef(t, near(color.NRGBA(want), color.NRGBA(have), 1), "stored (%d,%d) -> (%d,%d): %v, want %v", sx, sy, vx, vy, have, want)
					}
				}
			})
		}
	}
}

func TestEXIFOrientationLimitsUseUprightSize(t *testing.T) {
	// 40×10 stored, orientation 6: upright it is 10×40, so w_20 scales it to 20×80.
	src := withOrientation(jpegBytes(t, image.NewGray(image.Rect(0, 0, 40, 10)), 80), 6)
	out := run(t, src, "w_20", FormatOriginal)
	assert.Equal(t, [2]int{20, 80}, [2]int{out.Width, out.Height})
	_, err := Transform(context.Background(), src, Chain{}, PNG, Limits{MaxOutputSide: 39})
	e := requireKind(t, err, KindOutputLimit, "")
	assert.Contains(t, e.Msg, "10×40")
}
