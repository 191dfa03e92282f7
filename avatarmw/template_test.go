package avatarmw

import (
	"bytes"
	"html/template"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// render executes text with h's template functions and data.
func render(t *testing.T, h *Handler, text string, data any) (string, error) {
	t.Helper()
	tmpl, err := template.New("page").Funcs(h.TemplateFuncs()).Parse(text)
	require.NoError(t, err)
	var b bytes.Buffer
	err = tmpl.Execute(&b, data)
	return b.String(), err
}

type stringerID struct{ id string }

func (s stringerID) String() string { return s.id }

func TestTemplateAvatar(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	fu := user(t, "facebook", plain)
	for _, tc := range []struct {
		text string
		data any
		want string
	}{
		{`{{avatar "facebook" .}}`, fu.ID, "/avatars/facebook/" + fu.ID},
		{`{{avatar "facebook" . "w_90,h_90,c_fill"}}`, fu.ID, "/avatars/facebook/c_fill,h_90,w_90/" + fu.ID},
		{`{{avatar "facebook" . "c_fill,h_90,w_90/r_max" "png"}}`, fu.ID, "/avatars/facebook/c_fill,h_90,w_90/r_max/" + fu.ID + ".png"},
		{`{{avatar "facebook" . "" "jpeg"}}`, fu.ID, "/avatars/facebook/" + fu.ID + ".jpg"},
		{`{{avatar "twitter_name" . "w_48"}}`, "AvatarKit", "/avatars/twitter_name/w_48/avatarkit"},
		{`{{avatar "twitter" . "w_48"}}`, int64(14159265), "/avatars/twitter/w_48/14159265"},
		{`{{avatar "twitter" . "w_48"}}`, 14159265, "/avatars/twitter/w_48/14159265"},
		{`{{avatar "twitter" . "w_48"}}`, uint64(14159265), "/avatars/twitter/w_48/14159265"},
		{`{{avatar "twitter" . "w_48"}}`, stringerID{"14159265"}, "/avatars/twitter/w_48/14159265"},
	} {
		got, err := render(t, h, tc.text, tc.data)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.want, got, tc.text)
	}

	// In an attribute the URL comes out as it is, commas and colons included, and is served.
	got, err := render(t, h, `<img src="{{avatar "facebook" . "b_rgb:e3e8f0,c_pad,h_90,w_160" "png"}}">`, fu.ID)
	require.NoError(t, err)
	want := "/avatars/facebook/b_rgb:e3e8f0,c_pad,h_90,w_160/" + fu.ID + ".png"
	assert.Equal(t, `<img src="`+want+`">`, got)
	res := do(t, srv, "GET", want)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "image/png", res.Header.Get("Content-Type"))

	// text/template takes the same functions.
	tt := texttemplate.Must(texttemplate.New("t").Funcs(texttemplate.FuncMap(h.TemplateFuncs())).Parse(`{{avatar "facebook" . "w_32"}}`))
	var b bytes.Buffer
	require.NoError(t, tt.Execute(&b, fu.ID))
	assert.Equal(t, "/avatars/facebook/w_32/"+fu.ID, b.String())
}

func TestTemplateSrcset(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	fu := user(t, "facebook", plain)
	for _, tc := range []struct {
		tr, format string
		want       []string // the transformation of each density, 1x first
	}{
		{"c_fill,h_90,w_90", "jpg", []string{"c_fill,h_90,w_90", "c_fill,dpr_2.0,h_90,w_90", "c_fill,dpr_3.0,h_90,w_90"}},
		// dpr_ goes into the component with the size, not the last one.
		{"c_thumb,g_face,h_60,w_60/bo_2px_solid_white,r_max", "png", []string{
			"c_thumb,g_face,h_60,w_60/bo_2px_solid_white,r_max",
			"c_thumb,dpr_2.0,g_face,h_60,w_60/bo_2px_solid_white,r_max",
			"c_thumb,dpr_3.0,g_face,h_60,w_60/bo_2px_solid_white,r_max"}},
		// The last component sized in pixels; a fraction before it is left alone.
		{"c_crop,g_north_west,h_0.5,w_0.5/w_50", "jpg", []string{
			"c_crop,g_north_west,h_0.5,w_0.5/w_50",
			"c_crop,g_north_west,h_0.5,w_0.5/dpr_2.0,w_50",
			"c_crop,g_north_west,h_0.5,w_0.5/dpr_3.0,w_50"}},
		// 3× would be 2700 px, beyond the 2048 px output limit: left out.
		{"w_900", "", []string{"w_900", "dpr_2.0,w_900"}},
		{"w_1500", "", []string{"w_1500"}},
	} {
		got, err := render(t, h, `<img srcset="{{avatarSrcset "facebook" .ID .Tr .Format}}">`,
			map[string]string{"ID": fu.ID, "Tr": tc.tr, "Format": tc.format})
		require.NoError(t, err, tc.tr)
		var parts []string
		ext := ""
		if tc.format != "" {
			ext = "." + tc.format
		}
		for i, tr := range tc.want {
			parts = append(parts, "/avatars/facebook/"+tr+"/"+fu.ID+ext+" "+string(rune('1'+i))+"x")
		}
		assert.Equal(t, `<img srcset="`+strings.Join(parts, ", ")+`">`, got, tc.tr)
	}

	// Each candidate is served at its density.
	got, err := render(t, h, `{{avatarSrcset "facebook" . "c_fill,h_40,w_40" "png"}}`, fu.ID)
	require.NoError(t, err)
	for i, cand := range strings.Split(got, ", ") {
		u, density, ok := strings.Cut(cand, " ")
		require.True(t, ok, cand)
		assert.Equal(t, string(rune('1'+i))+"x", density)
		res := do(t, srv, "GET", u)
		require.Equal(t, http.StatusOK, res.StatusCode, u)
		img, _, err := image.Decode(bytes.NewReader(res.body))
		require.NoError(t, err, u)
		assert.Equal(t, 40*(i+1), img.Bounds().Dx(), u)
	}
}

