package avatarmw

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

// Vectors from Cloudinary's SDK test suites (pycloudinary, cloudinary_npm, cloudinary_gem: api
// secret "b"), and ones computed independently (Python hashlib) for avatar paths.
func TestSignVectors(t *testing.T) {
	for _, tc := range []struct {
		secret, text string
		long         bool
		want         string
	}{
		{"b", "c_crop,h_20,w_10/image.jpg", false, "Ai4Znfl3"},
		{"b", "image.jpg", false, "--SjmNDA"}, // begins with '-'
		{"b", "sample.jpg", false, "v2fTPYTu"},
		{"b", "sample.jpg", true, "2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf"},
		{"b", "65646572251.jpg", false, "79Grh-d9"},
		{"b", "65646572251", false, "9GQNtWY7"},
		{"b", "c_fill,g_face,h_90,w_90/65646572251.jpg", false, "myn1kCIz"},
		{"b", "c_fill,g_face,h_90,w_90/65646572251.jpg", true, "Jlr0sf15VFv1xgL3Cwr_v9u91zkfo3Ah"},
		{"b", "w_100/billclinton.jpg", false, "Ne78Aaj7"},
		{"b", "c_thumb,g_face,h_150,w_150/r_max/65646572251.png", true, "xC--ZqwzWh1jksan3PF9InYU0274Jnah"},
		{"AbcdEfghIjklmnopq1234567890", "l_text:Helvetica_50:test+text/some_public_id.jpg", false, "j5Z1ILxd"},
		// pycloudinary, cloudinary_npm, cloudinary_gem: a fetch URL "s--hH_YcbiS--/v1234/http://...":
		// the version is not signed, the identifier is signed with its slashes.
		{"b", "http://google.com/path/to/image.png", false, "hH_YcbiS"},
		// pycloudinary: the text is signed as it appears in the URL, its percent-encoding included
		// ("co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D"); the signature has a '-' inside.
		{"b", "co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D/image.jpg", false, "Uqk1a-5W"},
	} {
		assert.Equal(t, tc.want, Sign(tc.secret, tc.text, tc.long), tc.text)
		assert.True(t, verifySignature([]string{"another secret", tc.secret}, tc.want, tc.text), tc.text)
	}
	// Cloudinary's signature_algorithm=sha256 short form is accepted too.
	assert.True(t, verifySignature([]string{"b"}, "2hbrSMPO", "sample.jpg"))
	for _, bad := range []struct{ sig, text string }{
		{"Ai4Znfl4", "c_crop,h_20,w_10/image.jpg"},
		{"Ai4Znfl3", "c_crop,h_20,w_11/image.jpg"},
		{"Ai4Znfl3", "c_crop,h_20,w_10/v1234/image.jpg"}, // the version is not signed, so not part of the text
		{"2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFe", "sample.jpg"},
		{"v2fTPYTuMTPZZWG-RGa2hQbe2LI_____", "sample.jpg"}, // a long form must be SHA-256
		{"", "sample.jpg"},
	} {
		assert.False(t, verifySignature([]string{"b"}, bad.sig, bad.text), bad)
	}
	assert.False(t, verifySignature(nil, "v2fTPYTu", "sample.jpg"))
}

