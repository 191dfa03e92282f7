package jpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knownDifference reports whether err is one of the errors by which this package deliberately
// refuses a file that image/jpeg decodes (see the package documentation).
func knownDifference(err error) bool {
	return errors.Is(err, errCoefficientRange) || errors.Is(err, errTooManyScans) ||
		errors.Is(err, errLateColorMarker) || errors.Is(err, errNoAdobe)
}

// checkAgainstStdlib decodes data with image/jpeg and with Decode at every scale, and checks that
// scale 1 is identical, that every scale has the right size and type, and that DecodeConfig
// agrees. It returns the reduction errors (mean absolute difference per channel) at scales 2,
// 4 and 8, or nil when image/jpeg does not decode the file.
func checkAgainstStdlib(t *testing.T, data []byte) (mads map[int][]float64) {
	t.Helper()
	want, stdErr := stdjpeg.Decode(bytes.NewReader(data))
	got, err := Decode(bytes.NewReader(data), 1)
	if stdErr != nil {
		require.EqualError(t, err, stdErr.Error(), "the same error as image/jpeg")
		return nil
	}
	if knownDifference(err) {
		t.Logf("deliberate difference: %v", err)
		return nil
	}
	require.NoError(t, err, "image/jpeg decodes the file")
	require.Empty(t, sameImage(want, got), "scale 1 is image/jpeg's image")

	cfg, err := DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, want.Bounds(), image.Rect(0, 0, cfg.Width, cfg.Height))
	assert.Equal(t, want.ColorModel(), cfg.ColorModel())
	if y, ok := want.(*image.YCbCr); ok {
		assert.Equal(t, y.SubsampleRatio, cfg.SubsampleRatio())
	}

	mads = map[int][]float64{}
	for _, s := range []int{2, 4, 8} {
		m, err := Decode(bytes.NewReader(data), s)
		require.NoError(t, err, "scale %d", s)
		w, h := cfg.ScaledSize(s)
		require.Equal(t, image.Rect(0, 0, w, h), m.Bounds(), "scale %d", s)
		require.Equal(t, fmt.Sprintf("%T", want), fmt.Sprintf("%T", m), "scale %d", s)
		if y, ok := want.(*image.YCbCr); ok {
			require.Equal(t, y.SubsampleRatio, m.(*image.YCbCr).SubsampleRatio)
		}
		mads[s], _ = reductionError(want, m, s)
	}
	return mads
}

func TestGeneratedMatchStdlib(t *testing.T) {
	sizes := [][2]int{{1, 1}, {8, 8}, {17, 9}, {61, 47}, {250, 190}}
	if light() {
		sizes = [][2]int{{1, 1}, {17, 9}, {61, 47}}
	}
	for _, k := range kinds {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", k.name, sz[0], sz[1]), func(t *testing.T) {
				data := generate(k, sz[0], sz[1], 85)
				cfg, err := DecodeConfig(bytes.NewReader(data))
				require.NoError(t, err)
				assert.Equal(t, k.space, cfg.ColorSpace)
				assert.Equal(t, k.progressive, cfg.Progressive)
				if k.space != Gray {
					assert.Equal(t, k.sampling, cfg.Sampling[:len(k.sampling)])
				}
				mads := checkAgainstStdlib(t, data)
				require.NotNil(t, mads, "image/jpeg decodes the generated file")
			})
		}
	}
}

func TestRealCorpusMatchesStdlib(t *testing.T) {
	files := shortCorpus()
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			checkAgainstStdlib(t, f.data)
		})
	}
}

// TestProgressiveEqualsSequential checks the progressive path against the sequential one: the
// test encoder writes the same coefficients either way, so every scale must give the same image.
func TestProgressiveEqualsSequential(t *testing.T) {
	sizes := [][2]int{{33, 17}, {160, 120}}
	if light() {
		sizes = sizes[:1]
	}
	for _, k := range kinds {
		if !k.progressive {
			continue
		}
		seq := k
		seq.progressive = false
		for _, sz := range sizes {
			p, q := generate(k, sz[0], sz[1], 90), generate(seq, sz[0], sz[1], 90)
			for _, s := range []int{1, 2, 4, 8} {
				a, err := Decode(bytes.NewReader(p), s)
				require.NoError(t, err)
				b, err := Decode(bytes.NewReader(q), s)
				require.NoError(t, err)
				require.Empty(t, sameImage(a, b), "%s %v scale %d", k.name, sz, s)
			}
		}
	}
}
