package imageops

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"math"
	"sort"

	"github.com/avatarkit/avatarkit/imageops/internal/faces"
	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// Analysis is what [Analyze] finds in a source picture: its faces and a coarse map of where its
// detail is. Everything is in the coordinates of the upright source (after EXIF orientation),
// whose size is Width×Height. It is what g_face, g_faces and g_auto need; a cache computes it
// once per original ([Analyze]) and hands it to every [TransformWith] of that original, so that
// twenty sizes of one avatar detect faces once.
//
// An Analysis is immutable once made: TransformWith only reads it and may be called with the
// same Analysis from many goroutines.
type Analysis struct {
	// Width and Height are the size of the upright source analysed, px. TransformWith refuses
	// an Analysis of a picture of another size.
	Width, Height int
	// Faces are the detected faces, largest first (at most MaxFaces), each inside
	// (0,0)-(Width,Height) and non-empty. Empty when no face was found.
	Faces []image.Rectangle
	// Energy says where the picture's detail is, for g_auto when there is no face.
	Energy Energy
}

// Energy is a coarse grid of the amount of detail (edge energy: the gradient magnitude of the
// luma) over the picture. The grid has Cols×Rows cells covering the picture evenly: cell (i, j)
// covers x from i·Width/Cols to (i+1)·Width/Cols and likewise for y. Cells holds them row by
// row, each scaled so that the largest is 255 (all 0 for a flat picture). The zero Energy (no
// grid) means "no detail anywhere".
type Energy struct {
	Cols, Rows int
	Cells      []uint8
}

// Limits of an Analysis, enforced by UnmarshalBinary and TransformWith.
const (
	// MaxFaces is the most faces an Analysis keeps (the largest ones).
	MaxFaces = 64
	// MaxEnergyCells is the largest Cols and Rows of an Energy grid.
	MaxEnergyCells = 64
	// maxAnalysisSide bounds Width and Height (a 50-megapixel source is at most this long).
	maxAnalysisSide = 1 << 26
)

// energyCells is the number of grid cells Analyze makes along the picture's long side.
const energyCells = 32

// Face detection runs pigo (imageops/internal/faces) on grayscale copies sized by the picture's
// short side, whatever its aspect ratio, in up to two levels, and checks every weak or small
// candidate again at a finer step before keeping it:
//
//   - Level A, the main search: a copy with a short side of detectShort px (at most
//     detectMaxPixels in all: a very wide or tall picture gets a smaller one), every window size
//     from 20 px (1/8 of the short side) up, with pigo's coarse step. A face scoring at least
//     strongQ is kept as it is; one scoring less is verified.
//   - Level B, smaller faces: when level A kept no face or only faces smaller than a quarter of the short side (a close portrait
//     does not look further), a copy with a short side of smallShort px (at most smallMaxPixels)
//     is searched for windows of 20 to smallMaxFace px (1/16 to 3/20 of the short side), if that
//     copy is at least 1.5 times level A's (a short side of 240 px or more). Its
//     candidates, at most maxVerify of them, best first, are verified.
//   - Verification: the candidate's surroundings (the box grown by half its side on every side)
//     are cut from the decoded picture and scaled so that the box is verifySide px (never
//     enlarged), and pigo searches it again, every 5 % of the window side and window sizes 5 %
//     apart around the candidate's; the candidate is kept, with the box of that search, when the
//     best merged score reaches verifyQ. Real faces score far above it; the foliage, fur and
//     patterns that fool the coarse search score far below (see the evaluation in
//     eval_test.go).
const (
	detectShort     = 160
	detectMaxPixels = 160 * 640
	strongQ         = 20
	smallShort      = 320
	smallMaxPixels  = 320 * 960
	smallMaxFace    = 48
	maxVerify       = 8
	verifySide      = 40
	verifyQ         = 40
)

