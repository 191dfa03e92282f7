package imageops

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/HugoSmits86/nativewebp"
	"github.com/stretchr/testify/require"
)

// fuzzSeed is a named seed input of a fuzz target; the name is its file name in the target's
// corpus directory, testdata/fuzz/<FuzzName>/.
type fuzzSeed struct {
	name string
	data []byte
}

// pngWith returns a PNG with the given IHDR fields whose IDAT is the zlib stream of raw (the
// filtered scanlines, or anything else), with a correct CRC unless badCRC.
func pngWith(w, h uint32, depth, colorType, interlace byte, raw []byte, badCRC bool) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		sum := crc.Sum32()
		if badCRC {
			sum++
		}
		_ = binary.Write(&buf, binary.BigEndian, sum)
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9], ihdr[12] = depth, colorType, interlace
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

// jpegClaiming returns jpg with its baseline frame header (SOF0) patched to claim w×h.
func jpegClaiming(tb testing.TB, jpg []byte, w, h uint16) []byte {
	out := bytes.Clone(jpg)
	i := bytes.Index(out, []byte{0xFF, 0xC0})
	require.Positive(tb, i, "no SOF0")
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

// gifClaiming returns g with its logical screen patched to w×h (the frame is left as it is).
func gifClaiming(g []byte, w, h uint16) []byte {
	out := bytes.Clone(g)
	binary.LittleEndian.PutUint16(out[6:], w)
	binary.LittleEndian.PutUint16(out[8:], h)
	return out
}

// webpClaiming returns a lossless WebP with its VP8L header patched to claim 16384×16384 (the
// largest size the format can express).
func webpClaiming(tb testing.TB, webp []byte) []byte {
	out := bytes.Clone(webp)
	i := bytes.Index(out, []byte("VP8L"))
	require.Positive(tb, i, "no VP8L chunk")
	hdr := out[i+8:] // after the FourCC and the chunk size: the 0x2f signature, then 32 bits
	require.Equal(tb, byte(0x2f), hdr[0])
	v := binary.LittleEndian.Uint32(hdr[1:])
	binary.LittleEndian.PutUint32(hdr[1:], v&0xF0000000|0x0FFFFFFF)
	return out
}

// decodeSeeds are the seeds of FuzzDecode and FuzzTransform: a tiny valid file of every format
// and flavour we can make in code, truncated and corrupted ones, and headers that claim far more
// pixels than the file holds (the 30000×30000 PNG of a few KB among them).
func decodeSeeds(tb testing.TB) []fuzzSeed {
	small := quadImage(12, 8)
	png := pngBytes(tb, small)
	jpg := jpegBytes(tb, small, 80)
	gray := jpegBytes(tb, image.NewGray(image.Rect(0, 0, 9, 7)), 80)

	g16 := image.NewGray16(image.Rect(0, 0, 5, 3))
	for i := range g16.Pix {
		g16.Pix[i] = byte(i * 37)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 10, 6), color.Palette{qRed, qBlue, color.Transparent})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	var gb bytes.Buffer
	require.NoError(tb, gif.Encode(&gb, pal, nil))
	gifData := gb.Bytes()

	// A GIF whose first frame is smaller than its logical screen and sits at an offset, and one
	// of three frames.
	frame := image.NewPaletted(image.Rect(4, 2, 10, 6), color.Palette{qYellow, qGreen})
	var ob bytes.Buffer
	require.NoError(tb, gif.EncodeAll(&ob, &gif.GIF{
		Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{Width: 12, Height: 8, ColorModel: frame.Palette},
	}))
	var ab bytes.Buffer
	require.NoError(tb, gif.EncodeAll(&ab, &gif.GIF{Image: []*image.Paletted{pal, pal, pal}, Delay: []int{1, 1, 1}}))

	var wb bytes.Buffer
	require.NoError(tb, nativewebp.Encode(&wb, small, nil))
	webp := wb.Bytes()
	var wab bytes.Buffer
	require.NoError(tb, nativewebp.Encode(&wab, alphaImage(), nil))

	// 8-bit RGBA scanlines of a 3×2 image: filter byte 0, then 12 bytes per row.
	raw3x2 := make([]byte, 2*(1+3*4))
	for i := range raw3x2 {
		if i%13 != 0 {
			raw3x2[i] = byte(i * 19)
		}
	}

	seeds := []fuzzSeed{
		{"png-rgba-12x8", png},
		{"png-gray16-5x3", pngBytes(tb, g16)},
		{"png-paletted-alpha-10x6", pngBytes(tb, pal)},
		{"png-1x1", pngBytes(tb, image.NewNRGBA(image.Rect(0, 0, 1, 1)))},
		{"png-handmade-3x2", pngWith(3, 2, 8, 6, 0, raw3x2, false)},
		{"png-handmade-interlaced-3x2", pngWith(3, 2, 8, 6, 1, make([]byte, 28), false)}, // 7 Adam7 passes: 5+5+5+13 bytes
		{"png-rgba16-claims-7000x7000", pngWith(7000, 7000, 16, 6, 0, make([]byte, 4096), false)},
		{"png-claims-30000x30000", pngHeaderOnly(tb, 30000, 30000)},
		{"png-bad-width-2pow31", pngWith(1<<31, 1, 8, 6, 0, raw3x2, false)},
		{"png-zero-width", pngWith(0, 2, 8, 6, 0, raw3x2, false)},
		{"png-bad-crc", pngWith(3, 2, 8, 6, 0, raw3x2, true)},
		{"png-bad-depth", pngWith(3, 2, 7, 6, 0, raw3x2, false)},
		{"png-truncated", png[:len(png)/2]},
		{"png-magic-only", png[:8]},

		{"jpeg-12x8", jpg},
		{"jpeg-gray-9x7", gray},
		{"jpeg-exif-orientation-6", withOrientation(jpg, 6)},
		{"jpeg-exif-orientation-8", withOrientation(jpg, 8)},
		{"jpeg-exif-little-endian-3", withSegments(jpg, exifSegment(binary.LittleEndian, [4]uint32{0x0112, 3, 1, 3}))},
		{"jpeg-exif-orientation-99", withOrientation(jpg, 99)},
		{"jpeg-claims-60000x60000", jpegClaiming(tb, gray, 60000, 60000)},
		{"jpeg-claims-7000x7000", jpegClaiming(tb, gray, 7000, 7000)},
		{"jpeg-claims-0x7", jpegClaiming(tb, gray, 0, 7)},
		{"jpeg-truncated", jpg[:len(jpg)/2]},
		{"jpeg-soi-exif-only", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0}},
		{"jpeg-soi-only", []byte{0xFF, 0xD8, 0xFF}},

		{"gif-10x6", gifData},
		{"gif-3-frames", ab.Bytes()},
		{"gif-frame-at-offset", ob.Bytes()},
		{"gif-claims-65535x65535", gifClaiming(gifData, 65535, 65535)},
		{"gif-screen-smaller-than-frame", gifClaiming(gifData, 4, 4)},
		{"gif-truncated", gifData[:len(gifData)-8]},
		{"gif-magic-only", []byte("GIF89a")},

		{"webp-lossless-12x8", webp},
		{"webp-lossless-alpha-40x40", wab.Bytes()},
		{"webp-claims-16384x16384", webpClaiming(tb, webp)},
		{"webp-truncated", webp[:len(webp)/2]},
		{"webp-vp8-empty", []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")},
		{"webp-riff-huge-length", []byte("RIFF\xff\xff\xff\xffWEBPVP8L\xff\xff\xff\xff\x2f\xff\xff\xff\xff")},
	}
	if lossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp"); err == nil {
		seeds = append(seeds, fuzzSeed{"webp-lossy", lossy}, fuzzSeed{"webp-lossy-truncated", lossy[:len(lossy)/3]})
	}
	return seeds
}

