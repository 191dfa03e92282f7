package jpeg

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode decodes arbitrary bytes at every scale and checks that Decode never panics, that it
// fails whenever DecodeConfig does, that an image it returns has the scaled size and the color
// model of the file's Config, and that at scale 1 it returns image/jpeg's image whenever
// image/jpeg decodes the file (except for the documented differences).
//
//	go test ./imageops/internal/jpeg -run='^$' -fuzz=FuzzDecode -fuzztime=10m
//
// The seeds are in testdata/fuzz/FuzzDecode (see TestWriteFuzzCorpus).
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
		if cfgErr == nil && int64(cfg.Width)*int64(cfg.Height) > 1<<20 {
			return // a large claim costs time and memory in image/jpeg, not a finding
		}
		if c, err := stdjpeg.DecodeConfig(bytes.NewReader(data)); err == nil && int64(c.Width)*int64(c.Height) > 1<<20 {
			return
		}
		want, stdErr := stdjpeg.Decode(bytes.NewReader(data))
		for _, s := range []int{1, 2, 4, 8} {
			img, err := Decode(bytes.NewReader(data), s)
			if cfgErr != nil {
				if err == nil {
					t.Fatalf("scale %d: Decode succeeds where DecodeConfig fails (%v)", s, cfgErr)
				}
				continue
			}
			if err == nil {
				w, h := cfg.ScaledSize(s)
				if img.Bounds() != image.Rect(0, 0, w, h) {
					t.Fatalf("scale %d: bounds %v, want %d×%d", s, img.Bounds(), w, h)
				}
				if img.ColorModel() != cfg.ColorModel() {
					t.Fatalf("scale %d: color model %v, want %v", s, img.ColorModel(), cfg.ColorModel())
				}
			}
			if s == 1 && stdErr == nil {
				if err != nil {
					if !knownDifference(err) {
						t.Fatalf("image/jpeg decodes the file, Decode fails: %v", err)
					}
					continue
				}
				if d := sameImage(want, img); d != "" {
					t.Fatalf("scale 1 differs from image/jpeg: %s", d)
				}
			}
		}
	})
}

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "write the seeds of FuzzDecode to testdata/fuzz/FuzzDecode")

// TestWriteFuzzCorpus writes the seed corpus of FuzzDecode when run with -write-fuzz-corpus:
//
//	go test ./imageops/internal/jpeg -run TestWriteFuzzCorpus -write-fuzz-corpus
//
// The seeds are small generated files of every kind (sequential and progressive; gray, every
// YCbCr sampling, RGB, CMYK and YCCK; restart intervals; separate scans), cut short, the hostile
// files of robust_test.go, and the small files of testdata.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeFuzzCorpus {
		t.Skip("run with -write-fuzz-corpus to write testdata/fuzz/FuzzDecode")
	}
	seeds := map[string][]byte{}
	for _, k := range kinds {
		data := generate(k, 19, 13, 60)
		seeds["gen-"+k.name] = data
		if k.name == "420" || k.name == "progressive-420" || k.name == "progressive-cmyk-2211" {
			seeds["gen-"+k.name+"-cut"] = data[:len(data)*2/3]
		}
	}
	seeds["hostile-501-scans"] = withScans(t, generate(kinds[0], 8, 8, 85), 501)
	seeds["hostile-late-color-marker"] = lateColorMarker()
	seeds["hostile-16-bit-coefficient"] = bigCoefficient(t)
	seeds["hostile-huge-header"] = hugeHeader(30000, 30000)
	seeds["hostile-oversubscribed-huffman"] = oversubscribed()
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".jpg" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		require.NoError(t, err)
		if len(b) <= 8<<10 {
			seeds["testdata-"+e.Name()] = b
		}
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
}
