package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"html"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "golang.org/x/image/webp" // the page shows WebP too

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// TestDemo runs the example as a newcomer would (-demo, offline), on a free port: the page lists
// avatar URLs, every one of them is an image, the app's own routes answer, /debug/avatars counts,
// and the app shuts down cleanly when its context ends.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0"}, env{stderr: &logs, ready: ready, name: "example-demo"})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("example stopped: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("example did not start")
	}
	base := "http://" + addr

	page := get(t, base+"/")
	require.Equal(t, http.StatusOK, page.code)
	assert.Contains(t, page.ctype, "text/html")
	assert.Contains(t, string(page.body), `<meta name="viewport" content="width=device-width, initial-scale=1">`)
	urls := regexp.MustCompile(`<img src="(/avatars/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	require.GreaterOrEqual(t, len(urls), 20, "the gallery shows avatars")
	// The sections, each a grid of pictures.
	sections := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?s)<section id="([a-z]+)" class="gallery">.*?</section>`).FindAllStringSubmatch(string(page.body), -1) {
		for _, u := range regexp.MustCompile(`<img src="(/avatars/[^"]+)"`).FindAllStringSubmatch(m[0], -1) {
			sections[m[1]] = append(sections[m[1]], u[1])
		}
	}
	for id, want := range map[string]string{
		"gallery":     "c_fill,h_90,w_90",
		"faces":       "g_face",
		"circles":     "r_max",
		"effects":     "e_grayscale",
		"defaults":    "d_identicon",
		"formats":     "f_auto",
		"sizes":       "t_x_normal",
		"banners":     "t_banner_web",
		"photographs": "c_thumb,g_face",
	} {
		require.NotEmpty(t, sections[id], "the page has a section %q of pictures", id)
		n := 0
		for _, u := range sections[id] {
			if strings.Contains(u, want) {
				n++
			}
		}
		assert.Positive(t, n, "section %q shows %s", id, want)
	}
	assert.Contains(t, sections["faces"], findURL(sections["faces"], "/c_fill,h_120,w_120/"), "the faces section shows centre crops next to face crops")
	assert.NotContains(t, string(page.body), "later release", "face detection is served now")
	unbroken := strings.ReplaceAll(string(page.body), "<wbr>", "")
	fetched := 0
	for i, m := range urls {
		// The URL printed under each picture is the one it was loaded from, and the one its
		// button copies.
		assert.Contains(t, string(page.body), `data-url="`+m[1]+`"`)
		assert.Contains(t, unbroken, `<code class="url">`+m[1]+`</code>`)
		if testing.Short() && i%5 != 0 {
			continue // every picture is a transform: with -short, one in five is enough
		}
		fetched++
		res := get(t, base+m[1])
		require.Equal(t, http.StatusOK, res.code, "%s: %s", m[1], res.body)
		_, _, err := image.Decode(bytes.NewReader(res.body))
		assert.NoError(t, err, m[1])
	}

	// The banners are at their screens' sizes.
	bannerName := regexp.MustCompile(`/t_banner_([a-z0-9_]+)/`)
	for _, u := range sections["banners"] {
		m := bannerName.FindStringSubmatch(u)
		require.NotNil(t, m, u)
		res := get(t, base+u)
		require.Equal(t, http.StatusOK, res.code, u)
		cfg, _, err := image.DecodeConfig(bytes.NewReader(res.body))
		require.NoError(t, err, u)
		assert.Equal(t, fetchtest.BannerSizes()[m[1]], image.Pt(cfg.Width, cfg.Height), u)
	}
	for _, u := range fetchtest.UsersOf(fetchtest.X) {
		if !u.Banner && !u.Default {
			assert.Contains(t, page.rowOf("/avatars/twitter_banner/t_banner_web/"+u.ID+".jpg"), "no banner", "a user without a banner")
			break
		}
	}

	// The intentional errors are shown as such: the status and the reason the handler gives,
	// where a picture would be. The row of a user without a picture is all 404s.
	failed := regexp.MustCompile(`(?s)<div class="err" role="note"><b>([0-9]{3})</b> ([^<]*)</div></div>\s*<figcaption><span>(.*?)</span><button type="button" class="copy" data-url="([^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	require.NotEmpty(t, failed)
	noPicture := 0
	for _, m := range failed {
		res := get(t, base+m[4])
		assert.Equal(t, m[1], strconv.Itoa(res.code), m[4])
		assert.Equal(t, html.UnescapeString(m[2]), res.hdr.Get("X-Avatar-Error"), m[4])
		if strings.Contains(page.rowOf(m[4]), "no picture") {
			assert.Equal(t, "404", m[1], m[4])
			noPicture++
		}
	}
	assert.Equal(t, 7, noPicture, "the row without a picture shows seven 404s")

	// f_auto follows the client's Accept; .webp is WebP.
	extra := 0 // requests made here besides one per picture
	for _, u := range sections["formats"] {
		switch {
		case strings.Contains(u, "f_auto"):
			res := getWith(t, base+u, "Accept", "image/webp")
			require.Equal(t, http.StatusOK, res.code, u)
			assert.Equal(t, "image/webp", res.ctype, u)
			assert.Equal(t, "Accept", res.vary, u)
			extra++
		case strings.HasSuffix(u, ".webp"):
			res := get(t, base+u)
			assert.Equal(t, "image/webp", res.ctype, u)
			extra++
		}
	}

	assert.Equal(t, "ok\n", string(get(t, base+"/healthz").body))
	var stats map[string]any
	require.NoError(t, json.Unmarshal(get(t, base+"/debug/avatars").body, &stats))
	for _, k := range []string{"requests", "origin_fetches", "transforms"} {
		assert.Contains(t, stats, k)
	}
	assert.GreaterOrEqual(t, stats["requests"], float64(fetched+extra), "the page's pictures, and its intentional errors (asked when the page is served)")
	assert.Greater(t, stats["transforms"], float64(0))
	for _, k := range peerStatsKeys {
		assert.Contains(t, stats, k)
	}
	assert.EqualValues(t, 0, stats["peers"], "not a cluster")

	// Avatar paths reach avatarkit as they came: no redirect to a cleaned path.
	id := fetchtest.UsersOf(fetchtest.Facebook)[0].ID
	for _, p := range []string{"/avatars/facebook/../facebook/" + id + ".jpg", "/avatars/facebook//" + id + ".jpg", "/avatars/facebook/./" + id + ".jpg"} {
		res := get(t, base+p)
		assert.Equal(t, http.StatusBadRequest, res.code, p)
		assert.Contains(t, res.hdr.Get("X-Avatar-Error"), "segment", p)
	}
	// The peer endpoint refuses a request without credentials, cluster or not.
	res := get(t, base+"/_avatarkit/example-demo-originals/x")
	assert.Equal(t, http.StatusUnauthorized, res.code)

	// The refusals answer what their labels say: "...: 400 naming d_nope".
	refusals := regexp.MustCompile(`(?s)<figcaption><span>([^<]*(?:<wbr>[^<]*)*)</span><button type="button" class="copy" data-url="([^"]+)"`).FindAllStringSubmatch(
		string(page.body[bytes.Index(page.body, []byte(`<section id="refusals">`)):]), -1)
	require.NotEmpty(t, refusals)
	status := regexp.MustCompile(`: ([0-9]{3})(?: naming ([^ ,]+))?`)
	for _, m := range refusals {
		label := html.UnescapeString(strings.ReplaceAll(m[1], "<wbr>", ""))
		want := status.FindStringSubmatch(label)
		require.NotNil(t, want, "the label %q says the status", label)
		res, err := http.Get(base + m[2])
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, want[1], strconv.Itoa(res.StatusCode), "%s — %s", m[2], label)
		if want[2] != "" && want[2] != "it" && want[2] != "the" {
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), want[2], m[2])
		}
	}

	// The playground's URL builder: a URL, or the reason there is none.
	var built struct{ URL, Error string }
	res = get(t, base+"/playground/url?type=facebook&id="+id+"&t=w_90,h_90,c_fill&f=jpeg")
	require.NoError(t, json.Unmarshal(res.body, &built))
	assert.Equal(t, "/avatars/facebook/c_fill,h_90,w_90/"+id+".jpg", built.URL)
	assert.Empty(t, built.Error)
	res = get(t, base+"/playground/url?type=facebook&id="+id+"&t=w_ninety")
	assert.Equal(t, http.StatusOK, res.code)
	built.URL = ""
	require.NoError(t, json.Unmarshal(res.body, &built))
	assert.Empty(t, built.URL)
	assert.Contains(t, built.Error, "w_ninety")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("example did not shut down")
	}
	assert.Contains(t, logs.String(), "shutting down")
}

