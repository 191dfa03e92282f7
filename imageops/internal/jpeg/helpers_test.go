package jpeg

import (
	"fmt"
	"go/build"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// samples is one channel of an image: w×h samples at pix[y*stride+x*step].
type samples struct {
	name          string
	w, h          int
	stride, step  int
	pix           []byte
	hr, vr        int // interleaved channels: the component's subsampling, for comparisons
	interleavedOf image.Image
}

func (s samples) at(x, y int) byte { return s.pix[y*s.stride+x*s.step] }

// channels returns the channels of an image Decode returns, as stored: the planes of a Gray or
// YCbCr image, the four bytes of an RGBA or CMYK pixel.
func channels(img image.Image) []samples {
	switch m := img.(type) {
	case *image.Gray:
		b := m.Rect
		return []samples{{name: "Y", w: b.Dx(), h: b.Dy(), stride: m.Stride, step: 1, pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):]}}
	case *image.YCbCr:
		b := m.Rect
		cw, ch := chromaSize(b.Dx(), b.Dy(), m.SubsampleRatio)
		return []samples{
			{name: "Y", w: b.Dx(), h: b.Dy(), stride: m.YStride, step: 1, pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):]},
			{name: "Cb", w: cw, h: ch, stride: m.CStride, step: 1, pix: m.Cb[m.COffset(b.Min.X, b.Min.Y):]},
			{name: "Cr", w: cw, h: ch, stride: m.CStride, step: 1, pix: m.Cr[m.COffset(b.Min.X, b.Min.Y):]},
		}
	case *image.RGBA:
		b := m.Rect
		var cs []samples
		for i, n := range []string{"R", "G", "B", "A"} {
			cs = append(cs, samples{name: n, w: b.Dx(), h: b.Dy(), stride: m.Stride, step: 4, pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y)+i:]})
		}
		return cs
	case *image.CMYK:
		b := m.Rect
		var cs []samples
		for i, n := range []string{"C", "M", "Y", "K"} {
			cs = append(cs, samples{name: n, w: b.Dx(), h: b.Dy(), stride: m.Stride, step: 4, pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y)+i:]})
		}
		return cs
	}
	return nil
}

// sameImage returns "" if a and b have the same type, bounds, subsampling and samples, or what
// differs.
func sameImage(a, b image.Image) string {
	if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
		return fmt.Sprintf("types %T and %T", a, b)
	}
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("bounds %v and %v", a.Bounds(), b.Bounds())
	}
	if ya, ok := a.(*image.YCbCr); ok && ya.SubsampleRatio != b.(*image.YCbCr).SubsampleRatio {
		return fmt.Sprintf("subsampling %v and %v", ya.SubsampleRatio, b.(*image.YCbCr).SubsampleRatio)
	}
	ca, cb := channels(a), channels(b)
	for i := range ca {
		if ca[i].w != cb[i].w || ca[i].h != cb[i].h {
			return fmt.Sprintf("channel %s: %d×%d and %d×%d", ca[i].name, ca[i].w, ca[i].h, cb[i].w, cb[i].h)
		}
		for y := range ca[i].h {
			for x := range ca[i].w {
				if va, vb := ca[i].at(x, y), cb[i].at(x, y); va != vb {
					return fmt.Sprintf("channel %s at (%d, %d): %d and %d", ca[i].name, x, y, va, vb)
				}
			}
		}
	}
	return ""
}

// reductionError returns, for each channel, the mean absolute difference between the reduced
// image and the full one averaged over s×s boxes (partial boxes at the right and bottom edges are
// averaged over the samples they have), and the largest difference.
func reductionError(full, reduced image.Image, s int) (mad []float64, maxDiff []float64) {
	cf, cr := channels(full), channels(reduced)
	for i := range cf {
		f, r := cf[i], cr[i]
		var sum, mx float64
		for y := range r.h {
			for x := range r.w {
				var acc float64
				var n int
				for yy := y * s; yy < min(y*s+s, f.h); yy++ {
					for xx := x * s; xx < min(x*s+s, f.w); xx++ {
						acc += float64(f.at(xx, yy))
						n++
					}
				}
				if n == 0 {
					continue
				}
				d := math.Abs(acc/float64(n) - float64(r.at(x, y)))
				sum += d
				mx = max(mx, d)
			}
		}
		mad = append(mad, sum/float64(max(r.w*r.h, 1)))
		maxDiff = append(maxDiff, mx)
	}
	return mad, maxDiff
}

// corpusFile is a JPEG of the differential tests.
type corpusFile struct {
	name string
	data []byte
}

// light reports whether the tests should do less: in short mode and under the race detector.
func light() bool { return testing.Short() || raceEnabled }

// shortCorpus returns realCorpus, without the module cache's files when light.
func shortCorpus() []corpusFile {
	if !light() {
		return realCorpus(0)
	}
	var files []corpusFile
	for _, f := range realCorpus(0) {
		if !strings.HasPrefix(f.name, "modcache:") {
			files = append(files, f)
		}
	}
	return files
}

// realCorpus returns the JPEG files found in Go's image test data, in this package's testdata
// and in the module cache (bild's, pigo's, imaging's and others' test images), sorted by name.
// Files over maxBytes are left out (0: no limit).
func realCorpus(maxBytes int64) []corpusFile {
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if corpusCache == nil {
		corpusCache = map[int64][]corpusFile{}
	}
	if files, ok := corpusCache[maxBytes]; ok {
		return files
	}
	files := readCorpus(maxBytes)
	corpusCache[maxBytes] = files
	return files
}

var (
	corpusMu    sync.Mutex
	corpusCache map[int64][]corpusFile
)

func readCorpus(maxBytes int64) []corpusFile {
	var files []corpusFile
	seen := map[string]bool{}
	add := func(path, name string) {
		fi, err := os.Stat(path)
		if err != nil || (maxBytes > 0 && fi.Size() > maxBytes) {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 3 || b[0] != 0xff || b[1] != 0xd8 {
			return
		}
		if seen[string(b)] { // the same image in two modules
			return
		}
		seen[string(b)] = true
		files = append(files, corpusFile{name: name, data: b})
	}
	isJPEG := func(name string) bool {
		ext := strings.ToLower(filepath.Ext(name))
		return ext == ".jpg" || ext == ".jpeg"
	}
	walk := func(root, prefix string) {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && d.Name() == "cache" && filepath.Dir(path) == root {
				return filepath.SkipDir // the module cache's download cache: zips
			}
			if !d.IsDir() && isJPEG(d.Name()) {
				rel, _ := filepath.Rel(root, path)
				add(path, prefix+rel)
			}
			return nil
		})
	}
	walk(filepath.Join(build.Default.GOROOT, "src", "image", "testdata"), "goroot:")
	walk("testdata", "testdata:")
	modcache := os.Getenv("GOMODCACHE")
	if modcache == "" {
		modcache = filepath.Join(strings.Split(build.Default.GOPATH, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	walk(modcache, "modcache:")
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files
}