// fuzzDecodeLimits are the limits FuzzDecode checks sources against: small, so that every
// accepted input decodes fast.
var fuzzDecodeLimits = Limits{MaxOutputSide: 64, MaxSourceBytes: 256 << 10, MaxSourcePixels: 256 * 256}.WithDefaults()

// Allocation bounds of FuzzDecode. Reading a header allocates a decoder's tables and buffers,
// never anything of the size the header claims. Decoding allocates the pixels: at most
// maxDecodeBytesPerPixel for every pixel the header announced (the worst cases: a progressive
// CMYK JPEG keeps 4 components of int32 coefficients, 16 B/px, next to its 4 B/px image, which
// orient converts to two RGBA copies; a 16-bit interlaced PNG decodes each pass and copies it
// into an 8 B/px image), plus what is proportional to the file and a fixed slack.
const (
	maxHeaderAlloc         = 256 << 10
	maxDecodeBytesPerPixel = 48
	decodeAllocSlack       = 1 << 20
)

// FuzzDecode feeds arbitrary bytes through the decode path as Transform runs it: inspect (the
// format from the magic bytes, the size from the header, the limits) and then decode (pixels,
// EXIF orientation, a GIF's first frame on its screen). Invariants:
//   - nothing panics;
//   - every error is an *Error, KindBadSource or KindSourceLimit, with a message;
//   - inspect allocates nothing of the size the header claims (30000×30000 costs a few KB);
//   - an accepted header is within the limits, and its format is the sniffed one;
//   - decoding allocates in proportion to the pixels the header announced, no more;
//   - a decoded image has exactly the header's size (upright), at the origin.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s.data)
	}
	lim := fuzzDecodeLimits
	f.Fuzz(func(t *testing.T, data []byte) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		info, err := inspect(data, lim)
		runtime.ReadMemStats(&ms)
		if a := ms.TotalAlloc - before; a > maxHeaderAlloc {
			t.Fatalf("inspect allocated %d bytes (limit %d) for %d input bytes (%v)", a, maxHeaderAlloc, len(data), err)
		}
		if err != nil {
			requireSourceError(t, err, KindBadSource, KindSourceLimit)
			return
		}
		require.NotEqual(t, FormatOriginal, info.format)
		require.Equal(t, sniff(data), info.format)
		require.Positive(t, info.width)
		require.Positive(t, info.height)
		require.LessOrEqual(t, int64(info.width)*int64(info.height), lim.MaxSourcePixels)
		require.LessOrEqual(t, int64(len(data)), lim.MaxSourceBytes)
		require.True(t, info.orientation >= 1 && info.orientation <= 8, "orientation %d", info.orientation)
		if info.format != JPEG {
			require.Equal(t, 1, info.orientation)
		}

		runtime.ReadMemStats(&ms)
		before = ms.TotalAlloc
		img, err := decode(data, info, 1)
		runtime.ReadMemStats(&ms)
		pixels := uint64(info.width) * uint64(info.height)
		if a, bound := ms.TotalAlloc-before, maxDecodeBytesPerPixel*pixels+4*uint64(len(data))+decodeAllocSlack; a > bound {
			t.Fatalf("decoding a %d×%d %s of %d bytes allocated %d bytes (bound %d)", info.width, info.height, formatName(info.format), len(data), a, bound)
		}
		if err != nil {
			requireSourceError(t, err, KindBadSource)
			return
		}
		w, h := info.uprightSize()
		require.Equal(t, image.Rect(0, 0, w, h), img.Bounds(), "decoded size vs header %d×%d orientation %d", info.width, info.height, info.orientation)
	})
}

