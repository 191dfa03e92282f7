package cloudinarytest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	_ "golang.org/x/image/webp"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// secret is the API secret the SDKs sign with, and avatarkit checks with.
const secret = "conformance-secret-4f1c2a"

// Prefixes the handlers are mounted at: where the SDKs' URLs put the delivery type when only the
// host is changed (cname / secure_distribution: the cloud name stays in the path; with
// private_cdn it does not), and a cloud whose types are all restricted.
const (
	sharedPrefix     = "/demo/image/"
	privatePrefix    = "/image/"
	restrictedPrefix = "/restricted/image/"
)

// deliveryTypes are the types every case is built for, with the user of the fake networks each
// one asks for.
var deliveryTypes = []struct {
	typ, id string
}{
	{"facebook", "10158273645190234"},        // Amelia Hart, 960×960 JPEG
	{"twitter", "1453287346851024897"},       // AvatarKit, 800×800 JPEG
	{"twitter_name", "wide_lens"},            // 1200×900 JPEG
	{"gravatar", gravatarID("Ada Lovelace")}, // 1024×1024 JPEG
}

func gravatarID(name string) string {
	for _, u := range fetchtest.Users {
		if u.Network == fetchtest.Gravatar && u.Name == name {
			return u.ID
		}
	}
	panic("no gravatar user " + name)
}

// missingIDs are identifiers of users the networks do not have, by type.
var missingIDs = map[string]string{
	"facebook": fetchtest.MissingFacebookID, "twitter": fetchtest.MissingXID,
	"twitter_name": "nobody_here_1", "gravatar": fetchtest.MissingGravatarHash,
}

// env is a server with avatarkit mounted as a Cloudinary cloud would be, on the fake networks.
type env struct {
	srv  *httptest.Server
	host string                 // host:port of srv
	src  map[string]image.Point // the size of each type's source picture
}

// theEnv is shared by the tests, so that a variant one SDK's URL made is a cache hit for the
// others' (TestMain builds it).
var theEnv *env

func TestMain(m *testing.M) {
	e, cleanup, err := newEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudinarytest:", err)
		os.Exit(1)
	}
	theEnv = e
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// newEnv starts the fake networks and the handlers, and measures the sources.
func newEnv() (*env, func(), error) {
	fake := fetchtest.NewServer()
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, fake.Close)
	var avatar bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range m.Pix {
		m.Pix[i] = 0x80
	}
	m.Set(0, 0, color.RGBA{255, 0, 0, 255})
	if err := png.Encode(&avatar, m); err != nil {
		return nil, cleanup, err
	}
	mux := http.NewServeMux()
	for i, p := range []string{sharedPrefix, privatePrefix, restrictedPrefix} {
		cfg := avatarmw.Config{
			Name:   fmt.Sprintf("cloudinarytest%d", i),
			Prefix: p,
			Fetch: fetch.Config{
				FacebookURL: fake.FacebookURL(), FacebookToken: fetchtest.FacebookToken,
				XURL: fake.XURL(), XToken: fetchtest.XToken, GravatarURL: fake.GravatarURL(),
			},
			CacheBytes:           256 << 20,
			Secrets:              []string{secret},
			DefaultImages:        map[string][]byte{"avatar": avatar.Bytes()},
			NamedTransformations: map[string]string{"avatar_small": "c_fill,g_face,h_48,w_48"},
		}
		if p != restrictedPrefix {
			cfg.Restricted = []string{} // unsigned URLs are served
		}
		h, err := avatarmw.New(cfg)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		closers = append(closers, func() { h.Close() })
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	closers = append(closers, srv.Close)
	e := &env{srv: srv, host: strings.TrimPrefix(srv.URL, "http://"), src: map[string]image.Point{}}
	for _, dt := range deliveryTypes {
		res, err := e.do(srv.URL+sharedPrefix+dt.typ+"/"+dt.id+".png", nil, "")
		if err != nil || res.status != http.StatusOK {
			cleanup()
			return nil, nil, fmt.Errorf("the %s source: %v %d %s", dt.typ, err, res.status, res.body)
		}
		e.src[dt.typ] = res.size
	}
	return e, cleanup, nil
}

// result is what avatarkit answered.
type result struct {
	status int
	format string
	size   image.Point
	header http.Header
	body   string // the reason, for errors
}