// TestTemplateSigned: with Secrets every URL is signed, each density with its own signature.
func TestTemplateSigned(t *testing.T) {
	h, _, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{testSecret} })
	fu := user(t, "facebook", plain)
	got, err := render(t, h, `<img src="{{avatar "facebook" . "c_fill,h_40,w_40" "jpg"}}" srcset="{{avatarSrcset "facebook" . "c_fill,h_40,w_40" "jpg"}}">`, fu.ID)
	require.NoError(t, err)
	urls := regexp.MustCompile(`/avatars/[^ "]+`).FindAllString(got, -1)
	require.Len(t, urls, 4, got)
	sigs := map[string]bool{}
	for _, u := range urls {
		m := regexp.MustCompile(`^/avatars/facebook/s--([A-Za-z0-9_-]{8})--/`).FindStringSubmatch(u)
		require.NotNil(t, m, u)
		sigs[m[1]] = true
		assert.Equal(t, http.StatusOK, do(t, srv, "GET", u).StatusCode, u)
	}
	assert.Len(t, sigs, 3, "the src and the 1x candidate are one URL; 2x and 3x are signed each")
}

// TestTemplateErrors: a bad avatar stops Execute with an error that names the function, the avatar
// and the offending part; nothing is written in its place.
func TestTemplateErrors(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	fu := user(t, "facebook", plain)
	for _, tc := range []struct {
		text string
		data any
		want []string
	}{
		{`{{avatar "facebook" . "w_ninety"}}`, fu.ID, []string{"error calling avatar", `facebook "` + fu.ID + `" "w_ninety"`, "w_ninety: width"}},
		{`{{avatar "myspace" . "w_90"}}`, fu.ID, []string{"error calling avatar", "myspace", "unknown type"}},
		{`{{avatar "facebook" . "w_90"}}`, "not-a-number", []string{"error calling avatar", "not-a-number"}},
		{`{{avatar "facebook" . "w_90" "bmp"}}`, fu.ID, []string{"error calling avatar", "bmp"}},
		{`{{avatar "facebook" . "t_thumb"}}`, fu.ID, []string{"error calling avatar", "t_thumb"}},
		{`{{avatar "facebook" . "c_fill,d_nope,h_90,w_90"}}`, fu.ID, []string{"error calling avatar", "d_nope"}},
		{`{{avatar "facebook" . "w_3000"}}`, fu.ID, []string{"error calling avatar", "w_3000", "output limit"}},
		{`{{avatar "facebook" . "w_90" "jpg" "extra"}}`, fu.ID, []string{"error calling avatar", "3 arguments"}},
		{`{{avatar "facebook" .}}`, 1.5, []string{"error calling avatar", "float64"}},
		{`{{avatarSrcset "facebook" .}}`, fu.ID, []string{"error calling avatarSrcset", "needs a transformation"}},
		{`{{avatarSrcset "facebook" . "r_max"}}`, fu.ID, []string{"error calling avatarSrcset", "size in pixels"}},
		{`{{avatarSrcset "facebook" . "w_0.5"}}`, fu.ID, []string{"error calling avatarSrcset", "size in pixels"}},
		{`{{avatarSrcset "facebook" . "dpr_2.0,w_90"}}`, fu.ID, []string{"error calling avatarSrcset", "remove dpr_"}},
		{`{{avatarSrcset "facebook" . "w_3000"}}`, fu.ID, []string{"error calling avatarSrcset", "output limit"}},
		{`{{avatarSrcset "facebook" . "w_90,x"}}`, fu.ID, []string{"error calling avatarSrcset", "x: a parameter is key_value"}},
	} {
		got, err := render(t, h, `<img src="{{`+strings.TrimPrefix(tc.text, "{{")+`">`, tc.data)
		require.Error(t, err, tc.text)
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, tc.text)
		}
		assert.NotContains(t, got, "/avatars/", "%s: no URL written", tc.text)
	}
}

// TestTemplateEscapes: a prefix with characters an attribute cannot carry as they are is escaped
// by html/template in avatar's URL; avatarSrcset, which html/template does not escape, refuses it.
func TestTemplateEscapes(t *testing.T) {
	h, _, _ := newTestHandler(t, func(c *Config) { c.Prefix = `/a"v<x>/` })
	fu := user(t, "facebook", plain)
	got, err := render(t, h, `<img src="{{avatar "facebook" . "w_90"}}" alt="{{avatar "facebook" . "w_90"}}">`, fu.ID)
	require.NoError(t, err)
	assert.NotContains(t, got, `a"v`)
	assert.NotContains(t, got, `<x>`)
	assert.Contains(t, got, `src="/a%22v%3cx%3e/facebook/w_90/`+fu.ID+`"`)
	assert.Contains(t, got, `alt="/a&#34;v&lt;x&gt;/facebook/w_90/`+fu.ID+`"`)

	_, err = render(t, h, `<img srcset="{{avatarSrcset "facebook" . "w_90"}}">`, fu.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "srcset cannot carry")
}
