package fetchtest

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// X profile banners: GET /x/1.1/users/profile_banner.json?user_id=… (or screen_name=…) answers the
// sizes of the user's banner, each a URL on the image host; the image host serves each size.

// bannerSizes are the sizes of a banner the X API lists, with their pixel sizes, in the order
// the real API writes them.
var bannerSizes = []struct {
	name string
	w, h int
}{
	{"ipad", 626, 313},
	{"ipad_retina", 1252, 626},
	{"web", 520, 260},
	{"web_retina", 1040, 520},
	{"mobile", 320, 160},
	{"mobile_retina", 640, 320},
	{"300x100", 300, 100},
	{"600x200", 600, 200},
	{"1500x500", 1500, 500},
}

// BannerSizes returns the names of the sizes of a banner the X API lists ("ipad", "web",
// "1500x500", ...), each with its width and height in pixels.
func BannerSizes() map[string]image.Point {
	out := make(map[string]image.Point, len(bannerSizes))
	for _, s := range bannerSizes {
		out[s.name] = image.Pt(s.w, s.h)
	}
	return out
}

func bannerSize(name string) (w, h int, ok bool) {
	for _, s := range bannerSizes {
		if s.name == name {
			return s.w, s.h, true
		}
	}
	return 0, 0, false
}

var (
	bannerAPIPath = regexp.MustCompile(`^/x/1\.1/users/profile_banner\.json$`)
	bannerPath    = regexp.MustCompile(`^/pbs/profile_banners/([0-9]{1,19})/([0-9]{1,12})/([a-z0-9_]+)$`)
)

// hasBanner reports whether u has a banner at banner generation gen: a Banner user, or one who
// uploaded one (ChangeBanner).
func hasBanner(u User, gen int) bool { return u.Banner || gen > 0 }

// bannerStamp is the number in the URL of u's banner of generation gen: X puts the upload time
// there, so a new banner has a new URL.
func bannerStamp(u User, gen int) int64 {
	r := newPRNG("banner", u.ID)
	return 1500000000 + int64(r.next()%100000000) + int64(gen)*86400
}

// bannerURL returns the URL of a size of u's banner of generation gen.
func (s *Server) bannerURL(u User, gen int, size string) string {
	return fmt.Sprintf("%s/pbs/profile_banners/%s/%d/%s", s.imageBase(X), u.ID, bannerStamp(u, gen), size)
}

// XBannerURL returns the URL of a size of an x user's current banner ("1500x500", "web", ...), as
// profile_banner.json lists it. ok is false for an unknown user or one without a banner. id is
// the user id or the screen name.
func (s *Server) XBannerURL(id, size string) (u string, ok bool) {
	i := s.xIndex(id)
	if i < 0 {
		return "", false
	}
	usr, gen := s.user(i), s.bannerGen(i)
	if _, _, known := bannerSize(size); !known || !hasBanner(usr, gen) {
		return "", false
	}
	return s.bannerURL(usr, gen, size), true
}

// ChangeBanner gives an x user a new banner, clearly different from the one before; a user
// without a banner uploads one. The old banner's URLs answer 404 from then on, like the real
// image host. id is the user id or the screen name; it panics on an unknown user (a bug in the
// test). BannerGeneration tells how many times a user's banner changed.
func (s *Server) ChangeBanner(id string) {
	i := s.xIndex(id)
	if i < 0 {
		panic(fmt.Sprintf("fetchtest: ChangeBanner: no x user %q", id))
	}
	s.mu.Lock()
	s.bannerGens[i]++
	s.mu.Unlock()
}

// BannerGeneration returns how many times an x user's banner was changed with ChangeBanner.
func (s *Server) BannerGeneration(id string) int {
	i := s.xIndex(id)
	if i < 0 {
		return 0
	}
	return s.bannerGen(i)
}

func (s *Server) bannerGen(i int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bannerGens[i]
}

// xIndex returns the index of the x user with this id or screen name, or -1.
func (s *Server) xIndex(id string) int {
	if i := s.userIndex(X, id); i >= 0 {
		return i
	}
	return s.xNameIndex(id)
}

// xV1Error writes an X API v1.1 error answer.
func xV1Error(w http.ResponseWriter, r *http.Request, status, code int, message string) {
	writeJSON(w, r, status, "application/json; charset=utf-8", map[string]any{
		"errors": []map[string]any{{"code": code, "message": message}},
	})
}