// requireSourceError requires err to be an *Error of one of kinds, with a message.
func requireSourceError(t *testing.T, err error, kinds ...ErrorKind) {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "error of type %T: %v", err, err)
	require.Contains(t, kinds, e.Kind, "%v", err)
	require.NotEmpty(t, e.Msg)
	require.Empty(t, e.Param, "a source error names no parameter")
}

// TestDecodeSeedsAreInteresting keeps the seeds honest: each is accepted or refused as its name
// says, so that the corpus keeps covering every path of inspect and decode.
func TestDecodeSeedsAreInteresting(t *testing.T) {
	lim := fuzzDecodeLimits
	for _, s := range decodeSeeds(t) {
		info, err := inspect(s.data, lim)
		var e *Error
		switch {
		case strings.Contains(s.name, "claims-"):
			if strings.Contains(s.name, "claims-0x") {
				require.ErrorAs(t, err, &e, s.name)
				require.Equal(t, KindBadSource, e.Kind, s.name)
				continue
			}
			require.ErrorAs(t, err, &e, s.name)
			require.Equal(t, KindSourceLimit, e.Kind, "%s: %v", s.name, err)
			require.Less(t, len(s.data), 8<<10, "%s: a few KB", s.name)
		case strings.Contains(s.name, "truncated"), strings.Contains(s.name, "only"), strings.Contains(s.name, "bad-"),
			strings.Contains(s.name, "zero-width"), strings.Contains(s.name, "empty"), strings.Contains(s.name, "huge-length"),
			strings.Contains(s.name, "smaller-than-frame"):
			if err == nil {
				_, err = decode(s.data, info, 1)
			}
			require.ErrorAs(t, err, &e, s.name)
			require.Equal(t, KindBadSource, e.Kind, "%s: %v", s.name, err)
		default:
			require.NoError(t, err, s.name)
			img, err := decode(s.data, info, 1)
			require.NoError(t, err, s.name)
			w, h := info.uprightSize()
			require.Equal(t, image.Rect(0, 0, w, h), img.Bounds(), s.name)
		}
	}
}

