// Command codeccompare measures the pure-Go (and WebAssembly-in-Go) WebP and AVIF encoders
// avatarkit could use against each other and against Go's JPEG and PNG encoders, one encode per
// process so that each one's peak RSS is its own. It is a nested module, so that the encoders
// avatarkit does not use are not dependencies of avatarkit. BENCHMARKS.md has the table and
// how it was run:
//
//	cd tools/codeccompare && go run . -all > results.jsonl && go run . -table < results.jsonl
//
// Each case encodes one picture: a photograph (from imageops/testdata) or the synthetic photo
// of imageops' benchmarks, filled to n×n. Quality is set so that every lossy encoder matches
// the SSIM of a quality-80 JPEG of the same picture (found by bisection per picture); the
// figures are CPU (user+system) per encode, output bytes, SSIM, the Go heap's peak during the
// encodes, the process's peak RSS, the one-time start-up (WebAssembly compilation) and the RSS
// the process holds after the encodes and a GC.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/HugoSmits86/nativewebp"
	dwebp "github.com/deepteams/webp"
	"github.com/disintegration/imaging"
	gavif "github.com/gen2brain/avif"
	gwebp "github.com/gen2brain/webp"
	xwebp "golang.org/x/image/webp"
)

// encoders: name → how to encode at a quality (ignored by lossless ones) and an effort setting.
var encoders = map[string]func(*bytes.Buffer, *image.RGBA, int, int) error{
	"jpeg": func(b *bytes.Buffer, m *image.RGBA, q, _ int) error {
		return jpeg.Encode(b, m, &jpeg.Options{Quality: q})
	},
	"png": func(b *bytes.Buffer, m *image.RGBA, _, _ int) error { return png.Encode(b, m) },
	"nativewebp-lossless": func(b *bytes.Buffer, m *image.RGBA, _, _ int) error {
		return nativewebp.Encode(b, m, nil)
	},
	"gen2brain-webp": func(b *bytes.Buffer, m *image.RGBA, q, s int) error {
		return gwebp.Encode(b, m, gwebp.Options{Quality: q, Method: s})
	},
	"gen2brain-webp-lossless": func(b *bytes.Buffer, m *image.RGBA, _, s int) error {
		return gwebp.Encode(b, m, gwebp.Options{Lossless: true, Method: s})
	},
	"deepteams-webp": func(b *bytes.Buffer, m *image.RGBA, q, s int) error {
		o := dwebp.DefaultOptions()
		o.Quality, o.Method = float32(q), s
		return dwebp.Encode(b, m, o)
	},
	"gen2brain-avif": func(b *bytes.Buffer, m *image.RGBA, q, s int) error {
		return gavif.Encode(b, m, gavif.Options{Quality: q, QualityAlpha: 100, Speed: s, ChromaSubsampling: image.YCbCrSubsampleRatio420})
	},
}

func lossless(enc string) bool { return enc == "png" || strings.HasSuffix(enc, "lossless") }

// cases are what -all runs: encoder and effort, per output side.
var cases = []struct {
	enc   string
	speed int
}{
	{"jpeg", 0}, {"png", 0}, {"nativewebp-lossless", 0},
	{"gen2brain-webp-lossless", 0}, {"gen2brain-webp", 4}, {"gen2brain-webp", 2}, {"gen2brain-webp", 0},
	{"deepteams-webp", 4}, {"deepteams-webp", 0},
	{"gen2brain-avif", 10}, {"gen2brain-avif", 8}, {"gen2brain-avif", 6},
}

type result struct {
	Enc, Src    string
	N, Q, Speed int
	StartCPU    time.Duration // one-time: WebAssembly compilation
	CPU         time.Duration // per encode
	Bytes       int
	SSIM        float64
	PeakHeap    uint64 // Go heap objects, peak during the encodes above before
	RSSBase     int64  // before anything
	RSSPeak     int64  // peak of the process
	RSSHeld     int64  // after the encodes and a GC, above RSSBase
	Dynamic     bool   // a shared library was used instead of WebAssembly
	Iters       int
}

func main() {
	enc := flag.String("enc", "jpeg", "encoder")
	src := flag.String("src", "synthetic", "picture: synthetic or a file of imageops/testdata")
	n := flag.Int("n", 200, "output side, px")
	speed := flag.Int("speed", 4, "effort: libwebp method, libaom speed")
	iters := flag.Int("iters", 3, "encodes")
	all := flag.Bool("all", false, "run every case, each in a process of its own, as JSON lines")
	table := flag.Bool("table", false, "read JSON lines, print a markdown table")
	flag.Parse()
	switch {
	case *all:
		runAll()
	case *table:
		printTable()
	default:
		json.NewEncoder(os.Stdout).Encode(measure(*enc, *src, *n, *speed, *iters))
	}
}

