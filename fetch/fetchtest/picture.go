package fetchtest

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"sync"

	"github.com/HugoSmits86/nativewebp"
)

// sceneKind is what a picture shows.
type sceneKind uint8

const (
	sceneUser          sceneKind = iota // a user's photo-like portrait
	sceneFBSilhouette                   // Facebook's grey silhouette
	sceneXDefault                       // X's default profile image
	sceneGravatarLogo                   // Gravatar's logo (no picture, no d=)
	sceneMysteryPerson                  // Gravatar's d=mp
	sceneIdenticon                      // Gravatar's d=identicon (and the other generated defaults)
	sceneBlank                          // Gravatar's d=blank: fully transparent
	sceneBanner                         // an X user's profile banner: a landscape
)

// picKey identifies one encoded picture. Equal keys give byte-identical files.
type picKey struct {
	scene  sceneKind
	user   User   // the user (sceneUser, sceneBanner)
	idx    int    // the user's index in its server's population (sceneUser, sceneBanner): picks the hues
	gen    int    // picture generation (sceneUser), banner generation (sceneBanner)
	seed   string // sceneIdenticon: the hash
	w, h   int
	format string // "jpeg", "png", "gif", "webp"
}

// contentTypes maps a format to its Content-Type.
var contentTypes = map[string]string{
	"jpeg": "image/jpeg",
	"png":  "image/png",
	"gif":  "image/gif",
	"webp": "image/webp",
}

// extensions maps a format to the file extension the networks use.
var extensions = map[string]string{"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}

// maxCacheBytes bounds the memory the picture cache holds (all servers of a process share it).
const maxCacheBytes = 192 << 20

// picCache is a process-wide, size-bounded LRU of encoded pictures with one render per key at a
// time (concurrent requests for a key wait for the first render).
type picCache struct {
	mu    sync.Mutex
	items map[picKey]*list.Element
	lru   list.List // of *picEntry, most recent first
	bytes int
}

type picEntry struct {
	key  picKey
	done chan struct{}
	data []byte
	err  error
}

var pictures = &picCache{items: make(map[picKey]*list.Element)}

// get returns the encoded picture of k, rendering it on a miss.
func (c *picCache) get(k picKey) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*picEntry)
		c.mu.Unlock()
		<-e.done
		return e.data, e.err
	}
	e := &picEntry{key: k, done: make(chan struct{})}
	el := c.lru.PushFront(e)
	c.items[k] = el
	c.mu.Unlock()

	e.data, e.err = renderEncode(k)
	close(e.done)

	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil {
		if cur, ok := c.items[k]; ok && cur == el {
			delete(c.items, k)
			c.lru.Remove(el)
		}
		return nil, e.err
	}
	c.bytes += len(e.data)
	for c.bytes > maxCacheBytes && c.lru.Len() > 1 {
		last := c.lru.Back()
		le := last.Value.(*picEntry)
		select {
		case <-le.done:
		default: // still rendering: leave it
			c.lru.MoveToFront(last)
			continue
		}
		c.lru.Remove(last)
		delete(c.items, le.key)
		c.bytes -= len(le.data)
	}
	return e.data, nil
}

// picture returns the encoded picture of k (cached).
func picture(k picKey) ([]byte, error) {
	if k.w < 1 || k.h < 1 || k.w > 4096 || k.h > 4096 {
		return nil, fmt.Errorf("fetchtest: picture size %dx%d out of range", k.w, k.h)
	}
	if _, ok := contentTypes[k.format]; !ok {
		return nil, fmt.Errorf("fetchtest: unknown format %q", k.format)
	}
	return pictures.get(k)
}