// The detector's parameters for each search.
var (
	passA = faces.Params{MinSize: 20, ShiftFactor: 0.15, ScaleFactor: 1.15, IoU: 0.2, MinQ: 8}
	passB = faces.Params{MinSize: 20, MaxSize: smallMaxFace, ShiftFactor: 0.12, ScaleFactor: 1.12, IoU: 0.2, MinQ: 0.5}
	// passVerify's MinSize and MaxSize are set per candidate.
	passVerify = faces.Params{ShiftFactor: 0.05, ScaleFactor: 1.05, IoU: 0.2, MinQ: 0.5}
)

// verifyTrace, when set (by tests), sees every verification: the candidate and its score.
var verifyTrace func(candidate image.Rectangle, q float32)

// levelSize returns the size of a grayscale copy of a w×h picture with a short side of short px
// and at most maxPixels pixels (never enlarged), and its scale.
func levelSize(w, h, short, maxPixels int) (dw, dh int, s float64) {
	s = math.Min(1, float64(short)/float64(min(w, h)))
	if a := float64(w) * float64(h) * s * s; a > float64(maxPixels) {
		s *= math.Sqrt(float64(maxPixels) / a)
	}
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s))), s
}

// Analyze decodes src (after the same checks as [Transform]: byte size, format, pixel count,
// KindSourceLimit / KindBadSource) and analyses the upright picture: faces (pigo, on grayscale
// copies sized by the picture's short side; see the package documentation) and the detail grid.
// It does not depend on any transformation, so its result serves every variant of src. ctx is
// checked before decoding and before detecting; its error is returned as it is.
func Analyze(ctx context.Context, src []byte, lim Limits) (*Analysis, error) {
	lim = lim.WithDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := inspect(src, lim)
	if err != nil {
		return nil, err
	}
	if _, err := EstimateAnalysis(src, lim); err != nil {
		return nil, err
	}
	img, err := decode(src, info, analysisScale(info))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, h := info.uprightSize()
	return analyzeAt(img, w, h), nil
}

// candidate is a face found by a search, in the picture's coordinates.
type candidate struct {
	r image.Rectangle
	q float32
}

// analyze analyses an upright decoded picture.
func analyze(img image.Image) *Analysis {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	a := &Analysis{Width: w, Height: h}
	full := image.Rect(0, 0, w, h)
	short := min(w, h)

	// Level A.
	dw, dh, s := levelSize(w, h, detectShort, detectMaxPixels)
	gray := grayCopy(img, dw, dh)
	var kept []image.Rectangle
	for _, c := range search(gray, dw, dh, s, passA, full) {
		if c.q >= strongQ {
			kept = append(kept, c.r)
		} else if r, ok := verify(img, c.r); ok {
			kept = append(kept, r)
		}
	}
	a.Energy = energyGrid(gray, dw, dh)

	// Level B.
	largest := 0
	for _, r := range kept {
		largest = max(largest, r.Dx())
	}
	if 4*largest < short {
		bw, bh, bs := levelSize(w, h, smallShort, smallMaxPixels)
		if bs > 1.5*s {
			cands := search(grayCopy(img, bw, bh), bw, bh, bs, passB, full)
			sort.SliceStable(cands, func(i, j int) bool { return cands[i].q > cands[j].q })
			tried := 0
			for _, c := range cands {
				if tried == maxVerify {
					break
				}
				if overlapsAny(c.r, kept) {
					continue
				}
				tried++
				if r, ok := verify(img, c.r); ok && !overlapsAny(r, kept) {
					kept = append(kept, r)
				}
			}
		}
	}
	for _, r := range kept {
		if r = r.Intersect(full); !r.Empty() && len(a.Faces) < MaxFaces {
			a.Faces = append(a.Faces, r)
		}
	}
	sortFaces(a.Faces)
	return a
}

// search runs the detector with p on a dw×dh grayscale copy at scale s of the picture and returns
// its faces in the picture's coordinates (clipped to full).
func search(gray []uint8, dw, dh int, s float64, p faces.Params, full image.Rectangle) []candidate {
	var out []candidate
	for _, f := range faces.DetectWith(gray, dw, dh, dw, p) {
		r := scaleRect(f.Rect, 1/s).Intersect(full)
		if !r.Empty() {
			out = append(out, candidate{r, f.Q})
		}
	}
	return out
}

