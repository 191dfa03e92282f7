package jpeg

import (
	"bytes"
	"go/build"
	"image"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile and unusual files, also the seeds of FuzzDecode.

// withScans returns a copy of a single-scan file whose scan is repeated n times.
func withScans(t testing.TB, data []byte, n int) []byte {
	sos := bytes.Index(data, []byte{0xff, sosMarker})
	require.Positive(t, sos)
	require.Equal(t, []byte{0xff, eoiMarker}, data[len(data)-2:])
	out := append([]byte{}, data[:sos]...)
	for range n {
		out = append(out, data[sos:len(data)-2]...)
	}
	return append(out, 0xff, eoiMarker)
}

// lateColorMarker returns a JFIF file with components 'R', 'G', 'B' and, after its scan, an APP0
// marker that is not JFIF: image/jpeg reads it as RGB (it looks at the markers at the end), this
// package as YCbCr (it must choose at the first scan).
func lateColorMarker() []byte {
	p := photoPlanes(24, 16, 3)
	data := encodeJPEG(24, 16, p[:], encOpts{sampling: []Sampling{s11, s11, s11}, ids: []byte{'R', 'G', 'B'}, jfif: true, adobe: -1})
	app0 := []byte{0xff, app0Marker, 0, 7, 'J', 'F', 'X', 'X', 0}
	return append(append(append([]byte{}, data[:len(data)-2]...), app0...), 0xff, eoiMarker)
}

// hugeHeader returns a progressive gray file whose frame claims w×h pixels but whose data end
// after the first scan's header.
func hugeHeader(w, h int) []byte {
	data := generate(kind{space: Gray, sampling: []Sampling{s11}, progressive: true}, 8, 8, 85)
	sof := bytes.Index(data, []byte{0xff, sof2Marker})
	out := append([]byte{}, data...)
	out[sof+5], out[sof+6], out[sof+7], out[sof+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
	sos := bytes.Index(out, []byte{0xff, sosMarker})
	n := int(out[sos+2])<<8 | int(out[sos+3])
	return out[:sos+2+n]
}

// oversubscribed returns a small baseline file whose AC Huffman table has more codes than its code
// lengths have room for (one code of the longest length moved to length 2). image/jpeg decodes
// with such tables without complaint, in its own way, which this package must follow.
func oversubscribed() []byte {
	data := generate(kind{space: Gray, sampling: []Sampling{s11}}, 16, 16, 85)
	for i := 0; i+21 < len(data); i++ {
		if data[i] != 0xff || data[i+1] != dhtMarker || data[i+4] != 0x10 {
			continue
		}
		counts := data[i+5 : i+5+16]
		for l := 15; l > 1; l-- {
			if counts[l] > 0 {
				counts[l]--
				counts[1]++
				break
			}
		}
		break
	}
	return data
}

// kindNamed returns the generated kind of that name.
func kindNamed(t testing.TB, name string) kind {
	for _, k := range kinds {
		if k.name == name {
			return k
		}
	}
	t.Fatalf("no kind %q", name)
	return kind{}
}

func TestDecodeConfig(t *testing.T) {
	goroot := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(build.Default.GOROOT, "src", "image", "testdata", name))
		if err != nil {
			t.Skipf("Go's image test data: %v", err)
		}
		return b
	}
	for _, tc := range []struct {
		file  string
		want  string
		ratio image.YCbCrSubsampleRatio
	}{
		{"video-001.progressive.jpeg", "150×103 progressive YCbCr 4:4:4", image.YCbCrSubsampleRatio444},
		{"video-001.q50.420.progressive.jpeg", "150×103 progressive YCbCr 4:2:0", image.YCbCrSubsampleRatio420},
		{"video-001.q50.410.jpeg", "150×103 baseline YCbCr 4:1:0", image.YCbCrSubsampleRatio410},
		{"video-001.q50.440.progressive.jpeg", "150×103 progressive YCbCr 4:4:0", image.YCbCrSubsampleRatio440},
		{"video-001.rgb.jpeg", "150×103 baseline RGB 4:2:0", image.YCbCrSubsampleRatio420},
		{"video-001.cmyk.jpeg", "150×103 baseline CMYK 1x1,1x1,1x1,1x1", image.YCbCrSubsampleRatio444},
		{"video-005.gray.q50.2x2.jpeg", "150×103 baseline Gray", image.YCbCrSubsampleRatio444},
	} {
		cfg, err := DecodeConfig(bytes.NewReader(goroot(tc.file)))
		require.NoError(t, err, tc.file)
		assert.Equal(t, tc.want, cfg.String(), tc.file)
		assert.Equal(t, tc.ratio, cfg.SubsampleRatio(), tc.file)
	}

	cfg, err := DecodeConfig(bytes.NewReader(generate(kindNamed(t, "420"), 20, 10, 50)))
	require.NoError(t, err)
	assert.Equal(t, Config{Width: 20, Height: 10, Components: 3, ColorSpace: YCbCr, Sampling: [4]Sampling{s22, s11, s11}}, cfg)
	assert.Equal(t, 8, ScaleFor(Config{Width: 4000, Height: 3000}, 200, 200))
	assert.Equal(t, 4, ScaleFor(Config{Width: 1024, Height: 1024}, 200, 200))
	assert.Equal(t, 1, ScaleFor(Config{Width: 300, Height: 3000}, 200, 200))
	w, h := Config{Width: 4001, Height: 3}.ScaledSize(8)
	assert.Equal(t, [2]int{501, 1}, [2]int{w, h}, "⌈w/8⌉×⌈h/8⌉")

	noAdobe := generate(kind{space: CMYK, sampling: []Sampling{s11, s11, s11, s11}}, 8, 8, 85)
	noAdobe = bytes.Replace(noAdobe, []byte("Adobe"), []byte("Xdobe"), 1)
	for name, tc := range map[string]struct {
		data []byte
		err  string
	}{
		"empty":      {nil, "unexpected EOF"},
		"not a JPEG": {[]byte("GIF89a......"), "invalid JPEG format: missing SOI marker"},
		"SOI, EOI":   {[]byte{0xff, soiMarker, 0xff, eoiMarker}, "invalid JPEG format: missing SOS marker"},
		"SOS first":  {[]byte{0xff, soiMarker, 0xff, sosMarker, 0, 8, 1, 1, 0, 0, 63, 0}, "invalid JPEG format: missing SOF marker"},
		"no Adobe":   {noAdobe, errNoAdobe.Error()},
	} {
		_, err := DecodeConfig(bytes.NewReader(tc.data))
		require.EqualError(t, err, tc.err, name)
		_, err = Decode(bytes.NewReader(tc.data), 2)
		require.EqualError(t, err, tc.err, "Decode fails as DecodeConfig does: %s", name)
	}
	_, err = Decode(bytes.NewReader(generate(kinds[0], 8, 8, 85)), 3)
	require.ErrorIs(t, err, errScale)
}