// renderEncode renders and encodes k.
func renderEncode(k picKey) ([]byte, error) {
	frames := 1
	if k.format == "gif" && k.scene == sceneUser && k.user.Frames > 1 {
		frames = k.user.Frames
	}
	imgs := make([]*image.NRGBA, frames)
	for f := range imgs {
		imgs[f] = render(k, f)
	}
	var buf bytes.Buffer
	var err error
	switch k.format {
	case "jpeg":
		err = jpeg.Encode(&buf, asOpaqueRGBA(imgs[0]), &jpeg.Options{Quality: 85})
	case "png":
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if a, b, ok := flatColours(k); ok {
			// a flat two-tone picture (a default image): a paletted PNG, like the real ones
			err = enc.Encode(&buf, twoTone(imgs[0], a, b))
		} else if opaque(imgs[0]) {
			err = enc.Encode(&buf, asOpaqueRGBA(imgs[0]))
		} else {
			err = enc.Encode(&buf, imgs[0])
		}
	case "webp":
		err = nativewebp.Encode(&buf, imgs[0], &nativewebp.Options{CompressionLevel: nativewebp.BestSpeed})
	case "gif":
		err = encodeGIF(&buf, imgs)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// asOpaqueRGBA reinterprets an opaque NRGBA as an RGBA (same bytes when alpha is 255), which the
// JPEG and PNG encoders have fast paths for.
func asOpaqueRGBA(m *image.NRGBA) *image.RGBA {
	return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
}

func opaque(m *image.NRGBA) bool {
	for i := 3; i < len(m.Pix); i += 4 {
		if m.Pix[i] != 0xff {
			return false
		}
	}
	return true
}

// gifPalette is a 6×7×6 RGB cube (252 colours) plus a transparent entry.
var gifPalette = func() color.Palette {
	p := make(color.Palette, 0, 253)
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				p = append(p, color.RGBA{uint8(r * 51), uint8(g * 255 / 6), uint8(b * 51), 255})
			}
		}
	}
	return append(p, color.RGBA{})
}()

const gifTransparent = 252

// quantize maps m onto gifPalette with Floyd–Steinberg error diffusion (alpha below 128 becomes
// the transparent entry).
func quantize(m *image.NRGBA) *image.Paletted {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	p := image.NewPaletted(m.Rect, gifPalette)
	// error rows: current and next, 3 channels, with one pixel of margin on each side
	cur := make([]int32, (w+2)*3)
	next := make([]int32, (w+2)*3)
	levels := [3]int32{5, 6, 5}
	for y := range h {
		for x := range w {
			o := y*m.Stride + x*4
			if m.Pix[o+3] < 128 {
				p.Pix[y*p.Stride+x] = gifTransparent
				continue
			}
			var idx [3]int32
			for c := range 3 {
				v := int32(m.Pix[o+c])*16 + cur[(x+1)*3+c]
				v = max(0, min(v, 255*16))
				q := (v*levels[c] + 255*8) / (255 * 16)
				idx[c] = q
				e := v - q*255*16/levels[c]
				cur[(x+2)*3+c] += e * 7 / 16
				next[x*3+c] += e * 3 / 16
				next[(x+1)*3+c] += e * 5 / 16
				next[(x+2)*3+c] += e / 16
			}
			p.Pix[y*p.Stride+x] = uint8(idx[0]*42 + idx[1]*6 + idx[2])
		}
		cur, next = next, cur
		clear(next)
	}
	return p
}