// TestDemoSigned runs the demo with signed URLs: the gallery still works (its URLs are built and
// signed by the handler) and an unsigned URL is refused.
func TestDemoSigned(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-secret", "0123456789abcdef0123"},
			env{stderr: io.Discard, ready: ready, name: "example-signed"})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("example stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("example did not start")
	}
	page := get(t, "http://"+addr+"/")
	urls := regexp.MustCompile(`<img src="(/avatars/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	require.NotEmpty(t, urls)
	for _, m := range urls[:7] {
		assert.Contains(t, m[1], "/s--")
		assert.Equal(t, http.StatusOK, get(t, "http://"+addr+m[1]).code, m[1])
	}
	unsigned := regexp.MustCompile(`/s--[^/]+--`).ReplaceAllString(urls[0][1], "")
	assert.Equal(t, http.StatusUnauthorized, get(t, "http://"+addr+unsigned).code)
	// No playground: its URL builder would sign whatever a visitor types.
	assert.Equal(t, http.StatusNotFound, get(t, "http://"+addr+"/playground/url?type=facebook&id=1&t=w_90").code)
	assert.NotContains(t, string(page.body), `id="pg"`)
	cancel()
	require.NoError(t, <-done)
}

func TestFlags(t *testing.T) {
	_, err := parseFlags([]string{"-cache-mb", "0"}, io.Discard)
	assert.ErrorContains(t, err, "-cache-mb")
	_, err = parseFlags([]string{"extra"}, io.Discard)
	assert.Error(t, err)
	o, err := parseFlags([]string{"-demo", "-refresh", "1h"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.demo)
	assert.Equal(t, time.Hour, o.refresh)
	assert.Equal(t, "127.0.0.1:8080", o.addr)
	assert.Nil(t, o.restricted)

	o, err = parseFlags([]string{"-secret", "0123456789abcdef", "-restricted", "twitter,gravatar"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"twitter", "gravatar"}, o.restricted)
	o, err = parseFlags([]string{"-secret", "0123456789abcdef", "-restricted", "none"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{}, o.restricted)
	_, err = parseFlags([]string{"-restricted", "twitter"}, io.Discard)
	assert.ErrorContains(t, err, "-secret")

	// A refresh period of seconds, for demos; under a second is refused.
	o, err = parseFlags([]string{"-refresh", "4s", "-store", "/tmp/x"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 4*time.Second, o.refresh)
	assert.Equal(t, "/tmp/x", o.store)
	_, err = parseFlags([]string{"-refresh", "500ms"}, io.Discard)
	assert.ErrorContains(t, err, "-refresh")
}

// TestShortRefreshAndMemStore starts the example with -refresh 4s and a mem:// store: both are
// taken, and an avatar is served.
func TestShortRefreshAndMemStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-refresh", "4s", "-store", "mem://"},
			env{stderr: &logs, ready: ready, name: "example-short"})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("example stopped: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("example did not start")
	}
	u := fetchtest.UsersOf(fetchtest.Facebook)[0]
	res := get(t, "http://"+addr+"/avatars/facebook/w_20/"+u.ID+".jpg")
	assert.Equal(t, http.StatusOK, res.code)
	assert.Contains(t, logs.String(), "refresh period under a minute")
	assert.Contains(t, logs.String(), "durable store for originals")
	cancel()
	require.NoError(t, <-done)

	_, err := parseFlagsAndRun(t, "-demo", "-addr", "127.0.0.1:0", "-store", "nosuch://bucket")
	assert.ErrorContains(t, err, "-store")
}

// parseFlagsAndRun runs the example with args until it fails or starts (then it is stopped).
func parseFlagsAndRun(t *testing.T, args ...string) (string, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- run(ctx, args, env{stderr: io.Discard, ready: ready, name: "example-fail"}) }()
	select {
	case addr := <-ready:
		cancel()
		return addr, <-done
	case err := <-done:
		return "", err
	}
}

func TestFlagsCluster(t *testing.T) {
	const secret = "0123456789abcdef0123"
	t.Setenv("AVATAR_PEER_SECRET", "")

	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, o.self, "not a cluster by default")
	assert.Nil(t, o.peers)
	assert.Nil(t, o.peerDiscovery)
	assert.Equal(t, 2*time.Second, o.peerTimeout)

	o, err = parseFlags([]string{"-self", "http://10.0.0.5:8080", "-peers", "http://10.0.0.5:8080, http://10.0.0.6:8080,", "-peer-secret", secret, "-peer-timeout", "5s"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, o.peerTimeout)
	assert.Equal(t, "http://10.0.0.5:8080", o.self)
	assert.Equal(t, []string{"http://10.0.0.5:8080", "http://10.0.0.6:8080"}, o.peers, "spaces and empty entries dropped")
	assert.Equal(t, secret, o.peerSecret)

	o, err = parseFlags([]string{"-self", "https://10.0.0.5:8443", "-peers-dns", "avatarkit.default.svc.cluster.local:8443", "-peer-secret", secret}, io.Discard)
	require.NoError(t, err)
	require.NotNil(t, o.peerDiscovery)
	assert.Equal(t, "avatarkit.default.svc.cluster.local", o.peerDiscovery.Name)
	assert.Equal(t, 8443, o.peerDiscovery.Port)
	assert.Equal(t, "https", o.peerDiscovery.Scheme, "the scheme of -self")

	// A single node of its own: -self alone needs no secret.
	o, err = parseFlags([]string{"-self", "http://10.0.0.5:8080"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "http://10.0.0.5:8080", o.self)

	// The secret's default comes from the environment, and -h never shows it.
	t.Setenv("AVATAR_PEER_SECRET", secret)
	o, err = parseFlags([]string{"-self", "http://10.0.0.5:8080", "-peers", "http://10.0.0.6:8080"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, secret, o.peerSecret)
	o, err = parseFlags([]string{"-self", "http://10.0.0.5:8080", "-peer-secret", ""}, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, o.peerSecret, "an explicit -peer-secret wins over the environment")
	var help bytes.Buffer
	_, err = parseFlags([]string{"-h"}, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.NotContains(t, help.String(), secret)
	for _, f := range []string{"-self", "-peers", "-peers-dns", "-peer-secret", "-peer-timeout", "$AVATAR_PEER_SECRET"} {
		assert.Contains(t, help.String(), f)
	}
	t.Setenv("AVATAR_PEER_SECRET", "")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-peers", "http://10.0.0.5:8080"}, "-peers needs -self"},
		{[]string{"-peers-dns", "avatarkit:8080"}, "-peers-dns needs -self"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers", "http://10.0.0.6:8080"}, "-peer-secret"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers-dns", "avatarkit:8080"}, "-peer-secret"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers", " , "}, "lists no node"},
		{[]string{"-self", "10.0.0.5:8080"}, "-self"},
		{[]string{"-self", "ftp://10.0.0.5"}, "-self"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers-dns", "avatarkit", "-peer-secret", secret}, "name:port"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers-dns", "avatarkit:http", "-peer-secret", secret}, "name:port"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers-dns", ":8080", "-peer-secret", secret}, "name:port"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peers-dns", "avatarkit:70000", "-peer-secret", secret}, "name:port"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peer-timeout", "0s"}, "-peer-timeout"},
		{[]string{"-self", "http://10.0.0.5:8080", "-peer-timeout", "2m"}, "-peer-timeout"},
	} {
		_, err := parseFlags(c.args, io.Discard)
		assert.ErrorContains(t, err, c.want, "%q", c.args)
	}
}

// TestClusterConfigErrors checks what avatarmw.New refuses once the flags have parsed: the error
// reaches the command line.
func TestClusterConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		// With -peers-dns, -self must be an IP address, as discovery yields them.
		{"-demo", "-addr", "127.0.0.1:0", "-self", "http://node-a:8080", "-peers-dns", "avatarkit.test:8080", "-peer-secret", "0123456789abcdef"},
		// A peer URL with a path.
		{"-demo", "-addr", "127.0.0.1:0", "-self", "http://10.0.0.5:8080", "-peers", "http://10.0.0.6:8080/x", "-peer-secret", "0123456789abcdef"},
	} {
		err := run(context.Background(), args, env{stderr: io.Discard, name: "example-config-errors"})
		assert.Error(t, err, "%q", args)
	}
}

type got struct {
	code  int
	ctype string
	vary  string
	body  []byte
	hdr   http.Header
}

// findURL returns the first of urls that contains s, or "".
func findURL(urls []string, s string) string {
	for _, u := range urls {
		if strings.Contains(u, s) {
			return u
		}
	}
	return ""
}

// rowOf returns the table row of the page that holds s.
func (g got) rowOf(s string) string {
	b := string(g.body)
	i := strings.Index(b, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(b[:i], `<div class="row">`)
	return b[max(start, 0):i]
}

func get(t *testing.T, url string) got {
	t.Helper()
	return getWith(t, url)
}

// getWith gets url with the request headers hdr (name, value, ...).
func getWith(t *testing.T, url string, hdr ...string) got {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return got{res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Vary"), body, res.Header}
}