// scaleRect multiplies r's coordinates by k, rounding.
func scaleRect(r image.Rectangle, k float64) image.Rectangle {
	return image.Rect(
		int(math.Round(float64(r.Min.X)*k)), int(math.Round(float64(r.Min.Y)*k)),
		int(math.Round(float64(r.Max.X)*k)), int(math.Round(float64(r.Max.Y)*k)),
	)
}

// overlapsAny reports whether r's centre is inside one of rs, or one of theirs inside r: the
// same face found twice.
func overlapsAny(r image.Rectangle, rs []image.Rectangle) bool {
	c := r.Min.Add(r.Max).Div(2)
	for _, o := range rs {
		if c.In(o) || o.Min.Add(o.Max).Div(2).In(r) {
			return true
		}
	}
	return false
}

// verify searches the surroundings of a candidate box again at a fine step (see the comment on
// the constants above) and returns the face found there, if it scores at least verifyQ.
func verify(img image.Image, box image.Rectangle) (image.Rectangle, bool) {
	b := img.Bounds()
	side := max(box.Dx(), box.Dy())
	if side < 1 {
		return image.Rectangle{}, false
	}
	region := box.Inset(-side / 2).Intersect(image.Rect(0, 0, b.Dx(), b.Dy()))
	k := math.Min(1, float64(verifySide)/float64(side))
	pw, ph := max(1, int(math.Round(float64(region.Dx())*k))), max(1, int(math.Round(float64(region.Dy())*k)))
	sub := subImage(img, region.Add(b.Min))
	gray := grayCopy(sub, pw, ph)
	p := passVerify
	ks := float64(side) * k
	p.MinSize, p.MaxSize = max(8, int(math.Round(0.75*ks))), int(math.Round(1.33*ks))
	var best faces.Face
	for _, f := range faces.DetectWith(gray, pw, ph, pw, p) {
		if f.Q > best.Q {
			best = f
		}
	}
	if verifyTrace != nil {
		verifyTrace(box, best.Q)
	}
	if best.Q < verifyQ {
		return image.Rectangle{}, false
	}
	return scaleRect(best.Rect, 1/k).Add(region.Min), true
}

// sortFaces orders faces largest first, then top to bottom, left to right (a total order, so the
// result does not depend on the detector's order).
func sortFaces(fs []image.Rectangle) {
	sort.SliceStable(fs, func(i, j int) bool {
		ai, aj := fs[i].Dx()*fs[i].Dy(), fs[j].Dx()*fs[j].Dy()
		if ai != aj {
			return ai > aj
		}
		if fs[i].Min.Y != fs[j].Min.Y {
			return fs[i].Min.Y < fs[j].Min.Y
		}
		return fs[i].Min.X < fs[j].Min.X
	})
}