func encodeGIF(buf *bytes.Buffer, imgs []*image.NRGBA) error {
	g := &gif.GIF{LoopCount: 0}
	for _, m := range imgs {
		g.Image = append(g.Image, quantize(m))
		g.Delay = append(g.Delay, 60)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	return gif.EncodeAll(buf, g)
}

// ---- scenes ----

type rgb struct{ r, g, b float64 } // 0..1

func (c rgb) scale(f float64) rgb { return rgb{c.r * f, c.g * f, c.b * f} }

func lerp(a, b rgb, t float64) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

// hsv returns a colour from hue (any real, wraps), saturation and value in 0..1.
func hsv(h, s, v float64) rgb {
	h -= math.Floor(h)
	h *= 6
	i := math.Floor(h)
	f := h - i
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	switch int(i) {
	case 0:
		return rgb{v, t, p}
	case 1:
		return rgb{q, v, p}
	case 2:
		return rgb{p, v, t}
	case 3:
		return rgb{p, q, v}
	case 4:
		return rgb{t, p, v}
	}
	return rgb{v, p, q}
}

func hexRGB(v uint32) rgb {
	return rgb{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}
}

// prng is a small deterministic generator (splitmix64).
type prng struct{ s uint64 }

func newPRNG(parts ...string) *prng {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &prng{s: h.Sum64()}
}

func (p *prng) next() uint64 {
	p.s += 0x9e3779b97f4a7c15
	z := p.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// f returns a float in [lo, hi).
func (p *prng) f(lo, hi float64) float64 {
	return lo + (hi-lo)*float64(p.next()>>11)/(1<<53)
}

func (p *prng) pick(n int) int { return int(p.next() % uint64(n)) }

// ellipse is an axis-aligned soft ellipse in unit coordinates.
type ellipse struct {
	cx, cy, rx, ry float64
	// filled in by prepare for a pixel size:
	irx, iry, rmin, eIn, eOut, soft float64
}

func (e *ellipse) prepare(soft float64) {
	e.irx, e.iry = 1/e.rx, 1/e.ry
	e.rmin = math.Min(e.rx, e.ry)
	e.soft = soft
	k := soft / e.rmin
	e.eOut = (1 + k) * (1 + k)
	if k < 1 {
		e.eIn = (1 - k) * (1 - k)
	}
}

// cover returns the coverage (0..1) of point (u, v) and its normalised position (nx, ny) in the
// ellipse.
func (e ellipse) cover(u, v float64) (cov, nx, ny, ee float64) {
	nx = (u - e.cx) * e.irx
	ny = (v - e.cy) * e.iry
	ee = nx*nx + ny*ny
	if ee >= e.eOut {
		return 0, nx, ny, ee
	}
	if ee <= e.eIn {
		return 1, nx, ny, ee
	}
	d := (math.Sqrt(ee) - 1) * e.rmin / e.soft // -1..1 across the edge
	return smooth(0.5 - d*0.5), nx, ny, ee
}

func smooth(t float64) float64 {
	if t <= 0 {
		return 0
	}
	if t >= 1 {
		return 1
	}
	return t * t * (3 - 2*t)
}

func clamp01(t float64) float64 {
	if t < 0 {
		return 0
	}
	if t > 1 {
		return 1
	}
	return t
}

type bokeh struct {
	x, y, r2, ir2, a float64
	c                rgb
}

// portrait is the layout and palette of a user's picture.
type portrait struct {
	bg         [3]rgb
	dx, dy     float64 // gradient direction
	bokeh      []bokeh
	shirt      rgb
	skin, hair rgb
	fx, hy, hr float64 // figure centre x, head centre y, head radius
	lx, ly, lz float64 // light direction
	grain      float64
	halo       rgb // transparent pictures: the semi-transparent disc behind the figure
	flat       bool
	figure     rgb // flat silhouettes: the figure colour
	face       bool
}

var skinTones = []uint32{0xf1c27d, 0xe0ac69, 0xc68642, 0x8d5524, 0xffdbac, 0xd6a27a, 0xa86f4c}
var hairColours = []uint32{0x1b1b1b, 0x3b2414, 0x6a4e3b, 0x8e3b1f, 0xd8b26e, 0x9a9a9a, 0x2f2a4a}

// portraitOf builds the layout of the picture of generation gen of u, user i of its population.
func portraitOf(u User, i, gen int) *portrait {
	r := newPRNG(u.Network, u.ID, fmt.Sprint(gen))
	// Hues spread around the wheel by user index (golden ratio), shifted by generation, so that
	// neighbours on a page and successive generations differ clearly.
	hue := 0.07 + 0.618034*float64(i) + 0.382*float64(gen)
	p := &portrait{face: true}
	sat := r.f(0.45, 0.75)
	p.bg[0] = hsv(hue, sat, r.f(0.70, 0.92))
	p.bg[1] = hsv(hue+r.f(0.05, 0.12), sat*0.8, r.f(0.55, 0.80))
	p.bg[2] = hsv(hue-r.f(0.06, 0.14), math.Min(1, sat*1.2), r.f(0.30, 0.55))
	a := r.f(0, 2*math.Pi)
	p.dx, p.dy = math.Cos(a), math.Sin(a)
	nb := 4 + r.pick(3)
	for range nb {
		rad := r.f(0.06, 0.22)
		p.bokeh = append(p.bokeh, bokeh{
			x: r.f(-0.1, 1.1), y: r.f(-0.1, 0.8), r2: rad * rad, ir2: 1 / (rad * rad),
			a: r.f(0.15, 0.35), c: hsv(hue+r.f(-0.1, 0.2), r.f(0.1, 0.35), r.f(0.9, 1)),
		})
	}
	p.shirt = hsv(hue+0.5+r.f(-0.08, 0.08), r.f(0.45, 0.8), r.f(0.35, 0.7))
	p.skin = hexRGB(skinTones[r.pick(len(skinTones))])
	p.hair = hexRGB(hairColours[r.pick(len(hairColours))])
	p.hr = r.f(0.14, 0.19)
	off := r.f(0.04, 0.16)
	if (i+gen)%3 == 2 { // some clearly off-centre
		off = r.f(0.17, 0.22)
	}
	if r.pick(2) == 0 {
		off = -off
	}
	p.fx = 0.5 + off
	p.hy = r.f(0.34, 0.44)
	la := r.f(-2.6, -0.5) // light from above, left or right
	p.lx, p.ly, p.lz = math.Cos(la)*0.6, math.Sin(la)*0.6, 0.53
	p.grain = 0.075 // see grainFor
	p.halo = hsv(hue, 0.5, 0.95)
	return p
}

func silhouette(bg, fig rgb) *portrait {
	return &portrait{bg: [3]rgb{bg, bg, bg}, dx: 1, figure: fig, flat: true, fx: 0.5, hy: 0.40, hr: 0.19}
}

// The colours of the flat pictures: background, figure.
var (
	fbSilhouetteColours  = [2]uint32{0xc9ccd1, 0xf0f2f5}
	xDefaultColours      = [2]uint32{0xccd6dd, 0xffffff}
	mysteryPersonColours = [2]uint32{0xc5c5c5, 0xf5f5f5}
	gravatarLogoColours  = [2]uint32{0x1e8cbe, 0xffffff}
)

// flatColours returns the two colours of a flat picture (a default image: anti-aliased shapes of
// one colour on another), and ok false for the other pictures.
func flatColours(k picKey) (bg, fg rgb, ok bool) {
	var c [2]uint32
	switch k.scene {
	case sceneUser:
		if !isDefault(k.user, k.gen) {
			return rgb{}, rgb{}, false
		}
		c = xDefaultColours
		if k.user.Network == Facebook {
			c = fbSilhouetteColours
		}
	case sceneFBSilhouette:
		c = fbSilhouetteColours
	case sceneXDefault:
		c = xDefaultColours
	case sceneMysteryPerson:
		c = mysteryPersonColours
	case sceneGravatarLogo:
		c = gravatarLogoColours
	case sceneIdenticon:
		bg, fg = identiconColours(k.seed)
		return bg, fg, true
	default:
		return rgb{}, rgb{}, false
	}
	return hexRGB(c[0]), hexRGB(c[1]), true
}

// twoTone converts an opaque picture made of colours between a and b to a paletted one with 256
// steps from a to b.
func twoTone(m *image.NRGBA, a, b rgb) *image.Paletted {
	pal := make(color.Palette, 256)
	for i := range pal {
		c := lerp(a, b, float64(i)/255)
		pal[i] = color.NRGBA{to8(c.r), to8(c.g), to8(c.b), 255}
	}
	// project each pixel on the segment a→b, in 8-bit integers
	ar, ag, ab := int(to8(a.r)), int(to8(a.g)), int(to8(a.b))
	dr, dg, db := int(to8(b.r))-ar, int(to8(b.g))-ag, int(to8(b.b))-ab
	den := dr*dr + dg*dg + db*db
	p := image.NewPaletted(m.Rect, pal)
	if den == 0 {
		return p
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src := m.Pix[y*m.Stride : y*m.Stride+w*4]
			dst := p.Pix[y*p.Stride : y*p.Stride+w]
			for x := range dst {
				px := src[x*4 : x*4+3 : x*4+3]
				num := (int(px[0])-ar)*dr + (int(px[1])-ag)*dg + (int(px[2])-ab)*db
				dst[x] = uint8(max(0, min(255, (num*255+den/2)/den)))
			}
		}
	})
	return p
}

