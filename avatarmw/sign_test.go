package avatarmw

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
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

// TestBuiltURLsAreAccepted is a property test: whatever URL the builder writes, under any
// combination of restrictions, the handler's checks accept it.
func TestBuiltURLsAreAccepted(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fu, xu := user(t, "facebook", plain), user(t, "x", plain)
	gu := user(t, "gravatar", nil)
	ids := map[string][]string{
		"facebook":     {fu.ID, "1", "1234567890123456789012345"},
		"twitter":      {xu.ID, "12"},
		"twitter_name": {xu.Name, "A_b_C", "x"},
		"gravatar":     {gu.ID, strings.ToUpper(gu.ID), gu.SHA256()},
	}
	types := []string{"facebook", "twitter", "twitter_name", "gravatar"}
	components := []string{"w_10", "h_0.5", "c_fill,g_north,w_90,h_90", "c_pad,b_rgb:ff0000,w_100,h_50", "q_80,w_64", "dpr_2.0,w_100", "f_png", "c_crop,x_10,y_20,w_30,h_30"}
	for _, cfg := range []func(*Config){
		func(c *Config) { c.Secrets = []string{testSecret} },
		func(c *Config) { c.Secrets = []string{testSecret}; c.LongSignatures = true },
		func(c *Config) {
			c.Secrets = []string{testSecret, "second-secret-0123"}
			c.StrictTransformations = true
		},
		func(c *Config) { c.Secrets = []string{testSecret}; c.Restricted = []string{"gravatar"} },
	} {
		h, _, _ := newTestHandler(t, cfg)
		for i := 0; i < 300; i++ {
			typ := types[rng.IntN(len(types))]
			var comps []string
			for n := rng.IntN(3); n > 0; n-- {
				comps = append(comps, components[rng.IntN(len(components))])
			}
			a := Avatar{Type: typ, ID: ids[typ][rng.IntN(len(ids[typ]))], Transformation: strings.Join(comps, "/"),
				Format: []string{"", "jpg", "jpeg", "png", "gif", "webp"}[rng.IntN(6)]}
			if rng.IntN(3) == 0 {
				a.Version = rng.Uint64N(1e12) + 1
			}
			url, err := h.URL(a)
			require.NoError(t, err, "%+v", a)
			_, err = h.parseRequest(httptest.NewRequest("GET", url, nil))
			require.NoError(t, err, url)
		}
	}
}

func TestNewValidatesSigning(t *testing.T) {
	for _, cfg := range []Config{
		{Secrets: []string{"short"}},
		{Restricted: []string{"facebook"}},
		{StrictTransformations: true},
		{Secrets: []string{testSecret}, Restricted: []string{"myspace"}},
	} {
		cfg.Name = fmt.Sprintf("avatarmwtest%d", handlerSeq.Add(1))
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}