// grayCopy returns img scaled to dw×dh as luma, one byte per pixel, row by row. A JPEG's Y plane
// is used directly (it already is the luma); other images are resized in colour, then converted.
func grayCopy(img image.Image, dw, dh int) []uint8 {
	var small *image.RGBA
	if y, ok := img.(*image.YCbCr); ok {
		b := y.Bounds()
		plane := &image.Gray{Pix: y.Y[y.YOffset(b.Min.X, b.Min.Y):], Stride: y.YStride, Rect: image.Rect(0, 0, b.Dx(), b.Dy())}
		small = resize.Resize(plane, dw, dh)
	} else {
		small = resize.Resize(img, dw, dh)
	}
	g := make([]uint8, dw*dh)
	for i := range g {
		p := small.Pix[4*i : 4*i+3]
		g[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return g
}

// energyGrid sums the gradient magnitude of the w×h luma g into a grid of at most energyCells
// cells along the long side, scaled so that the largest cell is 255.
func energyGrid(g []uint8, w, h int) Energy {
	long := max(w, h)
	cols := max(1, min(w, int(math.Round(float64(energyCells*w)/float64(long)))))
	rows := max(1, min(h, int(math.Round(float64(energyCells*h)/float64(long)))))
	sums := make([]float64, cols*rows)
	for y := 1; y < h-1; y++ {
		j := y * rows / h
		for x := 1; x < w-1; x++ {
			i := x * cols / w
			dx := int(g[y*w+x+1]) - int(g[y*w+x-1])
			dy := int(g[(y+1)*w+x]) - int(g[(y-1)*w+x])
			sums[j*cols+i] += math.Sqrt(float64(dx*dx + dy*dy))
		}
	}
	// Cells may differ in size by a pixel: compare densities.
	top := 0.0
	for j := range rows {
		for i := range cols {
			cw := (i+1)*w/cols - i*w/cols
			ch := (j+1)*h/rows - j*h/rows
			sums[j*cols+i] /= float64(max(1, cw*ch))
			top = math.Max(top, sums[j*cols+i])
		}
	}
	e := Energy{Cols: cols, Rows: rows, Cells: make([]uint8, cols*rows)}
	if top > 0 {
		for k, v := range sums {
			e.Cells[k] = uint8(math.Round(v / top * 255))
		}
	}
	return e
}

// analysisMagic starts every marshalled Analysis: a name and a format version.
const analysisMagic = "akA1"

// MarshalBinary encodes a compactly (a few hundred bytes to about a kilobyte): the magic
// "akA1", then unsigned varints: Width, Height, the number of faces and for each its Min.X,
// Min.Y, Dx, Dy; then Cols, Rows and the Cols×Rows energy bytes. It fails on an invalid Analysis
// (see the field documentation).
func (a *Analysis) MarshalBinary() ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(analysisMagic)+8+len(a.Faces)*8+4+len(a.Energy.Cells))
	b = append(b, analysisMagic...)
	b = binary.AppendUvarint(b, uint64(a.Width))
	b = binary.AppendUvarint(b, uint64(a.Height))
	b = binary.AppendUvarint(b, uint64(len(a.Faces)))
	for _, f := range a.Faces {
		b = binary.AppendUvarint(b, uint64(f.Min.X))
		b = binary.AppendUvarint(b, uint64(f.Min.Y))
		b = binary.AppendUvarint(b, uint64(f.Dx()))
		b = binary.AppendUvarint(b, uint64(f.Dy()))
	}
	b = binary.AppendUvarint(b, uint64(a.Energy.Cols))
	b = binary.AppendUvarint(b, uint64(a.Energy.Rows))
	b = append(b, a.Energy.Cells...)
	return b, nil
}

// errBadAnalysis is what UnmarshalBinary returns for bytes that are not a marshalled Analysis.
var errBadAnalysis = errors.New("imageops: not a valid marshalled Analysis")

// UnmarshalBinary decodes what MarshalBinary wrote. Anything else — another magic, a truncated
// or over-long input, a non-minimal varint, a value out of range, a face outside the picture —
// is an error, and a is left unchanged.
func (a *Analysis) UnmarshalBinary(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(analysisMagic))
	if !ok {
		return errBadAnalysis
	}
	next := func(limit uint64) (int, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > limit {
			return 0, false
		}
		rest = rest[n:]
		return int(v), true
	}
	var out Analysis
	var okW, okH bool
	out.Width, okW = next(maxAnalysisSide)
	out.Height, okH = next(maxAnalysisSide)
	n, okN := next(MaxFaces)
	if !okW || !okH || !okN {
		return errBadAnalysis
	}
	if n > 0 {
		out.Faces = make([]image.Rectangle, n)
	}
	for i := range out.Faces {
		x, ok1 := next(maxAnalysisSide)
		y, ok2 := next(maxAnalysisSide)
		dx, ok3 := next(maxAnalysisSide)
		dy, ok4 := next(maxAnalysisSide)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return errBadAnalysis
		}
		out.Faces[i] = image.Rect(x, y, x+dx, y+dy)
	}
	cols, ok1 := next(MaxEnergyCells)
	rows, ok2 := next(MaxEnergyCells)
	if !ok1 || !ok2 || len(rest) != cols*rows {
		return errBadAnalysis
	}
	out.Energy = Energy{Cols: cols, Rows: rows}
	if cols*rows > 0 {
		out.Energy.Cells = bytes.Clone(rest)
	}
	if out.validate() != nil {
		return errBadAnalysis
	}
	// Only the canonical encoding is accepted (minimal varints), so that equal analyses have
	// equal bytes.
	if again, err := out.MarshalBinary(); err != nil || !bytes.Equal(again, data) {
		return errBadAnalysis
	}
	*a = out
	return nil
}