// render draws frame f of picture k.
func render(k picKey, f int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, k.w, k.h))
	switch k.scene {
	case sceneUser:
		u := k.user
		switch {
		case isDefault(u, k.gen):
			bg, fg, _ := flatColours(k)
			renderPortrait(m, silhouette(bg, fg), false, 0)
		case u.Photograph != "":
			renderPhotograph(m, u, k.gen)
		case u.Photo:
			renderPhoto(m, u, k.gen)
		default:
			p := portraitOf(u, k.idx, k.gen)
			p.grain = grainFor(k)
			renderPortrait(m, p, u.Transparent, f)
		}
	case sceneFBSilhouette, sceneXDefault, sceneMysteryPerson:
		bg, fg, _ := flatColours(k)
		renderPortrait(m, silhouette(bg, fg), false, 0)
	case sceneGravatarLogo:
		renderLogo(m)
	case sceneIdenticon:
		renderIdenticon(m, k.seed)
	case sceneBlank:
		// all zero: transparent
	case sceneBanner:
		renderBanner(m, k)
	}
	return m
}

// grainFor returns the film-grain amplitude of picture k: photo-like for JPEG (a 1024² JPEG of
// q85 weighs about 250 KB), lighter for the lossless formats, and fading at small sizes the way
// noise averages out when a photo is downscaled.
func grainFor(k picKey) float64 {
	g := 0.075
	if k.format != "jpeg" {
		g = 0.03
	}
	return g * math.Min(1, math.Max(0.25, float64(min(k.w, k.h))/400))
}

