package avatarmw

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops"
)

func TestParsePathAccepts(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Avatar
	}{
		{"facebook/65646572251", Avatar{Type: "facebook", ID: "65646572251"}},
		{"facebook/65646572251.jpg", Avatar{Type: "facebook", ID: "65646572251", Format: "jpg"}},
		{"facebook/65646572251.jpeg", Avatar{Type: "facebook", ID: "65646572251", Format: "jpg"}},
		{"twitter_name/AvatarKit.png", Avatar{Type: "twitter_name", ID: "AvatarKit", Format: "png"}},
		{"gravatar/v3/0bc83cb571cd1c50ba6f3e8a78ef1346.gif", Avatar{Type: "gravatar", ID: "0bc83cb571cd1c50ba6f3e8a78ef1346", Version: 3, Format: "gif"}},
		{"facebook/c_fill,g_north,h_90,w_90/65646572251.jpg",
			Avatar{Type: "facebook", Transformation: "c_fill,g_north,h_90,w_90", ID: "65646572251", Format: "jpg"}},
		// Parameter order inside a component does not matter: one canonical form.
		{"facebook/w_90,h_90,g_north,c_fill/65646572251.jpg",
			Avatar{Type: "facebook", Transformation: "c_fill,g_north,h_90,w_90", ID: "65646572251", Format: "jpg"}},
		// Chained components keep their order.
		{"facebook/c_crop,h_0.5,w_0.5/w_40/v1712345678/1.webp",
			Avatar{Type: "facebook", Transformation: "c_crop,h_0.5,w_0.5/w_40", Version: 1712345678, ID: "1", Format: "webp"}},
		// Signatures: 8 or 32 characters, parsed by length: they may begin or end with '-'.
		{"facebook/s--Ai4Znfl3--/c_crop,h_20,w_10/1.jpg",
			Avatar{Type: "facebook", Signature: "Ai4Znfl3", Transformation: "c_crop,h_20,w_10", ID: "1", Format: "jpg"}},
		{"facebook/s----SjmNDA--/v1234/1.jpg", Avatar{Type: "facebook", Signature: "--SjmNDA", Version: 1234, ID: "1", Format: "jpg"}},
		{"facebook/s--abcdefg---/1", Avatar{Type: "facebook", Signature: "abcdefg-", ID: "1"}},
		{"facebook/s--2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf--/1.jpg", Avatar{Type: "facebook", Signature: "2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf", ID: "1", Format: "jpg"}},
		// The last segment is always the identifier, even when it looks like a version.
		{"twitter_name/v1/v123", Avatar{Type: "twitter_name", Version: 1, ID: "v123"}},
		{"twitter_name/v123", Avatar{Type: "twitter_name", ID: "v123"}},
		{"my_type2/some-id~x", Avatar{Type: "my_type2", ID: "some-id~x"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := ParsePath(tc.path)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, tc := range []struct {
		path string
		part string // the offending part the error must quote
		why  string // a word the reason must contain
	}{
		{"", "", "empty"},
		{"facebook", "facebook", "missing identifier"},
		{"facebook/", "facebook/", "empty path segment"},
		{"facebook//1.jpg", "facebook//1.jpg", "empty path segment"},
		{"facebook/w_10//1.jpg", "facebook/w_10//1.jpg", "empty path segment"},
		{"facebook/../1.jpg", "..", "relative"},
		{"facebook/./1.jpg", ".", "relative"},
		{"facebook/w_10%2F/1.jpg", "w_10%2F", "percent-encoded"},
		{"facebook/1%2Ejpg", "1%2Ejpg", "percent-encoded"},
		{"Facebook/1.jpg", "Facebook", "malformed type"},
		{"face-book/1.jpg", "face-book", "malformed type"},
		{"1facebook/1.jpg", "1facebook", "malformed type"},
		{"facebook/1.bmp", "1.bmp", "unknown extension"},
		{"facebook/1.JPG", "1.JPG", "unknown extension"},
		{"facebook/1.", "1.", "unknown extension"},
		{"facebook/.jpg", ".jpg", "malformed identifier"},
		{"facebook/1.2.jpg", "1.2.jpg", "malformed identifier"},
		{"facebook/a@b.jpg", "a@b.jpg", "malformed identifier"},
		{"facebook/ab\u0441.jpg", "ab\u0441.jpg", "malformed identifier"}, // Cyrillic 'с'
		{"facebook/" + strings.Repeat("1", 129), strings.Repeat("1", 129), "malformed identifier"},
		{"facebook/s--short--/1.jpg", "s--short--", "malformed signature"},
		{"facebook/s--abcdefg!--/1.jpg", "s--abcdefg!--", "malformed signature"},
		{"facebook/w_10/s--Ai4Znfl3--/1.jpg", "s--Ai4Znfl3--", "must come first"},
		{"facebook/v1/w_10/1.jpg", "v1", "must come last"},
		{"facebook/v0/1.jpg", "v0", "1 or more"},
		{"facebook/v01/1.jpg", "v01", "leading zeros"},
		{"facebook/v99999999999999999999/1.jpg", "v99999999999999999999", "out of range"},
		{"facebook/w_abc/1.jpg", "w_abc", ""},
		{"facebook/c_fil,w_10/1.jpg", "c_fil", ""},
		{"facebook/foo_1/1.jpg", "foo_1", ""},
		{"facebook/w_10,w_20/1.jpg", "w_", ""},
		{"facebook/w_10,,h_10/1.jpg", "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			_, err := ParsePath(tc.path)
			require.Error(t, err)
			if tc.part != "" {
				assert.Contains(t, err.Error(), tc.part)
			}
			assert.Contains(t, err.Error(), tc.why)
		})
	}
}

// TestPathRoundTrips is a property test: whatever valid Avatar Path writes, ParsePath reads back
// in canonical form, and Path of that is the same string.
func TestPathRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"facebook", "twitter", "twitter_name", "gravatar", "custom_1"}
	ids := []string{"65646572251", "1", "AvatarKit", "0bc83cb571cd1c50ba6f3e8a78ef1346", "a-b_c~d"}
	// Valid components; the test shuffles their parameters, which must not matter.
	components := []string{
		"w_10", "h_0.25", "w_0.5,h_20", "c_fill,g_north,w_90,h_90", "c_pad,b_rgb:ff0000,w_100,h_50",
		"c_crop,g_south_east,w_10,h_10", "c_thumb,g_west,w_40,h_40", "c_limit,w_2048", "c_scale,h_30",
		"c_fit,w_30,h_30", "c_mfit,w_300", "c_lfill,w_50,h_50", "c_lpad,w_60,h_60,b_white", "c_mpad,w_70,h_40",
		"q_80,w_64", "q_auto", "dpr_2.0,w_100", "dpr_1.5,c_fill,w_50,h_50", "ar_4:3,c_fill,w_120",
		"ar_1.5,c_crop", "f_png", "f_jpg,w_10", "f_gif", "c_crop,x_10,y_20,w_30,h_30",
	}
	formats := []string{"", "jpg", "png", "gif", "webp"}
	sigs := []string{"", "Ai4Znfl3", "--SjmNDA", "2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf"}
	for i := 0; i < 2000; i++ {
		var comps []string
		for c := rng.IntN(3); c > 0; c-- {
			ps := strings.Split(components[rng.IntN(len(components))], ",")
			rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
			comps = append(comps, strings.Join(ps, ","))
		}
		a := Avatar{
			Type:           types[rng.IntN(len(types))],
			Signature:      sigs[rng.IntN(len(sigs))],
			Transformation: strings.Join(comps, "/"),
			ID:             ids[rng.IntN(len(ids))],
			Format:         formats[rng.IntN(len(formats))],
		}
		if rng.IntN(2) == 0 {
			a.Version = rng.Uint64N(1<<40) + 1
		}
		p, err := a.Path()
		require.NoError(t, err, "%+v", a)
		got, err := ParsePath(p)
		require.NoError(t, err, p)
		assert.Equal(t, a.Type, got.Type)
		assert.Equal(t, a.Signature, got.Signature)
		assert.Equal(t, a.Version, got.Version)
		assert.Equal(t, a.ID, got.ID)
		assert.Equal(t, a.Format, got.Format)
		assert.Equal(t, len(comps), strings.Count(got.Transformation, "/")+min(1, len(got.Transformation)), p)
		p2, err := got.Path()
		require.NoError(t, err)
		assert.Equal(t, p, p2, "canonical form is a fixed point")
	}
}

