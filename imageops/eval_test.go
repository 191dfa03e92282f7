package imageops

import (
	"context"
	"image"
	"image/draw"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/faces"
	"github.com/avatarkit/avatarkit/imageops/internal/resize"
	"github.com/avatarkit/avatarkit/internal/facephotos"
)

// The evaluation of face detection on real photographs (internal/facephotos): how many of the
// hand-checked faces Analyze finds, how many g_face crops keep the whole face when the photograph
// stands at the edge of a wide banner (3.2:1) or a tall full-body shape (1:3), and that nothing
// is found in the photographs without people. TestFaceEvaluation reports the figures (-v) and
// guards them; without -short it also runs a careful full-resolution pigo on every picture, the
// reference Analyze must match.

// evalPicture is one picture of the evaluation: a photograph as it is, or placed in a banner.
type evalPicture struct {
	name  string
	src   []byte            // JPEG
	size  image.Point       // px
	faces []image.Rectangle // hand-checked, in the picture's coordinates
	photo facephotos.Photo
}

// backdrops are the photographs without people that fill the rest of a placement.
var backdrops = []string{"opencv-building.jpg", "opencv-aero3.jpg", "opencv-plant.jpg", "opencv-home.jpg", "opencv-fruits.jpg"}

var (
	evalOnce sync.Once
	evalSet  struct{ originals, placements, nopeople []evalPicture }
)

// evalPictures returns the evaluation's pictures (made once per test binary).
func evalPictures(t testing.TB) (originals, placements, nopeople []evalPicture) {
	t.Helper()
	evalOnce.Do(func() {
		for i, p := range facephotos.People {
			img := p.Image()
			evalSet.originals = append(evalSet.originals, evalPicture{
				name: p.Name, src: p.Bytes(), size: image.Pt(p.Width, p.Height), faces: p.Faces, photo: p})
			if len(p.Faces) == 0 {
				continue
			}
			back, _ := facephotos.Lookup(backdrops[i%len(backdrops)])
			for _, tall := range []bool{false, true} {
				m, faces := placement(img, back.Image(), p.Faces, tall, i%2 == 1)
				kind := "wide"
				if tall {
					kind = "tall"
				}
				evalSet.placements = append(evalSet.placements, evalPicture{
					name: p.Name + " " + kind, src: jpegBytes(t, m, 90), size: m.Rect.Size(), faces: faces, photo: p})
			}
		}
		for _, p := range facephotos.NoPeople {
			evalSet.nopeople = append(evalSet.nopeople, evalPicture{name: p.Name, src: p.Bytes(), size: image.Pt(p.Width, p.Height), photo: p})
		}
	})
	require.NotEmpty(t, evalSet.originals)
	return evalSet.originals, evalSet.placements, evalSet.nopeople
}