// parallelRows runs fn over row bands of [0, h) on several goroutines.
func parallelRows(h int, fn func(y0, y1 int)) {
	n := runtime.GOMAXPROCS(0)
	if n > h/32 {
		n = h / 32
	}
	if n <= 1 {
		fn(0, h)
		return
	}
	var wg sync.WaitGroup
	step := (h + n - 1) / n
	for y0 := 0; y0 < h; y0 += step {
		y1 := min(y0+step, h)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(y0, y1)
		}()
	}
	wg.Wait()
}

// hash32 is a per-pixel integer hash for grain.
func hash32(x, y, seed uint32) uint32 {
	h := x*0x27d4eb2d ^ y*0x165667b1 ^ seed
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return h
}

// renderPortrait draws p into m. The scene lives in unit coordinates: the unit square maps to the
// centred square of side min(w, h), and a non-square picture extends it sideways or up and down, so
// a centred square crop of an original is the square rendering of the same scene.
func renderPortrait(m *image.NRGBA, p *portrait, transparent bool, frame int) {
	h := m.Rect.Dy()
	parallelRows(h, func(y0, y1 int) {
		renderBand(m, *p, transparent, frame, y0, y1)
	})
}

// maxBokeh bounds the number of blurred discs of a portrait.
const maxBokeh = 8