// get requests u (an SDK's URL, whatever its host) from the test server.
func (e *env) get(t *testing.T, u string, hdr []string, accept string) result {
	t.Helper()
	r, err := e.do(u, hdr, accept)
	require.NoError(t, err, u)
	return r
}

func (e *env) do(u string, hdr []string, accept string) (result, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return result{}, err
	}
	parsed.Scheme, parsed.Host = "http", e.host
	req, err := http.NewRequest(http.MethodGet, parsed.String(), nil)
	if err != nil {
		return result{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return result{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return result{}, err
	}
	r := result{status: res.StatusCode, header: res.Header, format: sniff(b)}
	if res.StatusCode != http.StatusOK {
		r.body = strings.TrimSpace(string(b))
		return r, nil
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		r.size = image.Pt(cfg.Width, cfg.Height)
	}
	return r, nil
}

// sniff names the format of b from its magic bytes.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 12 && string(b[4:8]) == "ftyp" && (string(b[8:12]) == "avif" || string(b[8:12]) == "avis"):
		return "avif"
	}
	return "unknown"
}

// verdict compares an answer with what Cloudinary would answer for case c of a source of size
// src: "" when they agree, else what differs.
func verdict(c kase, r result, src image.Point) string {
	if r.status != http.StatusOK {
		return fmt.Sprintf("status %d: %s", r.status, r.body)
	}
	want := c.format
	switch {
	case want != "":
	case c.ext == "jpg":
		want = "jpeg"
	case c.ext != "":
		want = c.ext
	default:
		want = "jpeg" // the sources are JPEGs
	}
	if !formatIn(r.format, want) {
		return fmt.Sprintf("format %s, want %s", r.format, want)
	}
	if c.size == nil { // e_trim: at most the source
		if r.size.X < 1 || r.size.Y < 1 || r.size.X > src.X || r.size.Y > src.Y {
			return fmt.Sprintf("size %v, want within %v", r.size, src)
		}
		return ""
	}
	exp := c.size(src)
	if abs(r.size.X-exp.X) > c.tol || abs(r.size.Y-exp.Y) > c.tol {
		return fmt.Sprintf("size %dx%d, want %dx%d", r.size.X, r.size.Y, exp.X, exp.Y)
	}
	return ""
}

func formatIn(got, want string) bool {
	for w := range strings.SplitSeq(want, "|") {
		if got == w {
			return true
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// tally counts, per SDK, the URLs served as Cloudinary would serve them.
type tally struct {
	mu      sync.Mutex
	served  map[string]int
	total   map[string]int
	pending map[string][]string // cases that need other work, and failed as expected
	passing map[string][]string // cases that need other work, and pass already
}

func newTally() *tally {
	return &tally{served: map[string]int{}, total: map[string]int{}, pending: map[string][]string{}, passing: map[string][]string{}}
}

// record checks one URL's answer; a case that needs other work is reported, not failed.
func (ta *tally) record(t *testing.T, sdk string, c kase, u string, r result, src image.Point) {
	t.Helper()
	why := verdict(c, r, src)
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.total[sdk]++
	if why == "" {
		ta.served[sdk]++
		if c.needs != "" {
			ta.passing[sdk] = append(ta.passing[sdk], c.name)
		}
		return
	}
	if c.needs != "" {
		ta.pending[sdk] = append(ta.pending[sdk], c.name+": "+c.needs+" ("+why+")")
		return
	}
	t.Errorf("%s %s: %s\n\t%s", sdk, c.name, why, u)
}

func (ta *tally) report(t *testing.T) {
	for sdk, n := range ta.total {
		t.Logf("%s: %d of %d URLs served as Cloudinary would serve them", sdk, ta.served[sdk], n)
		if p := uniq(ta.pending[sdk]); len(p) > 0 {
			t.Logf("%s: %d not yet:\n\t%s", sdk, len(ta.pending[sdk]), strings.Join(p, "\n\t"))
		}
		if p := uniq(ta.passing[sdk]); len(p) > 0 {
			t.Logf("%s: marked as needing other work but passing now (enable them): %s", sdk, strings.Join(p, ", "))
		}
	}
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		k, _, _ := strings.Cut(x, ":")
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// caseNamed returns the case of that name.
func caseNamed(t *testing.T, name string) kase {
	t.Helper()
	for _, c := range cases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return kase{}
}