// TestCloudinarySDKURLs reads delivery URLs exactly as Cloudinary's SDK test suites expect their
// SDKs to write them (the part after /image/upload/ or /image/authenticated/, with api secret "b":
// pycloudinary test_utils.py test_signed_url and test_support_long_url_signature, cloudinary_npm,
// cloudinary_gem utils_spec.rb "should correctly sign URLs", cloudinary_php, cloudinary_java) and
// checks that the signature the parser finds verifies against the text the parser says is signed.
// The signature is read by length, so the ones that begin with '-' ("s----SjmNDA--") parse.
func TestCloudinarySDKURLs(t *testing.T) {
	for _, tc := range []struct {
		path, sig, text string
	}{
		{"s--Ai4Znfl3--/c_crop,h_20,w_10/v1234/image.jpg", "Ai4Znfl3", "c_crop,h_20,w_10/image.jpg"},
		{"s----SjmNDA--/v1234/image.jpg", "--SjmNDA", "image.jpg"},
		{"s--Ai4Znfl3--/c_crop,h_20,w_10/image.jpg", "Ai4Znfl3", "c_crop,h_20,w_10/image.jpg"},
		{"s--v2fTPYTu--/sample.jpg", "v2fTPYTu", "sample.jpg"},
		{"s--2hbrSMPO--/sample.jpg", "2hbrSMPO", "sample.jpg"},                                                 // signature_algorithm: sha256
		{"s--2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf--/sample.jpg", "2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf", "sample.jpg"}, // long_url_signature
	} {
		r, err := parsePath("facebook/" + tc.path)
		require.NoError(t, err, tc.path)
		assert.Equal(t, tc.sig, r.Signature, tc.path)
		assert.Equal(t, tc.text, r.signed, tc.path)
		assert.True(t, verifySignature([]string{"b"}, r.Signature, r.signed), tc.path)
	}
	// cloudinary_scala's old expectations signed the version too ("s--MaRXzoEC--" for
	// c_crop,h_20,w_10/v1234/image.jpg, "s--ZlgFLQcO--" for v1234/image.jpg); today's SDKs do not,
	// and neither do we: those URLs are refused.
	for _, p := range []string{"s--MaRXzoEC--/c_crop,h_20,w_10/v1234/image.jpg", "s--ZlgFLQcO--/v1234/image.jpg"} {
		r, err := parsePath("facebook/" + p)
		require.NoError(t, err, p)
		assert.False(t, verifySignature([]string{"b"}, r.Signature, r.signed), p)
	}
}

const testSecret = "AbcdEfghIjklmnopq1234567890"

func TestRestrictedTypes(t *testing.T) {
	_, fake, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{testSecret} })
	u := user(t, "facebook", plain)
	if u.ID != "10158273645190234" {
		t.Fatalf("vectors below are for 10158273645190234, fetchtest's first user is %s", u.ID)
	}
	for _, tc := range []struct {
		path   string
		status int
		reason string
	}{
		{"/avatars/facebook/c_fill,h_90,w_90/10158273645190234.jpg", 401, "restricted"},
		{"/avatars/facebook/10158273645190234.jpg", 401, "restricted"},
		{"/avatars/twitter/" + fetchtest.MissingXID + ".jpg", 401, "restricted"},
		// Independently computed (Python hashlib): SHA-1 short, SHA-256 short, SHA-256 long.
		{"/avatars/facebook/s--R8L5MfFd--/c_fill,h_90,w_90/10158273645190234.jpg", 200, ""},
		{"/avatars/facebook/s--m31u4F9b--/c_fill,h_90,w_90/10158273645190234.jpg", 200, ""},
		{"/avatars/facebook/s--m31u4F9b5m6vx1PWe7KN9Jd8FGOuphVT--/c_fill,h_90,w_90/10158273645190234.jpg", 200, ""},
		{"/avatars/facebook/s--YaknTG66--/10158273645190234.jpg", 200, ""},
		{"/avatars/facebook/s--Ta-F3MpHF3KIFH3qhxWutwvgUnvwTrDz--/10158273645190234.jpg", 200, ""},
		// The version is not signed.
		{"/avatars/facebook/s--R8L5MfFd--/c_fill,h_90,w_90/v42/10158273645190234.jpg", 200, ""},
		// The text signed is the path as it appears: another parameter order is another signature.
		{"/avatars/facebook/s--iFDMCv4X--/w_90,h_90,c_fill/10158273645190234.jpg", 200, ""},
		{"/avatars/facebook/s--R8L5MfFd--/w_90,h_90,c_fill/10158273645190234.jpg", 403, "wrong signature"},
		// Wrong in every way that matters.
		{"/avatars/facebook/s--R8L5MfFe--/c_fill,h_90,w_90/10158273645190234.jpg", 403, "wrong signature"},
		{"/avatars/facebook/s--R8L5MfFd--/c_fill,h_91,w_90/10158273645190234.jpg", 403, "wrong signature"},
		{"/avatars/facebook/s--R8L5MfFd--/c_fill,h_90,w_90/10158273645190234.png", 403, "wrong signature"},
		// As in Cloudinary, the type is not signed: the same text signs the same path of another type.
		{"/avatars/twitter/s--R8L5MfFd--/c_fill,h_90,w_90/10158273645190234.jpg", 404, "no such user"},
		{"/avatars/facebook/s--YaknTG66--/10158273645190235.jpg", 403, "wrong signature"},
	} {
		res := do(t, srv, "GET", tc.path)
		assert.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.path, short(res.body))
		assert.Contains(t, res.Header.Get("X-Avatar-Error"), tc.reason, tc.path)
	}
	assert.Equal(t, 1, fake.Count(fetchtest.XLookup), "only the signed twitter URL reached the network")
}

