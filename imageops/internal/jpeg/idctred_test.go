package jpeg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReducedIDCTIsBoxMean checks the reduced inverse DCTs against their definition: the mean of
// each 2×2, 4×4 or 8×8 square of the block's full inverse DCT, computed in floating point.
func TestReducedIDCTIsBoxMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var q block // zig-zag order, as d.quant
	for i := range q {
		q[i] = int32(1 + rng.IntN(40))
	}
	q[0] = 3 // not a multiple of 8, so that the DC's mean needs rounding
	d := &decoder{quant: [maxTq + 1]block{q}}
	worst := map[int]float64{}
	for range 2000 {
		// Coefficients as an 8-bit JPEG has them: big at low frequencies, sparse at high ones.
		var coef block // natural order, quantized
		var f [blockSize]float64
		for zig := range blockSize {
			k := unzig[zig]
			if zig > 0 && rng.IntN(3) != 0 {
				continue
			}
			amp := 1024 / float64(q[zig]) / (1 + float64(zig)/4)
			coef[k] = int32(math.Round((rng.Float64()*2 - 1) * amp))
			f[k] = float64(coef[k] * q[zig])
		}
		full := idctFloat(&f)
		for _, s := range []int{2, 4, 8} {
			b := coef
			n := 8 / s
			switch s {
			case 2:
				idct4x4(&b, d.reducedQuant(0, 0))
			case 4:
				idct2x2(&b, d.reducedQuant(1, 0))
			case 8:
				b[0] = idct1x1(b[0], q[0])
			}
			for y := range n {
				for x := range n {
					var mean float64
					for yy := y * s; yy < y*s+s; yy++ {
						for xx := x * s; xx < x*s+s; xx++ {
							mean += full[yy*8+xx]
						}
					}
					mean /= float64(s * s)
					diff := math.Abs(float64(b[y*8+x]) - mean)
					worst[s] = max(worst[s], diff)
				}
			}
		}
	}
	for s, w := range worst {
		t.Logf("scale %d: largest difference from the exact mean %.3f", s, w)
		require.LessOrEqual(t, w, 0.55, "scale %d rounds the exact mean (±0.5, and a little fixed-point error)", s)
	}
}
