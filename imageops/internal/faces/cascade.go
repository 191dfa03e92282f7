package faces

import (
	"encoding/binary"
	"errors"
	"image"
	"math"
	"sort"
)

// cascade is pigo's trained classifier (the facefinder file), unpacked: an ensemble of binary
// decision trees of the same depth, each node comparing two pixels of the window, read as
// offsets from the window's centre in 1/256 of the window side.
type cascade struct {
	depth      int       // tree depth (6 for facefinder)
	leaves     int       // 1 << depth
	trees      int       // number of trees (468 for facefinder)
	codes      []int8    // per tree, per node (index 1 to leaves-1; index 0 unused): row1, col1, row2, col2
	preds      []float32 // per tree, per leaf: its score
	thresholds []float32 // per tree: a window whose running score is at most this is rejected
}

// unpackCascade reads a pigo cascade file: 8 bytes skipped, the depth and the number of trees
// (uint32, little-endian), then for each tree its 4·(2^depth−1) node codes (int8), its 2^depth
// leaf scores and its threshold (float32, little-endian).
func unpackCascade(b []byte) (*cascade, error) {
	if len(b) < 16 {
		return nil, errors.New("cascade file too short")
	}
	depth := int(binary.LittleEndian.Uint32(b[8:]))
	trees := int(binary.LittleEndian.Uint32(b[12:]))
	if depth < 1 || depth > 12 || trees < 1 || trees > 1<<16 {
		return nil, errors.New("cascade file: implausible depth or tree count")
	}
	leaves := 1 << depth
	per := 4*(leaves-1) + 4*leaves + 4
	if len(b) < 16+trees*per {
		return nil, errors.New("cascade file truncated")
	}
	c := &cascade{depth: depth, leaves: leaves, trees: trees,
		codes: make([]int8, 0, trees*4*leaves), preds: make([]float32, 0, trees*leaves), thresholds: make([]float32, 0, trees)}
	pos := 16
	for range trees {
		c.codes = append(c.codes, 0, 0, 0, 0)
		for _, v := range b[pos : pos+4*(leaves-1)] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4 * (leaves - 1)
		for range leaves {
			c.preds = append(c.preds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
		c.thresholds = append(c.thresholds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
		pos += 4
	}
	return c, nil
}

// detection is one window that passed every tree: its centre, side and score (the running score
// minus the last tree's threshold, > 0), as pigo's RunCascade reports it; or a merged face.
type detection struct {
	row, col, scale int
	q               float32
}

// rect is d's window: a square of side scale around (col, row), as pigo draws it.
func (d detection) rect() image.Rectangle {
	half := d.scale / 2
	return image.Rect(d.col-half, d.row-half, d.col-half+d.scale, d.row-half+d.scale)
}

// scan is the work of one run of the cascade over a picture at one window side. pigo reads the
// pixel at row ((r·256 + code·scale) >> 8), which is r + ((code·scale) >> 8) (an arithmetic shift
// floors), so a node's two pixels are at offsets from the window's centre that depend on the side
// only: they are computed once per side, for the first preTrees trees (through which almost every
// window is rejected), and from two tables of the 256 possible codes for the deeper trees.
type scan struct {
	c        *cascade
	offs     [preTrees * 2 * 64]int32 // per tree, per node: the two offsets (index 2·node, 2·node+1)
	ready    int                      // trees whose offsets are filled
	rowOff   [256]int32               // per code: its row offset times the row stride
	colOff   [256]int32               // per code: its column offset
	scale    int
	dim      int
	filledAt [2]int // the side and stride rowOff and colOff are for
}

// preTrees is how many trees' offsets a scan computes ahead (a window that gets through them is
// rare: a face, or something close).
const preTrees = 10

// reset prepares s for windows of side scale in a buffer of row stride dim.
func (s *scan) reset(c *cascade, scale, dim int) {
	s.c, s.scale, s.dim = c, scale, dim
	if s.filledAt != [2]int{scale, dim} {
		s.ready = 0
		for code := range 256 {
			d := (int(int8(code)) * scale) >> 8
			s.rowOff[code] = int32(d * dim)
			s.colOff[code] = int32(d)
		}
		s.filledAt = [2]int{scale, dim}
	}
}

// fill makes the offsets of the trees up to and including tree t (< preTrees) ready.
func (s *scan) fill(t int) {
	c := s.c
	for ; s.ready <= t; s.ready++ {
		tree := s.ready
		codes := c.codes[tree*4*c.leaves : (tree+1)*4*c.leaves]
		offs := s.offs[tree*2*c.leaves : (tree+1)*2*c.leaves]
		for n := 1; n < c.leaves; n++ {
			offs[2*n] = s.rowOff[uint8(codes[4*n])] + s.colOff[uint8(codes[4*n+1])]
			offs[2*n+1] = s.rowOff[uint8(codes[4*n+2])] + s.colOff[uint8(codes[4*n+3])]
		}
	}
}

// classify runs the cascade on the window centred at pix[base] and returns how many trees it
// passed and its score: when it passed them all, the running score minus the last threshold
// (> 0; pigo's classifyRegion, bit for bit), else the running score where it was rejected.
func (s *scan) classify(pix []uint8, base int) (int, float32) {
	c := s.c
	leaves := c.leaves
	var q float32
	t := 0
	for ; t < min(c.trees, preTrees); t++ {
		if t >= s.ready {
			s.fill(min(c.trees, preTrees, 2*t+8) - 1)
		}
		offs := s.offs[t*2*leaves : (t+1)*2*leaves]
		idx := 1
		for range c.depth {
			a, b := int(pix[base+int(offs[2*idx])]), int(pix[base+int(offs[2*idx+1])])
			// Without a branch (the outcome is a coin toss): the right child when a <= b.
			idx = 2*idx + 1 + (b-a)>>63
		}
		q += c.preds[t*leaves+idx-leaves]
		if q <= c.thresholds[t] {
			return t, q
		}
	}
	for ; t < c.trees; t++ {
		codes := c.codes[t*4*leaves : (t+1)*4*leaves]
		idx := 1
		for range c.depth {
			o1 := s.rowOff[uint8(codes[4*idx])] + s.colOff[uint8(codes[4*idx+1])]
			o2 := s.rowOff[uint8(codes[4*idx+2])] + s.colOff[uint8(codes[4*idx+3])]
			a, b := int(pix[base+int(o1)]), int(pix[base+int(o2)])
			idx = 2*idx + 1 + (b-a)>>63
		}
		q += c.preds[t*leaves+idx-leaves]
		if q <= c.thresholds[t] {
			return t, q
		}
	}
	return c.trees, q - c.thresholds[c.trees-1]
}

// layout says which windows a run looks at: sides from minSize (growing by scaleFactor, at least
// 2 px at a time) to maxSize; for each, centres every shiftFactor of the side from side/2+1 px off
// the edges (when centred, the grid of centres is moved by half what is left over at the far
// edges, so that it is as far from both), and when centres is not empty only inside it (counted
// from its corner), and when mask is not nil only in its allowed cells.
type layout struct {
	minSize, maxSize         int
	shiftFactor, scaleFactor float64
	centred                  bool
	centres                  image.Rectangle
	mask                     *Mask
}

// nextScale is the side after scale.
func (l *layout) nextScale(scale int) int {
	return int(float64(scale) + math.Max(2, float64(scale)*l.scaleFactor-float64(scale)))
}

// span returns the step and the range of window centres for one side in a w×h picture (ok false:
// none).
func (l *layout) span(scale, w, h int) (step, r0, r1, c0, c1 int, ok bool) {
	step = int(math.Max(l.shiftFactor*float64(scale), 1))
	offset := scale/2 + 1
	r0, r1, c0, c1 = offset, h-offset, offset, w-offset
	if l.centred && r0 <= r1 && c0 <= c1 {
		r0 += (r1 - r0) % step / 2
		c0 += (c1 - c0) % step / 2
	}

	if !l.centres.Empty() {
		r0, r1 = max(r0, l.centres.Min.Y), min(r1, l.centres.Max.Y-1)
		c0, c1 = max(c0, l.centres.Min.X), min(c1, l.centres.Max.X-1)
	}
	return step, r0, r1, c0, c1, r0 <= r1 && c0 <= c1
}

// allowed reports whether the mask (if any) lets a window centred at (col, row) be looked at.
func (l *layout) allowed(row, col int) bool {
	m := l.mask
	return m == nil || m.Allowed[min(row/m.Cell, m.Rows-1)*m.Cols+min(col/m.Cell, m.Cols-1)]
}

// run is pigo's RunCascade (without rotation) on a w×h picture of row stride dim, over the
// windows of l (pigo's when l has no maxStep, centres or mask). It calls seen for every window
// that passed at least minTrees trees, in pigo's order (by side, then row, then column).
func (c *cascade) run(s *scan, pix []uint8, w, h, dim int, l layout, minTrees int, seen func(row, col, scale, passed int, q float32)) {
	for scale := l.minSize; scale <= l.maxSize; scale = l.nextScale(scale) {
		step, r0, r1, c0, c1, ok := l.span(scale, w, h)
		if !ok {
			continue
		}
		s.reset(c, scale, dim)
		for row := r0; row <= r1; row += step {
			for col := c0; col <= c1; col += step {
				if !l.allowed(row, col) {
					continue
				}
				if passed, q := s.classify(pix, row*dim+col); passed >= minTrees {
					seen(row, col, scale, passed, q)
				}
			}
		}
	}
}

// each calls visit for every window of l in a w×h picture, in run's order, without running the
// cascade.
func (l *layout) each(w, h int, visit func(row, col, scale int)) {
	for scale := l.minSize; scale <= l.maxSize; scale = l.nextScale(scale) {
		step, r0, r1, c0, c1, ok := l.span(scale, w, h)
		if !ok {
			continue
		}
		for row := r0; row <= r1; row += step {
			for col := c0; col <= c1; col += step {
				if l.allowed(row, col) {
					visit(row, col, scale)
				}
			}
		}
	}
}

// cluster merges raw detections as pigo's ClusterDetections does — ordered by score, lowest
// first; each detection not yet merged starts a face that sums every detection (merged or not)
// whose overlap with it (intersection over union) is above iou, and averages their centres and
// sides — but looks only at detections near it (sorted by column), so that many detections on a
// detailed picture do not cost the square of their number.
//
// Its buffers are buf's, kept for the next call; the result is valid until then.
func cluster(dets []detection, iou float64, buf *clusterBuf) []detection {
	if len(dets) == 0 {
		return nil
	}
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].q < dets[j].q })
	byCol := grow(&buf.byCol, len(dets))
	maxScale := 0
	for i := range byCol {
		byCol[i] = i
		maxScale = max(maxScale, dets[i].scale)
	}
	sort.Slice(byCol, func(i, j int) bool {
		a, b := dets[byCol[i]], dets[byCol[j]]
		if a.col != b.col {
			return a.col < b.col
		}
		return byCol[i] < byCol[j]
	})
	assigned := grow(&buf.assigned, len(dets))
	clear(assigned)
	members := buf.members[:0]
	out := buf.merged[:0]
	for i, d := range dets {
		if assigned[i] {
			continue
		}
		// Overlapping windows have centres less than half the sum of their sides apart.
		reach := (d.scale+maxScale)/2 + 1
		lo := sort.Search(len(byCol), func(k int) bool { return dets[byCol[k]].col >= d.col-reach })
		members = members[:0]
		for k := lo; k < len(byCol) && dets[byCol[k]].col <= d.col+reach; k++ {
			if j := byCol[k]; overlap(d, dets[j]) > iou {
				members = append(members, j)
			}
		}
		sort.Ints(members) // pigo sums in score order: the same float32 sums
		var r, c, s, n int
		var q float32
		for _, j := range members {
			assigned[j] = true
			r += dets[j].row
			c += dets[j].col
			s += dets[j].scale
			q += dets[j].q
			n++
		}
		if n > 0 {
			out = append(out, detection{r / n, c / n, s / n, q})
		}
	}
	buf.members, buf.merged = members, out
	return out
}

// clusterBuf holds cluster's buffers from one call to the next.
type clusterBuf struct {
	byCol, members []int
	assigned       []bool
	merged         []detection
}

// grow returns (*buf)[:n], reallocating *buf when it is too small.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n, max(n, 2*cap(*buf)))
	}
	return (*buf)[:n]
}

// overlap is pigo's intersection over union of two detections' windows.
func overlap(a, b detection) float64 {
	r1, c1, s1 := float64(a.row), float64(a.col), float64(a.scale)
	r2, c2, s2 := float64(b.row), float64(b.col), float64(b.scale)
	overRow := math.Max(0, math.Min(r1+s1/2, r2+s2/2)-math.Max(r1-s1/2, r2-s2/2))
	overCol := math.Max(0, math.Min(c1+s1/2, c2+s2/2)-math.Max(c1-s1/2, c2-s2/2))
	return overRow * overCol / (s1*s1 + s2*s2 - overRow*overCol)
}