func TestSignaturesAtTheEdges(t *testing.T) {
	h, _, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{testSecret} })
	u := user(t, "facebook", plain)
	// Find transformations whose signatures begin and end with '-': the parser must read the
	// segment by length, not split it on "--".
	found := map[string]bool{}
	for w := 1; w < 5000 && len(found) < 2; w++ {
		tr := fmt.Sprintf("w_%d", w)
		sig := Sign(testSecret, tr+"/"+u.ID+".png", false)
		for _, edge := range []string{"begins", "ends"} {
			if found[edge] || (edge == "begins" && sig[0] != '-') || (edge == "ends" && sig[len(sig)-1] != '-') {
				continue
			}
			found[edge] = true
			url, err := h.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: tr, Format: "png"})
			require.NoError(t, err)
			assert.Equal(t, "/avatars/facebook/s--"+sig+"--/"+tr+"/"+u.ID+".png", url)
			res := do(t, srv, "GET", url)
			assert.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", url, short(res.body))
		}
	}
	assert.Len(t, found, 2)
}

func TestSecretRotation(t *testing.T) {
	const old, next = "old-secret-0123456789", "new-secret-0123456789"
	u := user(t, "facebook", plain)
	text := "w_32/" + u.ID + ".jpg"
	hOld, _, _ := newTestHandler(t, func(c *Config) { c.Secrets = []string{old} })
	hBoth, _, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{next, old} })

	oldURL, err := hOld.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: "w_32", Format: "jpg"})
	require.NoError(t, err)
	newURL, err := hBoth.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: "w_32", Format: "jpg"})
	require.NoError(t, err)
	assert.Contains(t, newURL, "s--"+Sign(next, text, false)+"--", "the first secret signs")
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", oldURL).StatusCode, "URLs of the old secret still work")
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", newURL).StatusCode)
}

func TestRestrictedSubsetAndNone(t *testing.T) {
	fu := user(t, "facebook", plain)
	xu := user(t, "x", plain)
	_, _, srv := newTestHandler(t, func(c *Config) {
		c.Secrets = []string{testSecret}
		c.Restricted = []string{"twitter"}
	})
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/facebook/"+fu.ID+".jpg").StatusCode)
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/twitter_name/"+xu.Name+".jpg").StatusCode)
	assert.Equal(t, http.StatusUnauthorized, do(t, srv, "GET", "/avatars/twitter/"+xu.ID+".jpg").StatusCode)
	// A signature is never ignored, even on an unrestricted type.
	assert.Equal(t, http.StatusForbidden, do(t, srv, "GET", "/avatars/facebook/s--AAAAAAAA--/"+fu.ID+".jpg").StatusCode)

	_, _, srv = newTestHandler(t, func(c *Config) {
		c.Secrets = []string{testSecret}
		c.Restricted = []string{}
	})
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/twitter/"+xu.ID+".jpg").StatusCode)

	// Without secrets, no signature can be valid.
	_, _, srv = newTestHandler(t, nil)
	res := do(t, srv, "GET", "/avatars/facebook/s--AAAAAAAA--/"+fu.ID+".jpg")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "no signing secret")
}