// placement puts photo at one end of a picture of the photo's short side... : a wide one (3.2:1,
// as tall as the photograph, the photograph at its left end, or right with far) or a tall one
// (1:3, as wide as the photograph, at its top, or bottom with far), the rest filled with back
// scaled to cover it. It returns the picture and the faces moved with the photograph.
func placement(photo, back image.Image, faces []image.Rectangle, tall, far bool) (*image.RGBA, []image.Rectangle) {
	pb := photo.Bounds()
	w, h := int(math.Round(3.2*float64(pb.Dy()))), pb.Dy()
	if tall {
		w, h = pb.Dx(), 3*pb.Dx()
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	bb := back.Bounds()
	s := math.Max(float64(w)/float64(bb.Dx()), float64(h)/float64(bb.Dy()))
	cover := resize.Resize(back, max(w, int(math.Ceil(float64(bb.Dx())*s))), max(h, int(math.Ceil(float64(bb.Dy())*s))))
	draw.Draw(m, m.Rect, cover, image.Point{}, draw.Src)
	at := image.Point{}
	if far && tall {
		at.Y = h - pb.Dy()
	} else if far {
		at.X = w - pb.Dx()
	}
	draw.Draw(m, pb.Sub(pb.Min).Add(at), photo, pb.Min, draw.Src)
	moved := make([]image.Rectangle, len(faces))
	for i, f := range faces {
		moved[i] = f.Add(at)
	}
	return m, moved
}

// matches reports whether a detected box d is the face f: d's centre is inside f, and their
// sides differ by less than a factor of 2.
func matches(d, f image.Rectangle) bool {
	c := d.Min.Add(d.Max).Div(2)
	sd, sf := math.Sqrt(float64(d.Dx()*d.Dy())), math.Sqrt(float64(f.Dx()*f.Dy()))
	return c.In(f) && sd < 2*sf && sf < 2*sd
}

// found counts the faces of want that a box of got matches.
func found(got, want []image.Rectangle) int {
	n := 0
	for _, f := range want {
		for _, d := range got {
			if matches(d, f) {
				n++
				break
			}
		}
	}
	return n
}

// falsePositives counts the boxes of got that match no face of want.
func falsePositives(got, want []image.Rectangle) int {
	n := 0
	for _, d := range got {
		hit := false
		for _, f := range want {
			hit = hit || matches(d, f)
		}
		if !hit {
			n++
		}
	}
	return n
}

// careful is the reference: pigo on the whole picture at full resolution with generous
// parameters (every 5 % of the window side, window sizes 5 % apart, down to 20 px, and pigo's
// own example threshold on the merged score).
var careful = faces.Params{MinSize: 20, ShiftFactor: 0.05, ScaleFactor: 1.05, IoU: 0.2, MinQ: 5}

// carefulFaces runs the reference on a picture.
func carefulFaces(t testing.TB, src []byte) []image.Rectangle {
	t.Helper()
	info, err := inspect(src, Limits{}.WithDefaults())
	require.NoError(t, err)
	img, err := decode(src, info, 1)
	require.NoError(t, err)
	b := img.Bounds()
	g := grayCopy(img, b.Dx(), b.Dy())
	var out []image.Rectangle
	for _, f := range faces.DetectWith(g, b.Dx(), b.Dy(), b.Dx(), careful) {
		out = append(out, f.Rect)
	}
	return out
}

// evalFigures are the evaluation's results.
type evalFigures struct {
	faces, found, carefulFound             int // faces in the originals and placements
	origFaces, origFound, origCarefulFound int // in the originals only
	crops, cropsKept, centreKept           int // g_face crops of placements where the face is findable
	fp, fpPictures                         int // faces found in the pictures without people
	fpPeople                               int // boxes that are no listed face, in the pictures with people
}

// TestFaceEvaluation measures Analyze on the evaluation set and guards the figures: at least as
// many faces found as the careful reference finds (the long form computes it; the short form uses
// the figure it gave when the set was made: every listed face of the photographs), g_face keeping
// the whole face in at least 85 % of the placements, and no face in pictures without people.
func TestFaceEvaluation(t *testing.T) {
	originals, placements, nopeople := evalPictures(t)
	ctx := context.Background()
	lim := Limits{}.WithDefaults()
	// The careful reference runs on the photographs as they are (it takes seconds per picture; on
	// the placements, 18 pictures up to 2010 px long, it took five minutes and found every listed
	// face, which is what the placements count as findable).
	long := !testing.Short() && !raceEnabled
	var fig evalFigures
	for _, pics := range [][]evalPicture{originals, placements} {
		for _, p := range pics {
			a, err := Analyze(ctx, p.src, Limits{})
			require.NoError(t, err, p.name)
			n := found(a.Faces, p.faces)
			fig.faces += len(p.faces)
			fig.found += n
			fig.fpPeople += falsePositives(a.Faces, p.faces)
			isOriginal := &pics[0] == &originals[0]
			if isOriginal {
				fig.origFaces += len(p.faces)
				fig.origFound += n
			}
			findable := len(p.faces) // short form: every listed face is findable (see above)
			if long && isOriginal {
				ref := carefulFaces(t, p.src)
				findable = found(ref, p.faces)
				fig.carefulFound += findable
				if isOriginal {
					fig.origCarefulFound += findable
				}
				if n < findable {
					t.Logf("%s: found %d of %d faces, the careful reference %d (found %v, faces %v)", p.name, n, len(p.faces), findable, a.Faces, p.faces)
				}
			}
			if !isOriginal {
				fig.carefulFound += len(p.faces)
			}
			if isOriginal || findable == 0 || len(p.faces) == 0 {
				continue
			}
			// The face of a placement: the largest listed one.
			face := p.faces[0]
			fig.crops++
			for _, chain := range []string{"c_fill,g_face,h_200,w_200", "c_fill,h_200,w_200"} {
				plans, err := planChain(mustChain(t, chain), p.size.X, p.size.Y, lim, a)
				require.NoError(t, err)
				kept := face.In(plans[0].src)
				switch {
				case chain[7] == 'g' && kept:
					fig.cropsKept++
				case chain[7] == 'g':
					t.Logf("%s: %s keeps %v, not the face %v (faces found: %v)", p.name, chain, plans[0].src, face, a.Faces)
				case kept:
					fig.centreKept++
				}
			}
		}
	}
	for _, p := range nopeople {
		a, err := Analyze(ctx, p.src, Limits{})
		require.NoError(t, err, p.name)
		if len(a.Faces) > 0 {
			fig.fp += len(a.Faces)
			fig.fpPictures++
			t.Logf("%s (no people): found %v", p.name, a.Faces)
		}
	}
	t.Logf("faces found: %d of %d (originals %d of %d; %d placements)", fig.found, fig.faces, fig.origFound, fig.origFaces, len(placements))
	if long {
		t.Logf("careful full-resolution pigo finds: %d of %d (originals %d of %d)", fig.carefulFound, fig.faces, fig.origCarefulFound, fig.origFaces)
	}
	t.Logf("c_fill,g_face keeps the whole face in %d of %d placements where it is findable (c_fill,g_center: %d)", fig.cropsKept, fig.crops, fig.centreKept)
	t.Logf("false positives: %d faces in %d of %d pictures without people; %d boxes that are no listed face in the pictures with people",
		fig.fp, fig.fpPictures, len(nopeople), fig.fpPeople)

	assert.Zero(t, fig.fp, "faces found in pictures without people")
	assert.GreaterOrEqual(t, float64(fig.cropsKept), math.Ceil(0.85*float64(fig.crops)), "g_face crops keeping the face")
	if long {
		assert.GreaterOrEqual(t, fig.found, fig.carefulFound, "faces found, against the careful reference")
	} else {
		assert.Equal(t, fig.origFaces, fig.origFound, "faces found in the photographs")
	}
}

// TestCarefulReference pins what the reference finds in the photographs (the short form of the
// evaluation relies on it): every listed face.
func TestCarefulReference(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the careful reference takes a few seconds")
	}
	originals, _, _ := evalPictures(t)
	for _, p := range originals {
		got := carefulFaces(t, p.src)
		assert.Equal(t, len(p.faces), found(got, p.faces), "%s: %v", p.name, got)
	}
}