// renderBand draws rows [y0, y1) of p into m. It works on local copies of everything it reads in
// the pixel loop (value parameters, arrays), which keeps it fast under the race detector too.
func renderBand(m *image.NRGBA, p portrait, transparent bool, frame, y0, y1 int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	side := float64(min(w, h))
	px := 1 / side
	soft := math.Max(1.2*px, 0.004)

	hr := p.hr
	shoulders := ellipse{cx: p.fx, cy: p.hy + hr*3.7, rx: hr * 3.0, ry: hr * 1.95}
	neck := ellipse{cx: p.fx, cy: p.hy + hr*1.45, rx: hr * 0.44, ry: hr * 0.8}
	hairE := ellipse{cx: p.fx, cy: p.hy - hr*0.10, rx: hr * 1.10, ry: hr * 1.24}
	faceE := ellipse{cx: p.fx, cy: p.hy + hr*0.10, rx: hr * 0.90, ry: hr * 1.13}
	eyeRy := hr * 0.075
	if frame == 2 { // blink
		eyeRy = hr * 0.018
	}
	eyeL := ellipse{cx: p.fx - hr*0.36, cy: p.hy + hr*0.08, rx: hr * 0.11, ry: eyeRy}
	eyeR := ellipse{cx: p.fx + hr*0.36, cy: p.hy + hr*0.08, rx: hr * 0.11, ry: eyeRy}
	mouth := ellipse{cx: p.fx, cy: p.hy + hr*0.62, rx: hr * 0.30, ry: hr * 0.075}
	halo := ellipse{cx: p.fx, cy: p.hy + hr*0.6, rx: hr * 2.6, ry: hr * 2.6}
	if p.flat {
		hairE = ellipse{cx: p.fx, cy: p.hy, rx: hr, ry: hr}
		shoulders = ellipse{cx: p.fx, cy: p.hy + hr*3.9, rx: hr * 2.6, ry: hr * 2.5}
	}
	shoulders.prepare(soft)
	neck.prepare(soft)
	hairE.prepare(soft)
	faceE.prepare(soft)
	eyeL.prepare(soft)
	eyeR.prepare(soft)
	mouth.prepare(soft)
	halo.prepare(soft)

	var bk [maxBokeh]bokeh
	nb := copy(bk[:], p.bokeh)
	bokehShift := float64(frame) * 0.06
	for i := range nb {
		bk[i].x += bokehShift
	}
	bg0, bg1, bg2 := p.bg[0], p.bg[1], p.bg[2]
	dx, dy := p.dx*0.9, p.dy*0.9
	lx, ly, lz := p.lx, p.ly, p.lz
	shirt, skin, hair, figure, haloC := p.shirt, p.skin, p.hair, p.figure, p.halo
	neckSkin := 0.78
	eyeCol := rgb{0.12, 0.09, 0.08}
	mouthCol := lerp(skin, rgb{0.55, 0.18, 0.2}, 0.5)
	grain, flat := p.grain, p.flat
	seed := uint32(0)
	if !flat {
		seed = hash32(uint32(p.fx*1e6), uint32(p.hy*1e6), uint32(p.hr*1e6))
	}

	for y := y0; y < y1; y++ {
		v := (float64(y)+0.5-float64(h)/2)*px + 0.5
		row := m.Pix[y*m.Stride : y*m.Stride+w*4]
		for x := 0; x < w; x++ {
			u := (float64(x)+0.5-float64(w)/2)*px + 0.5
			var c rgb
			alpha := 1.0
			switch {
			case transparent:
				alpha = 0
				if cov, _, _, ee := halo.cover(u, v); cov > 0 {
					// a soft semi-transparent disc behind the figure
					c, alpha = haloC, cov*0.45*(1-0.6*ee)
				}
			case flat:
				c = bg0
			default:
				t := clamp01(0.5 + (u-0.5)*dx + (v-0.5)*dy)
				if t < 0.5 {
					c = lerp(bg0, bg1, smooth(t*2))
				} else {
					c = lerp(bg1, bg2, smooth(t*2-1))
				}
				for i := 0; i < nb; i++ {
					bx := u - bk[i].x
					by := v - bk[i].y
					if d2 := bx*bx + by*by; d2 < bk[i].r2 {
						c = lerp(c, bk[i].c, bk[i].a*smooth((1-d2*bk[i].ir2)*2.5))
					}
				}
				// vignette
				du, dv := u-0.5, v-0.5
				c = c.scale(1 - 0.45*(du*du+dv*dv))
			}

			// the figure, back to front
			if flat {
				cov, _, _, _ := shoulders.cover(u, v)
				c, alpha = over(c, alpha, figure, cov)
				cov, _, _, _ = hairE.cover(u, v)
				c, alpha = over(c, alpha, figure, cov)
			} else {
				if cov, nx, ny, ee := shoulders.cover(u, v); cov > 0 {
					c, alpha = over(c, alpha, shirt.scale(shade(nx, ny, ee, lx, ly, lz)), cov)
				}
				if cov, nx, _, _ := neck.cover(u, v); cov > 0 {
					c, alpha = over(c, alpha, skin.scale(neckSkin+0.1*nx*lx), cov)
				}
				if cov, nx, ny, ee := hairE.cover(u, v); cov > 0 {
					c, alpha = over(c, alpha, hair.scale(shade(nx, ny, ee, lx, ly, lz)), cov)
				}
				if cov, nx, ny, ee := faceE.cover(u, v); cov > 0 {
					// the hairline: the top of the face is hair
					cov *= smooth((ny + 0.62 - 0.35*nx*nx) * 4)
					c, alpha = over(c, alpha, skin.scale(shade(nx, ny, ee, lx, ly, lz)), cov)
					if cov > 0.5 {
						if ec, _, _, _ := eyeL.cover(u, v); ec > 0 {
							c, alpha = over(c, alpha, eyeCol, ec)
						}
						if ec, _, _, _ := eyeR.cover(u, v); ec > 0 {
							c, alpha = over(c, alpha, eyeCol, ec)
						}
						if mc, _, _, _ := mouth.cover(u, v); mc > 0 {
							c, alpha = over(c, alpha, mouthCol, mc*0.8)
						}
					}
				}
			}

			if !flat && alpha > 0 {
				// film grain: luminance noise plus a little chroma noise
				hh := hash32(uint32(x), uint32(y), seed)
				n := (float64(hh&0xff) + float64(hh>>8&0xff) - 255) / 255 * grain
				nr := (float64(hh>>16&0xff) - 127.5) / 255 * grain * 0.5
				nb := (float64(hh>>24) - 127.5) / 255 * grain * 0.5
				c = rgb{c.r + n + nr, c.g + n, c.b + n + nb}
			}
			px := row[x*4 : x*4+4 : x*4+4]
			binary.LittleEndian.PutUint32(px, uint32(to8(c.r))|uint32(to8(c.g))<<8|uint32(to8(c.b))<<16|uint32(to8(alpha))<<24)
		}
	}
}