func TestPathRefusesFieldsThatLeakIntoOtherParts(t *testing.T) {
	for _, a := range []Avatar{
		{Type: "facebook", ID: "1/2"},
		{Type: "facebook", ID: "1.jpg"},
		{Type: "facebook", ID: "1", Format: "bmp"},
		{Type: "facebook", ID: ""},
		{Type: "facebook/x", ID: "1"},
		{Type: "facebook", ID: "1", Signature: "short"},
		{Type: "facebook", ID: "1", Transformation: "w_abc"},
		{Type: "facebook", ID: "v12", Transformation: "w_10/v3"},
	} {
		_, err := a.Path()
		assert.Error(t, err, "%+v", a)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"facebook/65646572251.jpg",
		"facebook/c_fill,g_north,h_90,w_90/65646572251.jpg",
		"facebook/s----SjmNDA--/v1234/1.jpg",
		"twitter_name/s--Ai4Znfl3--/c_crop,h_0.5,w_0.5/w_40/v17/AvatarKit.webp",
		"gravatar/b_rgb:ff00ff80,c_pad,h_10,w_20/0bc83cb571cd1c50ba6f3e8a78ef1346",
		"facebook/../1.jpg",
		"facebook/w_10%2F/1.jpg",
		"facebook/v0/1",
		// As Cloudinary's SDKs write them.
		"facebook/c_fill,h_100,w_100/dpr_2.0/65646572251",
		"facebook/c_fill,g_face,h_100,w_100/r_max/f_auto/q_auto:good/65646572251",
		"facebook/s--wPo08BjD--/c_fill,h_100,w_100/65646572251.jpg",
		"facebook/ar_1,c_fill,dpr_auto,w_auto/65646572251",
		"facebook/c_fill,w_auto/c_limit,w_auto:100:400/65646572251",
		"facebook/fl_progressive/fl_lossy/d_avatar.png/65646572251",
		"facebook/a_auto_right.hflip/a_-20/e_trim::/65646572251",
		"facebook/b_auto,c_fill_pad,g_auto,h_100,w_100/co_rgb:ff0000,e_colorize:40/65646572251",
		"facebook/co_red,e_outline:outer:4/e_shadow:50,x_5,y_5/65646572251",
		"facebook/fl_progressive/65646572251",
		"facebook/e_background_removal/65646572251",
	} {
		f.Add(s)
	}
	for _, s := range parsePathSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		a, err := ParsePath(p)
		if err != nil {
			var ue *URLError
			var ie *imageops.Error
			if !errors.As(err, &ue) && !errors.As(err, &ie) {
				t.Fatalf("ParsePath(%q): unexpected error type %T: %v", p, err, err)
			}
			if code, _, _ := StatusOf(err); code != http.StatusBadRequest {
				t.Fatalf("ParsePath(%q): %v maps to %d, want 400", p, err, code)
			}
			return
		}
		// What is accepted is written with the grammar's characters only: no control character,
		// no Unicode look-alike, no '%', nothing a path would need to escape.
		if !onlyURLGrammar(p) {
			t.Fatalf("ParsePath accepted %q", p)
		}
		canon, err := a.Path()
		if err != nil {
			t.Fatalf("ParsePath(%q) = %+v, but Path fails: %v", p, a, err)
		}
		b, err := ParsePath(canon)
		if err != nil || b != a {
			t.Fatalf("canonical form %q of %q reads back as %+v, %v; want %+v", canon, p, b, err, a)
		}
		if again, err := b.Path(); err != nil || again != canon {
			t.Fatalf("canonical form %q of %q is not a fixed point: %q, %v", canon, p, again, err)
		}
		// Type, signature, version and identifier are kept as written; only the transformation
		// (parameter order) and "jpeg" (written "jpg") change.
		last := a.ID
		if a.Format != "" {
			last += "." + a.Format
		}
		inLast := p[strings.LastIndexByte(p, '/')+1:]
		switch {
		case !strings.HasPrefix(canon, a.Type+"/") || !strings.HasPrefix(p, a.Type+"/"),
			a.Signature != "" && !(strings.Contains(canon, "/s--"+a.Signature+"--/") && strings.Contains(p, "/s--"+a.Signature+"--/")),
			!strings.HasSuffix(canon, "/"+last),
			inLast != last && !(a.Format == "jpg" && inLast == a.ID+".jpeg"):
			t.Fatalf("canonical form %q of %q (%+v) does not keep its parts", canon, p, a)
		}
	})
}