// serveXBanner answers GET /x/1.1/users/profile_banner.json?user_id=… or ?screen_name=…, as the
// X API v1.1 does: the sizes of the user's banner; 404 with error 34 for a user without one, 404
// with error 50 for an unknown user; 401 with error 89 for a missing or wrong bearer token; 429
// with error 88 when rate limited.
func (s *Server) serveXBanner(w http.ResponseWriter, r *http.Request, f Fault) {
	switch {
	case f.RateLimit:
		s.xRateHeaders(w, true, f.retryAfter())
		xV1Error(w, r, http.StatusTooManyRequests, 88, "Rate limit exceeded")
		return
	case f.BadToken:
		xV1Error(w, r, http.StatusUnauthorized, 89, "Invalid or expired token.")
		return
	}
	s.xRateHeaders(w, false, 0)
	switch {
	case f.Status >= 500:
		xV1Error(w, r, f.Status, 131, "Internal error")
		return
	case f.Status != 0:
		xV1Error(w, r, f.Status, 0, http.StatusText(f.Status))
		return
	case !bannerAPIPath.MatchString(r.URL.Path):
		xV1Error(w, r, http.StatusNotFound, 34, "Sorry, that page does not exist.")
		return
	case r.Header.Get("Authorization") != "Bearer "+XToken:
		xV1Error(w, r, http.StatusUnauthorized, 89, "Invalid or expired token.")
		return
	}
	q := r.URL.Query()
	i := -1
	switch id, name := q.Get("user_id"), q.Get("screen_name"); {
	case id != "" && xIDRule.MatchString(id):
		i = s.userIndex(X, id)
	case id == "" && name != "" && xNameRule.MatchString(name):
		i = s.xNameIndex(name)
	case id == "" && name == "":
		xV1Error(w, r, http.StatusBadRequest, 38, "user_id or screen_name parameter is missing.")
		return
	}
	if i < 0 {
		xV1Error(w, r, http.StatusNotFound, 50, "User not found.")
		return
	}
	u, gen := s.user(i), s.bannerGen(i)
	if !hasBanner(u, gen) {
		xV1Error(w, r, http.StatusNotFound, 34, "Sorry, that page does not exist.")
		return
	}
	type size struct {
		H   int    `json:"h"`
		W   int    `json:"w"`
		URL string `json:"url"`
	}
	sizes := make(map[string]size, len(bannerSizes))
	for _, bs := range bannerSizes {
		sizes[bs.name] = size{H: bs.h, W: bs.w, URL: s.bannerURL(u, gen, bs.name)}
	}
	writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", map[string]any{"sizes": sizes})
}

// serveXBannerImage answers /pbs/profile_banners/{user id}/{stamp}/{size}: a JPEG of that size
// (no extension, like the real host). Only the current banner is served: after ChangeBanner the
// old URLs answer 404.
func (s *Server) serveXBannerImage(w http.ResponseWriter, r *http.Request, f Fault) {
	if s.serveImageFault(w, r, f, "image/jpeg") {
		return
	}
	notFound := func() {
		writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", htmlError(http.StatusNotFound))
	}
	m := bannerPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		notFound()
		return
	}
	i := s.userIndex(X, m[1])
	bw, bh, ok := bannerSize(m[3])
	if i < 0 || !ok {
		notFound()
		return
	}
	u, gen := s.user(i), s.bannerGen(i)
	if !hasBanner(u, gen) || strconv.FormatInt(bannerStamp(u, gen), 10) != m[2] {
		notFound()
		return
	}
	key := picKey{scene: sceneBanner, user: u, idx: i, gen: gen, w: bw, h: bh, format: "jpeg"}
	s.servePicture(w, r, f, key, "max-age=604800, must-revalidate")
}

// bannerLayout is the landscape of a banner: a sky, a sun, three ranges of hills.
type bannerLayout struct {
	skyTop, skyLow, sun rgb
	sunU, sunV, sunR    float64
	hills               [3]bannerHill
	grain               float64
	stars               bool
}

// bannerHill is one range of hills: its colour, base line and ridge (a sum of sines).
type bannerHill struct {
	c           rgb
	base, amp   float64
	freq, phase [3]float64
}