func TestStrictTransformations(t *testing.T) {
	h, _, srv := newTestHandler(t, func(c *Config) {
		c.Secrets = []string{testSecret}
		c.Restricted = []string{}
		c.StrictTransformations = true
	})
	u := user(t, "facebook", plain)
	res := do(t, srv, "GET", "/avatars/facebook/w_32/"+u.ID+".jpg")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "strict transformations")
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/facebook/"+u.ID+".jpg").StatusCode, "no transformation at all")
	url, err := h.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: "w_32", Format: "jpg"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", url).StatusCode, "signed")
}

// randomID returns a random identifier that follows typ's rule.
func randomID(rng *rand.Rand, typ string) string {
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const digits, hex = "0123456789", "0123456789abcdefABCDEF"
	switch typ {
	case "facebook":
		return pick(digits, 1+rng.IntN(25))
	case "twitter":
		return pick(digits, 1+rng.IntN(19))
	case "twitter_name":
		return pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_", 1+rng.IntN(15))
	case "gravatar":
		return pick(hex, []int{32, 64}[rng.IntN(2)])
	}
	return pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~-", 1+rng.IntN(40))
}

// randomComponent returns a random valid transformation component, its parameters in random
// order. Sizes stay small (the stub picture is 64×48) and c_crop regions are fractions, so that
// every chain of them can be applied to any picture.
func randomComponent(rng *rand.Rand) string {
	one := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	maybe := func(pct int) bool { return rng.IntN(100) < pct }
	for {
		var ps []string
		crop := one("", "scale", "fit", "limit", "mfit", "fill", "lfill", "pad", "lpad", "mpad", "crop", "thumb")
		if crop != "" {
			ps = append(ps, "c_"+crop)
		}
		dim := func() string {
			if crop == "crop" || maybe(30) {
				return one("0.1", "0.25", "0.5", "0.75", "1.0")
			}
			return one("1", "8", "17", "32", "64", "100", "150", "200")
		}
		switch rng.IntN(7) {
		case 0:
			ps = append(ps, "w_"+dim())
		case 1:
			ps = append(ps, "h_"+dim())
		case 2:
			ps = append(ps, "w_"+dim(), "h_"+dim())
		case 3:
			ps = append(ps, "w_"+dim(), "ar_"+one("1:1", "16:9", "4:3", "1.5", "0.75"))
		case 4:
			ps = append(ps, "h_"+dim(), "ar_"+one("1:1", "3:4", "2.0", "0.5"))
		case 5:
			ps = append(ps, "ar_"+one("1:1", "16:9", "0.8"))
		}
		if maybe(40) {
			ps = append(ps, "g_"+one("center", "north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west", "face", "faces", "auto"))
		}
		if crop == "crop" && maybe(20) {
			ps = append(ps, "x_0", "y_0")
		}
		if (crop == "crop" || crop == "thumb") && maybe(30) {
			ps = append(ps, "z_"+one("0.5", "1.0", "1.5", "2.0"))
		}
		if maybe(25) {
			ps = append(ps, "dpr_"+one("1.0", "1.5", "2.0", "4.0"))
		}
		if maybe(15) {
			ps = append(ps, "q_"+one("1", "50", "100", "auto"))
		}
		if maybe(15) {
			ps = append(ps, "f_"+one("jpg", "png", "gif", "webp", "auto"))
		}
		if maybe(5) {
			ps = append(ps, "d_identicon") // the stubs always have a picture: it is never used
		}
		if maybe(15) {
			ps = append(ps, "r_"+one("max", "5", "3:6", "1:2:3", "1:2:3:4"))
		}
		if maybe(15) {
			ps = append(ps, "b_"+one("white", "black", "transparent", "rgb:ff0000", "rgb:00ff0080", "rgb:abc"))
		}
		if maybe(10) {
			ps = append(ps, "bo_"+one("1px_solid_red", "3px_solid_rgb:00ff00"))
		}
		if maybe(15) {
			ps = append(ps, "a_"+one("90", "180", "270", "hflip", "vflip"))
		}
		if maybe(15) {
			ps = append(ps, "e_"+one("grayscale", "sepia", "sepia:50", "blur:100", "pixelate:3", "sharpen", "negate", "brightness:-20", "contrast:30", "saturation:-50"))
		}
		if len(ps) == 0 {
			continue
		}
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		comp := strings.Join(ps, ",")
		if c, err := imageops.ParseChain([]string{comp}); err == nil && c.Check(imageops.Limits{}) == nil {
			return comp
		}
	}
}