// onlyURLGrammar reports whether p holds only the bytes an avatar path can be written with:
// ASCII letters and digits and "_~.,:/-".
func onlyURLGrammar(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_~.,:/-", c) >= 0) {
			return false
		}
	}
	return true
}

// parsePathSeeds are the paths of hostileTargets after the prefix, and a few valid ones.
func parsePathSeeds() []string {
	seeds := []string{
		"facebook/s--abcdefg---/1", "twitter_name/v1/v123", "my_type2/some-id~x",
		"gravatar/s--2hbrSMPOjj5BJ4xV7SgFbRDevFaQNUFf--/c_thumb,g_faces,h_150,w_150,z_0.5/r_max/v18446744073709551615/0BC83CB571CD1C50BA6F3E8A78EF1346.jpeg",
		"facebook/a_90,ar_16:9,b_rgb:ff000080,bo_2px_solid_black,c_pad,dpr_2.0,e_brightness:-20,f_webp,g_south_west,q_auto,r_1:2:3:4,w_100/1",
	}
	for _, tc := range hostileTargets {
		if p, ok := strings.CutPrefix(tc.target, "/avatars/"); ok && len(p) < 4096 {
			seeds = append(seeds, p)
		}
	}
	return seeds
}

func TestURLErrorNamesThePart(t *testing.T) {
	err := &URLError{Part: "v01", Msg: "version must not have leading zeros"}
	assert.Equal(t, `v01: version must not have leading zeros`, err.Error())
	assert.Equal(t, "bare", (&URLError{Msg: "bare"}).Error())
	assert.Equal(t, fmt.Sprint(err), err.Error())
}