// TestAnalyzeScaledDecode: analysing a decode at half the size (what a JPEG decoder scaling its
// DCT by 1/2 gives; here the photographs are the half, and their enlargement twice the full
// picture) finds the faces the full decode gives, in the full picture's coordinates — on these
// photographs even where the half is smaller than analysisShortSide asks for.
func TestAnalyzeScaledDecode(t *testing.T) {
	originals, _, _ := evalPictures(t)
	for _, p := range originals {
		img := p.photo.Image()
		b := img.Bounds()
		big := resize.Resize(img, 2*b.Dx(), 2*b.Dy())
		full := analyze(big)
		half := analyzeAt(img, 2*b.Dx(), 2*b.Dy())
		assert.Equal(t, full.Width, half.Width)
		assert.Equal(t, full.Height, half.Height)
		assert.Len(t, half.Faces, len(full.Faces), "%s: %v against %v", p.name, half.Faces, full.Faces)
		for i := range min(len(full.Faces), len(half.Faces)) {
			assert.True(t, matches(half.Faces[i], full.Faces[i]), "%s: %v against %v", p.name, half.Faces[i], full.Faces[i])
		}
	}
}

// TestFaceEvaluationShifted: the coarse scans look at windows on a grid, so whether a face is
// found may depend on where the grid falls on it. The evaluation's pictures cut by a few pixels
// at the top and left (moving every face against the grid) must still give at least 90 % of the
// faces, and no face in the pictures without people (run with -v for the figures).
func TestFaceEvaluationShifted(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("analyses the evaluation set three more times")
	}
	originals, placements, nopeople := evalPictures(t)
	all := append(append(append([]evalPicture{}, originals...), placements...), nopeople...)
	total, foundAll, fp := 0, 0, 0
	for _, shift := range []int{1, 3, 7} {
		n, k := 0, 0
		var missed []string
		for _, p := range all {
			img := decodedJPEG(t, p.src)
			b := img.Bounds()
			m := image.NewRGBA(image.Rect(0, 0, b.Dx()-shift, b.Dy()-shift))
			draw.Draw(m, m.Rect, img, b.Min.Add(image.Pt(shift, shift)), draw.Src)
			var want []image.Rectangle
			for _, f := range p.faces {
				want = append(want, f.Sub(image.Pt(shift, shift)))
			}
			a := analyze(m)
			got := found(a.Faces, want)
			n, k = n+len(want), k+got
			fp += falsePositives(a.Faces, want)
			if got < len(want) {
				missed = append(missed, p.name)
			}
		}
		t.Logf("cut by %d px: %d of %d faces found; missed in %v", shift, k, n, missed)
		total, foundAll = total+n, foundAll+k
	}
	t.Logf("in all: %d of %d (%.0f %%), %d false positives", foundAll, total, 100*float64(foundAll)/float64(total), fp)
	assert.GreaterOrEqual(t, float64(foundAll), math.Ceil(0.9*float64(total)))
	assert.Zero(t, fp)
}
