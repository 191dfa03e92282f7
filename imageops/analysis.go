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

// Size of the grayscale copy faces are detected on: at most detectArea pixels and detectLong px
// on the long side (never enlarged). pigo finds faces of at least faces.Defaults.MinSize px in
// it, so on a square picture a face must be at least 1/8 of the side; profile pictures have much
// larger faces. A 3:1 picture gets a 277×92 copy, so faces of a third of its height are found.
const (
	detectArea = 160 * 160
	detectLong = 320
)

// Analyze decodes src (after the same checks as [Transform]: byte size, format, pixel count,
// KindSourceLimit / KindBadSource) and analyses the upright picture: faces (pigo, on a grayscale
// copy of at most 160×160 px worth of area) and the detail grid. It does not depend on any
// transformation, so its result serves every variant of src. ctx is checked before decoding and
// before detecting; its error is returned as it is.
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

// analyze analyses an upright decoded picture.
func analyze(img image.Image) *Analysis {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	a := &Analysis{Width: w, Height: h}
	s := math.Min(1, math.Min(math.Sqrt(detectArea/(float64(w)*float64(h))), detectLong/float64(max(w, h))))
	dw, dh := max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
	gray := grayCopy(img, dw, dh)

	// Faces, scaled back to the picture's coordinates.
	sx, sy := float64(w)/float64(dw), float64(h)/float64(dh)
	full := image.Rect(0, 0, w, h)
	for _, f := range faces.Detect(gray, dw, dh, dw) {
		r := image.Rect(
			int(math.Round(float64(f.Rect.Min.X)*sx)), int(math.Round(float64(f.Rect.Min.Y)*sy)),
			int(math.Round(float64(f.Rect.Max.X)*sx)), int(math.Round(float64(f.Rect.Max.Y)*sy)),
		).Intersect(full)
		if !r.Empty() {
			a.Faces = append(a.Faces, r)
		}
		if len(a.Faces) == MaxFaces {
			break
		}
	}
	sortFaces(a.Faces)
	a.Energy = energyGrid(gray, dw, dh)
	return a
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