// TestDeliberateDifferences checks the files that image/jpeg decodes and this package refuses,
// each with its own error.
func TestDeliberateDifferences(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		err  error
	}{
		"501 scans":          {withScans(t, generate(kinds[0], 8, 8, 85), 501), errTooManyScans},
		"late color marker":  {lateColorMarker(), errLateColorMarker},
		"16-bit coefficient": {bigCoefficient(t), errCoefficientRange},
	} {
		_, err := stdjpeg.Decode(bytes.NewReader(tc.data))
		require.NoError(t, err, "image/jpeg decodes %s", name)
		_, err = Decode(bytes.NewReader(tc.data), 1)
		require.ErrorIs(t, err, tc.err, name)
		require.True(t, knownDifference(err))
	}
	_, err := Decode(bytes.NewReader(withScans(t, generate(kinds[0], 8, 8, 85), 500)), 1)
	require.NoError(t, err, "500 scans are fine")
}

// bigCoefficient returns a progressive gray file whose DC coefficient is 2¹⁵ after the point
// transform: its first scan sends 2¹⁴ with Al = 1.
func bigCoefficient(t testing.TB) []byte {
	w := bitWriter{}
	var out bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		out.Write([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		out.Write(payload)
	}
	out.Write([]byte{0xff, soiMarker})
	q := make([]byte, 65)
	for i := 1; i < 65; i++ {
		q[i] = 1
	}
	seg(dqtMarker, q...)
	seg(sof2Marker, 8, 0, 8, 0, 8, 1, 1, 0x11, 0)
	// A DC table whose only code, "0", is category 15.
	dc := append([]byte{0x00, 1}, make([]byte, 15)...)
	seg(dhtMarker, append(dc, 15)...)
	seg(sosMarker, 1, 1, 0x00, 0, 0, 0x01)
	w.emit(0, 1)
	w.emit(1<<14, 15) // +16384, then << 1
	w.flush()
	out.Write(w.buf)
	out.Write([]byte{0xff, eoiMarker})
	return out.Bytes()
}

// TestMalformed decodes every prefix of small files, and files with corrupted bytes, at every
// scale: no panic, an error whenever image/jpeg fails at scale 1 (or, where image/jpeg decodes,
// its image), a size always ⌈w/s⌉×⌈h/s⌉, and never more memory than MemoryBound.
func TestMalformed(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var files [][]byte
	for _, k := range kinds {
		files = append(files, generate(k, 19, 13, 75))
	}
	step := 3
	if light() {
		step = 17
	}
	var inputs [][]byte
	for _, f := range files {
		for n := 0; n < len(f); n += step {
			inputs = append(inputs, f[:n])
		}
		for i := 2; i < len(f); i += 3 * step {
			c := append([]byte{}, f...)
			c[i] ^= byte(0x55 + i)
			inputs = append(inputs, c)
		}
	}
	inputs = append(inputs, hugeHeader(3000, 2000), oversubscribed())
	for i, in := range inputs {
		checkMalformed(t, in, i%5 == 0 || i == len(inputs)-2)
	}
}

// checkMalformed checks one input; the memory only if checkMemory (measuring it stops the world).
func checkMalformed(t *testing.T, data []byte, checkMemory bool) {
	t.Helper()
	cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
	want, stdErr := stdjpeg.Decode(bytes.NewReader(data))
	for _, s := range []int{1, 2, 4, 8} {
		var img image.Image
		var err error
		r := bytes.NewReader(data)
		var before, after runtime.MemStats
		if checkMemory {
			runtime.ReadMemStats(&before)
		}
		img, err = Decode(r, s)
		if checkMemory {
			runtime.ReadMemStats(&after)
		}
		if cfgErr != nil {
			require.Error(t, err, "Decode fails where DecodeConfig does (%v)", cfgErr)
			assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(MemoryBound(Config{}, 0)))
			continue
		}
		assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(MemoryBound(cfg, s)))
		if err == nil {
			w, h := cfg.ScaledSize(s)
			require.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
			require.Equal(t, cfg.ColorModel(), img.ColorModel())
		}
		if s == 1 {
			switch {
			case stdErr != nil:
				// image/jpeg fails; this package may decode what it reads past (it does not
				// check more), but for these files it fails too.
				require.Error(t, err, "image/jpeg: %v", stdErr)
			case knownDifference(err):
			default:
				require.NoError(t, err)
				require.Empty(t, sameImage(want, img))
			}
		}
	}
}

// TestLargeClaimFailsFast checks that a file whose header claims a large image and whose data
// stop at once fails with a bounded allocation, the one MemoryBound announced.
func TestLargeClaimFailsFast(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	data := hugeHeader(4000, 3000)
	cfg, err := DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, 4000, cfg.Width)
	for _, s := range []int{1, 8} {
		got, err := allocated(data, s)
		require.ErrorIs(t, err, errShortHuffmanData)
		assert.LessOrEqual(t, got, uint64(MemoryBound(cfg, s)))
	}
	assert.GreaterOrEqual(t, MemoryBound(cfg, 1), int64(4000*3000*3), "a progressive gray image: 1 byte of pixels and 2 of coefficients per pixel")
	assert.Less(t, MemoryBound(cfg, 8), int64(4000*3000/8), "at 1/8 only the DC is kept")
}