// over composites colour fc with coverage cov over (c, alpha) (straight alpha).
func over(c rgb, alpha float64, fc rgb, cov float64) (rgb, float64) {
	if cov <= 0 {
		return c, alpha
	}
	na := cov + alpha*(1-cov)
	if na > 0 {
		c = lerp(c, fc, cov/na)
	}
	return c, na
}

// shade is a soft diffuse light (lx, ly, lz) on an ellipsoid at normalised position (nx, ny).
func shade(nx, ny, ee, lx, ly, lz float64) float64 {
	z := 0.0
	if ee < 1 {
		z = math.Sqrt(1 - ee)
	}
	d := nx*lx + ny*ly + z*lz
	if d < 0 {
		d = 0
	}
	return 0.55 + 0.55*d
}

func to8(f float64) uint8 {
	if f <= 0 {
		return 0
	}
	if f >= 1 {
		return 255
	}
	return uint8(f*255 + 0.5)
}

// renderLogo draws Gravatar's default logo: a white open ring with a stem on Gravatar blue.
func renderLogo(m *image.NRGBA) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	side := float64(min(w, h))
	px := 1 / side
	bg := hexRGB(gravatarLogoColours[0])
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			v := (float64(y)+0.5-float64(h)/2)*px + 0.5
			row := m.Pix[y*m.Stride : y*m.Stride+w*4]
			for x := 0; x < w; x++ {
				u := (float64(x)+0.5-float64(w)/2)*px + 0.5
				du, dv := u-0.5, v-0.5
				ring := 0.0
				// the ring, open at the top right (screen coordinates: dv < 0 is up)
				if !(du > 0 && dv < 0 && -dv > du*0.577) {
					d := math.Sqrt(du*du + dv*dv)
					ring = clamp01((0.06-math.Abs(d-0.27))/px + 0.5)
				}
				stem := 0.0
				if v > 0.20 && v < 0.52 {
					stem = clamp01((0.055-math.Abs(du))/px + 0.5)
				}
				c := lerp(bg, rgb{1, 1, 1}, math.Max(ring, stem))
				binary.LittleEndian.PutUint32(row[x*4:x*4+4:x*4+4], uint32(to8(c.r))|uint32(to8(c.g))<<8|uint32(to8(c.b))<<16|0xff<<24)
			}
		}
	})
}

// identiconColours returns the background and block colours of the identicon of seed.
func identiconColours(seed string) (bg, fg rgb) {
	r := newPRNG("identicon", seed)
	return hexRGB(0xf0f0f0), hsv(r.f(0, 1), r.f(0.45, 0.7), r.f(0.55, 0.8))
}

// renderIdenticon draws a 5×5 mirrored block pattern derived from seed.
func renderIdenticon(m *image.NRGBA, seed string) {
	bg, fg := identiconColours(seed)
	r := newPRNG("identicon-cells", seed)
	var cells [5][5]bool
	for row := range 5 {
		for col := range 3 {
			on := r.pick(2) == 0
			cells[row][col], cells[row][4-col] = on, on
		}
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	side := min(w, h)
	pad := float64(side) / 12
	cell := (float64(side) - 2*pad) / 5
	ox, oy := float64(w-side)/2, float64(h-side)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bg
			cx := int(math.Floor((float64(x) - ox - pad) / cell))
			cy := int(math.Floor((float64(y) - oy - pad) / cell))
			if cx >= 0 && cx < 5 && cy >= 0 && cy < 5 && cells[cy][cx] {
				c = fg
			}
			o := y*m.Stride + x*4
			m.Pix[o], m.Pix[o+1], m.Pix[o+2], m.Pix[o+3] = to8(c.r), to8(c.g), to8(c.b), 255
		}
	}
}