// bannerOf returns the landscape of the banner of generation gen of u, user i of its population:
// hues spread by user (as the portraits'), shifted by generation, so that every banner and each
// new one of a user differ clearly.
func bannerOf(u User, i, gen int) *bannerLayout {
	r := newPRNG("banner-scene", u.ID, strconv.Itoa(gen))
	hue := 0.55 + 0.618034*float64(i) + 0.29*float64(gen)
	night := (i+gen)%4 == 3
	b := &bannerLayout{grain: 0.03, stars: night}
	if night {
		b.skyTop, b.skyLow = hsv(hue, 0.6, 0.18), hsv(hue+0.08, 0.5, 0.42)
		b.sun = hsv(0.14, 0.08, 0.97)
	} else {
		b.skyTop, b.skyLow = hsv(hue, r.f(0.45, 0.65), r.f(0.70, 0.85)), hsv(hue+r.f(0.06, 0.14), r.f(0.25, 0.45), r.f(0.92, 1))
		b.sun = hsv(0.11, 0.35, 1)
	}
	b.sunU, b.sunV, b.sunR = r.f(-0.9, 0.9), r.f(0.18, 0.38), r.f(0.07, 0.11)
	for k := range b.hills {
		h := &b.hills[k]
		depth := float64(k) / 2 // 0: far, 1: near
		h.c = lerp(b.skyLow, hsv(hue+0.35+r.f(-0.05, 0.05), r.f(0.35, 0.6), 0.55-0.35*depth), 0.45+0.55*depth)
		h.base = 0.55 + 0.15*float64(k)
		h.amp = r.f(0.06, 0.12) * (1 - 0.3*depth)
		for j := range h.freq {
			h.freq[j] = r.f(1.2, 3.5) * float64(j+1)
			h.phase[j] = r.f(0, 2*math.Pi)
		}
	}
	return b
}

// renderBanner draws the banner of k into m. Coordinates are in units of the height, centred
// horizontally: every size of a banner with the same height shows the same middle, and a 2:1 size
// is the middle of the 3:1 one, as X crops them.
func renderBanner(m *image.NRGBA, k picKey) {
	b := bannerOf(k.user, k.idx, k.gen)
	w, h := m.Rect.Dx(), m.Rect.Dy()
	px := 1 / float64(h)
	// The ridge of each range, per column.
	ridges := make([][]float64, len(b.hills))
	for j, hl := range b.hills {
		ridges[j] = make([]float64, w)
		for x := range w {
			u := (float64(x) + 0.5 - float64(w)/2) * px
			y := hl.base
			for n := range hl.freq {
				y -= hl.amp * math.Sin(u*hl.freq[n]+hl.phase[n]) / float64(n+1)
			}
			ridges[j][x] = y
		}
	}
	seed := uint32(bannerStamp(k.user, k.gen))
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			v := (float64(y) + 0.5) * px
			row := m.Pix[y*m.Stride : y*m.Stride+w*4]
			for x := range w {
				u := (float64(x) + 0.5 - float64(w)/2) * px
				c := lerp(b.skyTop, b.skyLow, smooth(clamp01(v/0.7)))
				if b.stars && hash32(uint32(x), uint32(y), seed)%1500 == 0 {
					c = rgb{1, 1, 1}
				}
				du, dv := u-b.sunU, v-b.sunV
				d := math.Sqrt(du*du + dv*dv)
				c = lerp(c, b.sun, 0.35*clamp01(1-(d-b.sunR)/(3*b.sunR))) // the glow
				c = lerp(c, b.sun, clamp01((b.sunR-d)/px+0.5))            // the disc
				for j := range b.hills {
					top := ridges[j][x]
					if cov := clamp01((v-top)/px + 0.5); cov > 0 {
						shade := 1 - 0.25*clamp01((v-top)/0.4) // darker down the slope
						c = lerp(c, b.hills[j].c.scale(shade), cov)
					}
				}
				hh := hash32(uint32(x), uint32(y), seed^0x9e37)
				n := (float64(hh&0xff) + float64(hh>>8&0xff) - 255) / 255 * b.grain
				c = rgb{c.r + n, c.g + n, c.b + n}
				binary.LittleEndian.PutUint32(row[x*4:x*4+4:x*4+4], uint32(to8(c.r))|uint32(to8(c.g))<<8|uint32(to8(c.b))<<16|0xff<<24)
			}
		}
	})
}

// isBannerPath reports a path of the banner image host.
func isBannerPath(path string) bool { return strings.HasPrefix(path, "/pbs/profile_banners/") }