// validate checks the documented invariants of a.
func (a *Analysis) validate() *Error {
	bad := func(format string, args ...any) *Error {
		return errorf(KindBadParam, "", "invalid Analysis: "+format, args...)
	}
	if a == nil {
		return bad("nil")
	}
	if a.Width < 1 || a.Height < 1 || a.Width > maxAnalysisSide || a.Height > maxAnalysisSide {
		return bad("size %d×%d", a.Width, a.Height)
	}
	if len(a.Faces) > MaxFaces {
		return bad("%d faces, more than %d", len(a.Faces), MaxFaces)
	}
	full := image.Rect(0, 0, a.Width, a.Height)
	for _, f := range a.Faces {
		if f.Empty() || !f.In(full) {
			return bad("face %v is empty or outside the %d×%d picture", f, a.Width, a.Height)
		}
	}
	e := a.Energy
	if e.Cols < 0 || e.Rows < 0 || e.Cols > MaxEnergyCells || e.Rows > MaxEnergyCells ||
		(e.Cols == 0) != (e.Rows == 0) || len(e.Cells) != e.Cols*e.Rows {
		return bad("energy grid %d×%d with %d cells", e.Cols, e.Rows, len(e.Cells))
	}
	return nil
}

// analysisWorkBytes returns an upper bound of the bytes analysing a w×h decoded picture
// (ycbcr: a JPEG's YCbCr, whose luma plane is read directly; else an RGBA-like picture, which the
// resizer reads through wider buffers) allocates beyond the decoded picture itself: for each of the two grayscale copies (levels A
// and B, see the constants above) the resizer's RGBA result, its scratch rows and the luma bytes,
// plus the candidates' verification patches and the detector's raw detections. It depends only
// on the size, so a caller can budget memory before decoding. The bound is checked against
// measured allocations in TestAnalysisWorkBytes.
func analysisWorkBytes(w, h int, ycbcr bool) int64 {
	if w < 1 || h < 1 {
		return 0
	}
	level := func(short, maxPixels int) int64 {
		dw, dh, _ := levelSize(w, h, short, maxPixels)
		// RGBA result (4), luma (1), the resizer's intermediate planes (int64 per two samples,
		// before and after transposition: 8), and rows of the source width for its box pass.
		return int64(dw)*int64(dh)*13 + int64(w)*64 + 16<<10
	}
	// Each verification patch is at most 2·verifySide px a side at the verification scale,
	// its source region at most the picture.
	verifyBytes := int64(maxVerify+4) * (int64(4*verifySide*verifySide)*13 + int64(w)*64 + 16<<10)
	// The resizer's box pass keeps int64 rows of the source's width; and a picture whose short
	// side is below a level's gets a copy at full size: a term in the source's size covers both.
	perPixel := int64(workBytesPerLumaPixel)
	if !ycbcr {
		perPixel = workBytesPerRGBAPixel
	}
	return level(detectShort, detectMaxPixels) + level(smallShort, smallMaxPixels) + verifyBytes + 64<<10 +
		int64(w)*int64(h)*perPixel
}

// analysisWorkBytes' allowance per pixel of the source: measured, the resizer's intermediate
// buffers come to about 0.7 (large JPEGs) to 3 (narrow ones) bytes per source pixel from a luma
// plane, and up to about 35 from an RGBA picture (its box pass keeps four channels in int64).
const (
	workBytesPerLumaPixel = 4
	workBytesPerRGBAPixel = 40
)
