package jpeg

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes that Decode(data, scale) allocates, as runtime.MemStats.TotalAlloc
// counts them. The caller runs with GOMAXPROCS 1 so that no other goroutine allocates meanwhile.
func allocated(data []byte, scale int) (uint64, error) {
	r := bytes.NewReader(data)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(r, scale)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// TestMemoryBound checks that MemoryBound bounds what Decode allocates, and closely: measured ≤
// bound ≤ 1.5·measured + 64 KiB, over sequential and progressive files of each color space and
// the main samplings, at every scale and at several sizes.
func TestMemoryBound(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	names := map[string]bool{
		"gray": true, "420": true, "444": true, "422": true, "cmyk": true, "cmyk-2211": true, "ycck-2211": true,
		"rgb": true, "rgb-420": true,
	}
	sizes := [][2]int{{7, 5}, {61, 47}, {250, 190}, {640, 480}}
	if light() {
		sizes = [][2]int{{97, 61}}
	}
	for _, k := range kinds {
		base := k.name
		if k.progressive {
			base = k.name[len("progressive-"):]
		}
		if !names[base] {
			continue
		}
		for _, sz := range sizes {
			if sz[0] > 300 && base != "420" && base != "cmyk" {
				continue // the largest size for two kinds only, to keep the test short
			}
			data := generate(k, sz[0], sz[1], 85)
			cfg, err := DecodeConfig(bytes.NewReader(data))
			require.NoError(t, err)
			for _, s := range []int{1, 2, 4, 8} {
				t.Run(fmt.Sprintf("%s/%dx%d/scale%d", k.name, sz[0], sz[1], s), func(t *testing.T) {
					bound := MemoryBound(cfg, s)
					got, err := allocated(data, s)
					require.NoError(t, err)
					assert.LessOrEqual(t, got, uint64(bound), "Decode allocates no more than MemoryBound")
					assert.LessOrEqual(t, float64(bound), 1.5*float64(got)+64<<10, "MemoryBound is close (measured %d)", got)
				})
			}
		}
	}
}

// TestMemoryBoundRealFiles checks the bound on every file of the real corpus, at every scale,
// whether or not it decodes (a truncated file allocates too).
func TestMemoryBoundRealFiles(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, f := range shortCorpus() {
		cfg, err := DecodeConfig(bytes.NewReader(f.data))
		if err != nil {
			continue
		}
		for _, s := range []int{1, 2, 4, 8} {
			got, _ := allocated(f.data, s)
			assert.LessOrEqual(t, got, uint64(MemoryBound(cfg, s)), "%s at scale %d", f.name, s)
		}
	}
}

// TestMemoryFigures logs what MemoryBound gives per pixel for a 2048² photo, against what image/jpeg
// allocates, for BENCHMARKS.md.
func TestMemoryFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("figures only")
	}
	for _, k := range []kind{kinds[8], kinds[9], kinds[0], kinds[1], kinds[4], kinds[5], kinds[22], kinds[23]} {
		cfg := Config{Width: 2048, Height: 2048, Components: len(k.sampling), ColorSpace: k.space, Progressive: k.progressive}
		copy(cfg.Sampling[:], k.sampling)
		line := fmt.Sprintf("%-24s", k.name)
		for _, s := range []int{1, 2, 4, 8} {
			line += fmt.Sprintf(" 1/%d: %6.3f B/px", s, float64(MemoryBound(cfg, s))/(2048*2048))
		}
		t.Log(line)
	}
}