// independentSignature recomputes, without the package's code, the signature an avatar URL path
// (after the prefix) must carry: the first 8 characters of the URL-safe base64 of
// SHA-1(text + secret), or 32 of SHA-256 for the long form, where text is the path after the type
// and the signature, without the version segment.
func independentSignature(path, secret string, long bool) (sig, want string) {
	segs := strings.Split(path, "/")
	sig = strings.TrimSuffix(strings.TrimPrefix(segs[1], "s--"), "--")
	rest := segs[2:]
	if n := len(rest); n >= 2 && len(rest[n-2]) > 1 && rest[n-2][0] == 'v' && strings.Trim(rest[n-2][1:], "0123456789") == "" {
		rest = append(rest[:n-2:n-2], rest[n-1])
	}
	text := strings.Join(rest, "/") + secret
	if long {
		sum := sha256.Sum256([]byte(text))
		return sig, base64.URLEncoding.EncodeToString(sum[:])[:32]
	}
	sum := sha1.Sum([]byte(text))
	return sig, base64.URLEncoding.EncodeToString(sum[:])[:8]
}

// TestBuiltURLsAreServed is a property test of the URL builder against the handler, through the
// public API only: for random valid Avatars — every type with a random identifier of its rule, 0
// to 3 random transformation components with their parameters shuffled, any extension, with or
// without a version — under every combination of signing settings, what Handler.URL builds is
// served (200, in the format it asks for). When the handler signs, the signature is the one
// Cloudinary defines (recomputed independently here); a signature with one character changed is
// refused (403); without the signature the URL gets what the restrictions say (401, 403 or 200);
// the version can be changed, added or removed without touching the signature; and with two
// secrets, URLs signed with either are served.
//
// Some configurations define named transformations, and some components are t_<name>: under
// StrictTransformations an unsigned URL made only of them is served, any other needs its
// signature. An unknown t_<name> is a 400 (TestHostileURLs). "Served" is a 200, or, for the rare
// chain that the 64×48 stub picture is too small for, the 422 of the output limit: either way the
// URL was accepted.
func TestBuiltURLsAreServed(t *testing.T) {
	const other = "second-secret-0123456789"
	rng := rand.New(rand.NewPCG(7, 11))
	types := []string{"facebook", "twitter", "twitter_name", "gravatar", customType}
	named := map[string]string{
		"thumb":  "c_fill,g_face,h_90,w_90",
		"round":  "r_max",
		"small":  "w_32/e_grayscale",
		"gray":   "e_grayscale,f_png",
		"square": "ar_1:1,b_rgb:00000000,c_pad,w_50/f_webp",
	}
	namedChains := map[string]imageops.Chain{}
	var names []string
	for n, d := range named {
		c, err := imageops.ParseChain(strings.Split(d, "/"))
		require.NoError(t, err, d)
		namedChains[n] = c
		names = append(names, n)
	}
	slices.Sort(names)
	withNamed := func(c *Config) { c.NamedTransformations = named }
	for _, tc := range []struct {
		name       string
		cfg        func(*Config)
		restricted func(typ string) bool
		strict     bool
	}{
		{"unsigned", withNamed, func(string) bool { return false }, false},
		{"all restricted", func(c *Config) { c.Secrets = []string{testSecret} }, func(string) bool { return true }, false},
		{"long signatures", func(c *Config) { c.Secrets = []string{testSecret}; c.LongSignatures = true }, func(string) bool { return true }, false},
		{"strict only", func(c *Config) {
			withNamed(c)
			c.Secrets = []string{testSecret}
			c.Restricted = []string{}
			c.StrictTransformations = true
		}, func(string) bool { return false }, true},
		{"two secrets, some restricted, strict, own prefix", func(c *Config) {
			withNamed(c)
			c.Secrets = []string{testSecret, other}
			c.Restricted = []string{"twitter", customType}
			c.StrictTransformations = true
			c.Prefix = "/img/av/"
		}, func(typ string) bool { return typ == "twitter" || typ == customType }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, fetches := newStubHandler(t, tc.cfg)
			var cfg Config
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			prefix := cmp.Or(cfg.Prefix, DefaultPrefix)
			var byOther *Handler // signs with the second secret only
			if len(cfg.Secrets) > 1 {
				byOther, _ = newStubHandler(t, func(c *Config) { withNamed(c); c.Secrets = []string{other}; c.Prefix = prefix })
			}
			get := func(path string) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				return rec
			}
			total, outputLimited, namedOnly := 0, 0, 0
			for i := 0; i < 50; i++ {
				typ := types[rng.IntN(len(types))]
				var comps []string
				onlyNamed := true
				allNamed := cfg.NamedTransformations != nil && rng.IntN(3) == 0
				for n := rng.IntN(4); n > 0; n-- {
					if allNamed || cfg.NamedTransformations != nil && rng.IntN(4) == 0 {
						comps = append(comps, "t_"+names[rng.IntN(len(names))])
						continue
					}
					comps = append(comps, randomComponent(rng))
					onlyNamed = false
				}
				a := Avatar{Type: typ, ID: randomID(rng, typ), Transformation: strings.Join(comps, "/"),
					Format: []string{"", "jpg", "jpeg", "png", "gif", "webp"}[rng.IntN(6)]}
				switch rng.IntN(4) {
				case 0:
					a.Version = rng.Uint64N(1e12) + 1
				case 1:
					a.Version = rng.Uint64N(1e17) + 1e17 // 18 digits; 19 and 20 see TestVersionBoundaries
				}
				u, err := h.URL(a)
				require.NoError(t, err, "%+v", a)
				require.True(t, strings.HasPrefix(u, prefix), u)

				res := get(u)
				served := res.Code
				switch served {
				case http.StatusOK:
					chain, err := imageops.ParseChain(splitNonEmpty(a.Transformation))
					require.NoError(t, err)
					chain, err = chain.Expand(namedChains)
					require.NoError(t, err)
					want := chain.Format()
					if want == imageops.FormatOriginal && a.Format != "" {
						want, _ = imageops.ParseFormat(a.Format)
					}
					if want == imageops.FormatOriginal {
						want = imageops.PNG // the stub's picture
					}
					assert.Equal(t, want.ContentType(), res.Header().Get("Content-Type"), u)
				case http.StatusUnprocessableEntity:
					// The URL was accepted; this picture is too small for the chain (a 64×1
					// intermediate scaled to a height of 150 is 9600 px wide).
					require.Contains(t, res.Header().Get("X-Avatar-Error"), "output limit", u)
					outputLimited++
				default:
					require.Failf(t, "built URL refused", "%s (from %+v): %d %s", u, a, served, res.Body)
				}
				total++
				if onlyNamed && a.Transformation != "" {
					namedOnly++
				}

				if len(cfg.Secrets) == 0 {
					assert.NotContains(t, u, "/s--", "nothing to sign with")
					continue
				}
				path := strings.TrimPrefix(u, prefix)
				sig, wantSig := independentSignature(path, cfg.Secrets[0], cfg.LongSignatures)
				require.Equal(t, wantSig, sig, "%s: signature", u)

				// One character of the signature changed: refused.
				k := rng.IntN(len(sig))
				const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
				c := b64[(strings.IndexByte(b64, sig[k])+1+rng.IntN(len(b64)-1))%len(b64)]
				tampered := strings.Replace(u, "/s--"+sig+"--/", "/s--"+sig[:k]+string(c)+sig[k+1:]+"--/", 1)
				assert.Equal(t, http.StatusForbidden, get(tampered).Code, tampered)

				// Without it: what the restrictions say.
				unsigned := strings.Replace(u, "/s--"+sig+"--/", "/", 1)
				wantCode := served
				switch {
				case tc.restricted(typ):
					wantCode = http.StatusUnauthorized
				case tc.strict && !onlyNamed:
					wantCode = http.StatusForbidden
				}
				assert.Equal(t, wantCode, get(unsigned).Code, unsigned)

				// The version is not signed.
				segs := strings.Split(u, "/")
				idSeg := segs[len(segs)-1]
				head := strings.Join(segs[:len(segs)-1], "/")
				if a.Version > 0 {
					head = strings.TrimSuffix(head, "/v"+strconv.FormatUint(a.Version, 10))
					assert.Equal(t, served, get(head+"/"+idSeg).Code, "version removed from %s", u)
				}
				assert.Equal(t, served, get(head+"/v"+strconv.FormatUint(rng.Uint64N(1e6)+1, 10)+"/"+idSeg).Code, "another version of %s", u)

				if byOther != nil {
					u2, err := byOther.URL(a)
					require.NoError(t, err)
					assert.NotEqual(t, u, u2)
					assert.Equal(t, served, get(u2).Code, "%s: signed with the second secret", u2)
				}
			}
			assert.Positive(t, fetches.Load())
			assert.LessOrEqual(t, outputLimited*10, total, "%d of %d built URLs were too much for the stub picture", outputLimited, total)
			t.Logf("%d built URLs, %d of named transformations only, %d too much for the stub picture", total, namedOnly, outputLimited)
		})
	}
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

func TestNewValidatesSigning(t *testing.T) {
	for _, cfg := range []Config{
		{Secrets: []string{""}},
		{Secrets: []string{testSecret, ""}},
		{Restricted: []string{"facebook"}},
		{StrictTransformations: true},
		{Secrets: []string{testSecret}, Restricted: []string{"myspace"}},
	} {
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

// A short secret, such as the one of Cloudinary's SDK tests, is taken, as Cloudinary would, and
// signs as it does; New says in the log that it is short.
func TestShortSecretIsTakenWithAWarning(t *testing.T) {
	logs := &clusterLog{}
	_, _, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{"b"}; c.Logger = slog.New(logs) })
	assert.Equal(t, 1, logs.count("URL signing secret is short", "bytes=1"))
	// Independently computed (Python hashlib), like Ai4Znfl3 for c_crop,h_20,w_10/image.jpg.
	res := do(t, srv, "GET", "/avatars/facebook/s--C3-yND2Z--/c_crop,h_20,w_10/10158273645190234.jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	img, _, err := image.Decode(bytes.NewReader(res.body))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 10, 20), img.Bounds())
	res = do(t, srv, "GET", "/avatars/facebook/s--C3-yND2Y--/c_crop,h_20,w_10/10158273645190234.jpg")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}