// chainSeeds are seeds of FuzzParseChain: valid chains, and hostile ones — huge numbers, NaN,
// Inf, exponents, signs, Unicode look-alikes, control characters, duplicated parameters.
var chainSeeds = []string{
	"c_fill,g_face,h_90,w_90/r_max", "w_90,h_90,g_north,c_fill", "c_crop,x_10,y_20,w_30,h_30",
	"b_rgb:ff000080,c_pad,h_50,w_100", "e_brightness:-20/a_hflip", "ar_16:9,c_fill,w_100", "dpr_4.0,w_512",
	"w_99999999999999999999", "h_18446744073709551617", "w_100001", "x_99999999999999999999,c_crop,w_10",
	"dpr_99999999999999999999.5,w_10", "ar_99999999999999999999:1,c_fill,w_10", "r_4294967296",
	"e_blur:99999999999999999999", "e_brightness:-9223372036854775809", "q_1000000000",
	"bo_99999999999999999999px_solid_red", "z_1e308,c_thumb,g_face,w_10",
	"w_NaN", "h_nan", "dpr_NaN,w_10", "z_NaN,c_thumb,g_face,w_10", "ar_NaN,c_fill,w_10", "w_0.NaN",
	"w_Inf", "w_+Inf", "w_-Inf", "dpr_Inf,w_10", "ar_inf,c_fill,w_10", "z_Infinity,c_thumb,g_face,w_10",
	"w_1e3", "w_1E3", "dpr_1e0,w_10", "w_0.5e0", "ar_1e1,c_fill,w_10", "w_0x10", "w_1_000", "w_0b1",
	"w_+10", "w_-10", "w_ 10", "w_10 ", "w_010", "q_080", "w_.5", "w_5.", "w_0.0", "w_-0", "e_brightness:-0",
	"w_10,w_20", "c_fill,c_fit,w_10", "c_fill,w_10,h_10,w_10", "W_10", "w_10,", ",w_10", "w_10,,h_10", "w", "w_",
	"w_\uff11\uff10", "w_\u0661\u0660", "w_\u00b9\u2070", "\u0441_fill,w_10", "c_fi\u200bll,w_10", "c_\ufb01ll,w_10",
	"c_fill,w_1\u041e", "g_n\u043erth,c_fill,w_10,h_10", "w_10\u202e", "w_1\u0301",
	"w_10\x00", "w_\x0010", "w_10\r\nX-Injected: 1", "w_10\t", "\x7f", "w_10\xff", "\xc0\xaf",
	"t_avatar", "d_identicon", "f_auto", "t_x,w_1", "t_" + strings.Repeat("a", 129), "e_sepia:50:1", "r_1:2:3:4:5",
}

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "write the seeds of imageops' fuzz targets to testdata/fuzz/<FuzzName>/")

// TestWriteFuzzCorpus writes the seed corpora of FuzzDecode, FuzzTransform and FuzzParseChain
// under testdata/fuzz when run with -write-fuzz-corpus:
//
//	go test ./imageops -run TestWriteFuzzCorpus -write-fuzz-corpus
//
// It also copies a few files of Go's own image test data that we cannot make in code
// (progressive and CMYK JPEGs, interlaced and 16-bit PNGs; BSD-licensed, The Go Authors).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeFuzzCorpus {
		t.Skip("run with -write-fuzz-corpus to write testdata/fuzz")
	}
	seeds := decodeSeeds(t)
	out, err := exec.Command("go", "env", "GOROOT").Output()
	require.NoError(t, err)
	goroot := strings.TrimSpace(string(out))
	for name, file := range map[string]string{
		"jpeg-progressive-420":    "src/image/testdata/video-001.q50.420.progressive.jpeg",
		"jpeg-progressive-gray":   "src/image/testdata/video-005.gray.q50.2x2.progressive.jpeg",
		"jpeg-410":                "src/image/testdata/video-001.q50.410.jpeg",
		"png-interlaced-gray":     "src/image/png/testdata/gray-gradient.interlaced.png",
		"png-gray16-pngsuite":     "src/image/png/testdata/pngsuite/basn0g16.png",
		"png-invalid-zlib":        "src/image/png/testdata/invalid-zlib.png",
		"gif-interlaced-5bpp-cut": "src/image/testdata/video-001.5bpp.gif",
	} {
		b, err := os.ReadFile(filepath.Join(goroot, file))
		require.NoError(t, err, file)
		if strings.HasSuffix(name, "-cut") {
			b = b[:2048]
		}
		seeds = append(seeds, fuzzSeed{name, b})
	}
	write := func(target, name string, value any) {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		var body string
		switch v := value.(type) {
		case []byte:
			body = fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", v)
		case string:
			body = fmt.Sprintf("go test fuzz v1\nstring(%q)\n", v)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	for _, s := range seeds {
		write("FuzzDecode", s.name, s.data)
		write("FuzzTransform", s.name, s.data)
	}
	for i, s := range chainSeeds {
		write("FuzzParseChain", fmt.Sprintf("hostile-%02d", i), s)
	}
}