func runAll() {
	exe, err := os.Executable()
	check(err)
	for _, job := range []struct {
		src   string
		n     int
		iters int
	}{{"synthetic", 200, 5}, {"pigo-sample.jpg", 200, 5}, {"synthetic", 2048, 1}} {
		for _, c := range cases {
			if job.n > 1024 && c.enc == "gen2brain-avif" && c.speed < 10 {
				continue // tens of seconds: speed 10 already does not fit
			}
			out, err := exec.Command(exe, "-enc", c.enc, "-src", job.src, "-n", strconv.Itoa(job.n),
				"-speed", strconv.Itoa(c.speed), "-iters", strconv.Itoa(job.iters)).Output()
			check(err)
			os.Stdout.Write(out)
		}
	}
}

func measure(enc, srcName string, n, speed, iters int) result {
	r := result{Enc: enc, Src: srcName, N: n, Speed: speed, Iters: iters}
	r.RSSBase = procStatus("VmRSS")
	c0 := cpu()
	switch {
	case strings.HasPrefix(enc, "gen2brain-webp"):
		gwebp.Init()
		r.Dynamic = gwebp.Dynamic() == nil
	case enc == "gen2brain-avif":
		gavif.InitEncoder()
		r.Dynamic = gavif.Dynamic() == nil
	}
	r.StartCPU = cpu() - c0
	img := picture(srcName, n)
	// Quality: the SSIM of a quality-80 JPEG.
	target := ssimOf("jpeg", img, 80, 0)
	r.Q = 80
	if enc != "jpeg" && !lossless(enc) {
		lo, hi := 1, 100
		for lo < hi {
			mid := (lo + hi) / 2
			if ssimOf(enc, img, mid, speed) >= target {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		r.Q = lo
	}
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	stop, done := make(chan bool), make(chan bool)
	go func() {
		for {
			r.PeakHeap = max(r.PeakHeap, read())
			select {
			case <-stop:
				close(done)
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var out []byte
	c0 = cpu()
	for range iters {
		var buf bytes.Buffer
		check(encoders[enc](&buf, img, r.Q, speed))
		out = buf.Bytes()
	}
	r.CPU = (cpu() - c0) / time.Duration(iters)
	close(stop)
	<-done
	r.PeakHeap -= min(base, r.PeakHeap)
	r.RSSPeak = procStatus("VmHWM")
	runtime.GC()
	debug.FreeOSMemory()
	r.RSSHeld = procStatus("VmRSS") - r.RSSBase
	r.Bytes = len(out)
	r.SSIM = ssim(img, decodeOut(enc, out))
	return r
}

func ssimOf(enc string, img *image.RGBA, q, speed int) float64 {
	var buf bytes.Buffer
	check(encoders[enc](&buf, img, q, speed))
	return ssim(img, decodeOut(enc, buf.Bytes()))
}

func decodeOut(enc string, b []byte) image.Image {
	var img image.Image
	var err error
	switch {
	case enc == "gen2brain-avif":
		img, err = gavif.Decode(bytes.NewReader(b))
	case strings.Contains(enc, "webp"):
		img, err = xwebp.Decode(bytes.NewReader(b))
	default:
		img, _, err = image.Decode(bytes.NewReader(b))
	}
	check(err)
	return img
}

// picture returns the named picture filled to n×n as a *image.RGBA.
func picture(name string, n int) *image.RGBA {
	var img image.Image = photoImage(1024)
	if name != "synthetic" {
		f, err := os.Open("../../imageops/testdata/" + name)
		check(err)
		img, _, err = image.Decode(f)
		check(err)
	}
	img = imaging.Fill(img, n, n, imaging.Center, imaging.Lanczos)
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	draw.Draw(m, m.Bounds(), img, img.Bounds().Min, draw.Src)
	return m
}

// photoImage is imageops' benchmark picture (bench_test.go): gradients, discs, a zone plate
// and fine noise.
func photoImage(n int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	type disc struct {
		cx, cy, r float64
		c         [3]float64
		soft      bool
	}
	var discs []disc
	for range 12 {
		discs = append(discs, disc{
			cx: rng.Float64() * float64(n), cy: rng.Float64() * float64(n), r: (0.04 + 0.12*rng.Float64()) * float64(n),
			c:    [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255},
			soft: rng.IntN(2) == 0,
		})
	}
	fn := float64(n)
	zx, zy, zr := 0.72*fn, 0.3*fn, 0.2*fn
	for y := range n {
		for x := range n {
			fx, fy := float64(x), float64(y)
			c := [3]float64{40 + 150*fx/fn + 30*math.Sin(fy/fn*7), 60 + 120*fy/fn, 90 + 80*math.Sin((fx+fy)/fn*4)}
			for _, d := range discs {
				dist := math.Hypot(fx-d.cx, fy-d.cy)
				a := 0.0
				if d.soft {
					a = math.Max(0, 1-dist/d.r) * 0.8
				} else if dist < d.r {
					a = 0.9
				}
				for i := range c {
					c[i] = c[i]*(1-a) + d.c[i]*a
				}
			}
			if d := math.Hypot(fx-zx, fy-zy); d < zr {
				v := 127.5 + 127.5*math.Cos(math.Pi*d*d/(2*zr))
				for i := range c {
					c[i] = c[i]*0.3 + v*0.7
				}
			}
			o := m.PixOffset(x, y)
			for i := range c {
				v := c[i] + rng.NormFloat64()*6
				m.Pix[o+i] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
			m.Pix[o+3] = 0xff
		}
	}
	return m
}

// ssim is imageops' test helper (ssim_test.go): mean SSIM on luma, 11×11 Gaussian σ 1.5.
func ssim(a, b image.Image) float64 {
	x, w, h := luma(a)
	y, _, _ := luma(b)
	mul := func(p, q []float64) []float64 {
		o := make([]float64, len(p))
		for i := range p {
			o[i] = p[i] * q[i]
		}
		return o
	}
	mx, my := blur(x, w, h), blur(y, w, h)
	sxx, syy, sxy := blur(mul(x, x), w, h), blur(mul(y, y), w, h), blur(mul(x, y), w, h)
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	sum := 0.0
	for i := range x {
		vx, vy, cxy := sxx[i]-mx[i]*mx[i], syy[i]-my[i]*my[i], sxy[i]-mx[i]*my[i]
		sum += (2*mx[i]*my[i] + c1) * (2*cxy + c2) / ((mx[i]*mx[i] + my[i]*my[i] + c1) * (vx + vy + c2))
	}
	return sum / float64(len(x))
}

func luma(img image.Image) ([]float64, int, int) {
	b := img.Bounds()
	out := make([]float64, b.Dx()*b.Dy())
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			out[y*b.Dx()+x] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
		}
	}
	return out, b.Dx(), b.Dy()
}

func blur(in []float64, w, h int) []float64 {
	const r = 5
	var g [2*r + 1]float64
	s := 0.0
	for i := -r; i <= r; i++ {
		g[i+r] = math.Exp(-float64(i*i) / (2 * 1.5 * 1.5))
		s += g[i+r]
	}
	for i := range g {
		g[i] /= s
	}
	tmp, out := make([]float64, w*h), make([]float64, w*h)
	for y := range h {
		for x := range w {
			v := 0.0
			for k := -r; k <= r; k++ {
				v += g[k+r] * in[y*w+min(max(x+k, 0), w-1)]
			}
			tmp[y*w+x] = v
		}
	}
	for y := range h {
		for x := range w {
			v := 0.0
			for k := -r; k <= r; k++ {
				v += g[k+r] * tmp[min(max(y+k, 0), h-1)*w+x]
			}
			out[y*w+x] = v
		}
	}
	return out
}

func cpu() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func procStatus(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	check(err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func printTable() {
	var rs []result
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var r result
		check(json.Unmarshal(sc.Bytes(), &r))
		rs = append(rs, r)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].N < rs[j].N })
	fmt.Println("| picture | encoder | effort | quality | CPU/encode | bytes | SSIM | peak heap | peak RSS | start-up CPU | RSS held after |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Printf("| %s %d² | %s | %d | %d | %.1f ms | %d | %.4f | %.1f MiB | %.0f MiB | %s | %.1f MiB |\n",
			r.Src, r.N, r.Enc, r.Speed, r.Q, float64(r.CPU)/1e6, r.Bytes, r.SSIM,
			float64(r.PeakHeap)/(1<<20), float64(r.RSSPeak)/(1<<20), r.StartCPU.Round(time.Millisecond), float64(r.RSSHeld)/(1<<20))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
