package browsertest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoPage opens the example's -demo page in headless Chromium, at 1280 px on a desktop and at
// 390 px on an emulated phone, and checks what a person would see: nothing runs off the right
// edge, every picture that should load has loaded, the console is clean, and the playground shows
// a new picture when its transformation changes. Screenshots go to a directory that stays after
// the test (its path is logged), for CI to keep and for people to look at.
func TestDemoPage(t *testing.T) {
	browser := findBrowser(t)
	base := startExample(t)
	shots := screenshotDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bctx, console := openBrowser(t, ctx, browser)

	for _, vp := range []struct {
		name          string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"desktop-1280", 1280, 900, nil},
		{"phone-390", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch}},
	} {
		t.Run(vp.name, func(t *testing.T) {
			start := time.Now()
			require.NoError(t, chromedp.Do(bctx,
				chromedp.EmulateViewport(vp.width, vp.height, vp.opts...),
				chromedp.Navigate(base+"/"),
			))
			// Every picture: the lazy ones below the fold too.
			require.NoError(t, chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](
				`document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager' })`)))
			_, err := chromedp.Run(bctx, chromedp.Poll[bool](
				`[...document.images].filter(i => i.id !== 'pg-img').every(i => i.complete)`,
				chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(2*time.Minute)))
			require.NoError(t, err, "the pictures did not finish loading")
			t.Logf("%s: the page and its pictures loaded in %v", vp.name, time.Since(start).Round(time.Millisecond))

			type pictures struct {
				Total  int      `json:"total"`
				Broken []string `json:"broken"`
			}
			imgs, err := chromedp.Run(bctx, chromedp.Evaluate[pictures](`(() => {
				const all = [...document.images].filter(i => i.id !== 'pg-img');
				return {total: all.length, broken: all.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'))};
			})()`))
			require.NoError(t, err)
			assert.Greater(t, imgs.Total, 100, "the page shows its galleries")
			assert.Empty(t, imgs.Broken, "pictures that did not load")

			// The intentional errors read as such: a status and a reason, no broken picture.
			errs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('.cell .err')].map(e => e.textContent.trim())`))
			require.NoError(t, err)
			require.NotEmpty(t, errs)
			for _, e := range errs {
				assert.Regexp(t, `^[45][0-9]{2} \S`, e, "an intentional error shows its status and reason")
			}

			type layout struct {
				ScrollWidth int      `json:"scrollWidth"`
				ClientWidth int      `json:"clientWidth"`
				InnerWidth  int      `json:"innerWidth"`
				Wide        []string `json:"wide"`
			}
			l, err := chromedp.Run(bctx, chromedp.Evaluate[layout](`(() => {
				const cw = document.documentElement.clientWidth;
				const wide = [...document.querySelectorAll('body *')]
					.filter(e => e.getBoundingClientRect().right > cw + 0.5)
					.slice(0, 8)
					.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right));
				return {scrollWidth: document.documentElement.scrollWidth, clientWidth: cw, innerWidth: window.innerWidth, wide};
			})()`))
			require.NoError(t, err)
			assert.Equal(t, int(vp.width), l.InnerWidth, "the layout viewport is the device's width (the viewport meta)")
			assert.LessOrEqual(t, l.ScrollWidth, l.ClientWidth, "the page is wider than the window: %v", l.Wide)
			assert.Empty(t, l.Wide, "elements that run off the right edge")

			top, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
			require.NoError(t, err)
			writeShot(t, shots, vp.name+"-top.png", top)

			testPlayground(t, bctx, vp.name == "desktop-1280")

			sections, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main > section')].map(s => s.id)`))
			require.NoError(t, err)
			for _, id := range sections {
				shot, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.ID(id)))
				require.NoError(t, err, id)
				writeShot(t, shots, vp.name+"-"+id+".png", shot)
			}
			full, err := chromedp.Run(bctx, chromedp.FullScreenshot(80))
			require.NoError(t, err)
			writeShot(t, shots, vp.name+"-full.jpg", full)
		})
	}

	assert.Empty(t, console.take(), "the console has errors")
}

// testPlayground changes the playground's transformation as a person would and waits for the
// picture to follow. With more, it also clicks a preset and tries a refused transformation.
func testPlayground(t *testing.T, ctx context.Context, more bool) {
	t.Helper()
	type state struct {
		State  string `json:"state"`
		URL    string `json:"url"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Size   string `json:"size"`
		Type   string `json:"type"`
		Bytes  string `json:"bytes"`
		Error  string `json:"error"`
	}
	const read = `(() => {
		const f = document.getElementById('pg'), i = document.getElementById('pg-img'), e = document.getElementById('pg-err');
		return {state: f.dataset.state, url: i.dataset.url || '', width: i.naturalWidth, height: i.naturalHeight,
			size: document.getElementById('pg-size').textContent, type: document.getElementById('pg-type').textContent,
			bytes: document.getElementById('pg-bytes').textContent, error: e.hidden ? '' : e.textContent};
	})()`
	waitFor := func(cond string) state {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
		s, rerr := chromedp.Run(ctx, chromedp.Evaluate[state](read))
		require.NoError(t, rerr)
		require.NoError(t, err, "waiting for %s; the playground shows %+v", cond, s)
		return s
	}

	first := waitFor(`document.getElementById('pg').dataset.state === 'ready'`)
	require.NotEmpty(t, first.URL)
	assert.Positive(t, first.Width)

	// Typed, key by key: the picture follows.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.ScrollIntoView(chromedp.ID("pg-tr")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("pg-tr").value = ""`),
		chromedp.SendKeys(chromedp.ID("pg-tr"), "c_fill,h_90,w_120"),
	))
	s := waitFor(`(() => { const i = document.getElementById('pg-img');
		return document.getElementById('pg').dataset.state === 'ready' && (i.dataset.url || '').includes('/c_fill,h_90,w_120/') })()`)
	assert.NotEqual(t, first.URL, s.URL)
	assert.Equal(t, 120, s.Width, "%+v", s)
	assert.Equal(t, 90, s.Height, "%+v", s)
	assert.Equal(t, "120 × 90 px", s.Size)
	assert.Regexp(t, `^image/`, s.Type)
	assert.Regexp(t, `^[0-9,]+ bytes$`, s.Bytes)
	if !more {
		return
	}

	// A preset, with its format.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.chip[data-tr="c_fill,d_identicon,h_120,w_120"]`))))
	s = waitFor(`(() => { const i = document.getElementById('pg-img');
		return document.getElementById('pg').dataset.state === 'ready' && (i.dataset.url || '').includes('d_identicon') })()`)
	assert.Equal(t, 120, s.Width)
	assert.Equal(t, "image/png", s.Type)

	// A transformation the URL builder refuses: the reason, not a broken picture.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("pg-tr").value = ""`),
		chromedp.SendKeys(chromedp.ID("pg-tr"), "w_ninety"),
	))
	s = waitFor(`document.getElementById('pg').dataset.state === 'error'`)
	assert.Contains(t, s.Error, "w_ninety")

	// And back.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("pg-tr").value = ""`),
		chromedp.SendKeys(chromedp.ID("pg-tr"), "c_thumb,g_face,h_100,w_100"),
	))
	s = waitFor(`document.getElementById('pg').dataset.state === 'ready' && (document.getElementById('pg-img').dataset.url || '').includes('w_100')`)
	assert.Equal(t, 100, s.Width)
}

// console collects the errors and exceptions a page logs to the browser's console.
type console struct {
	mu       sync.Mutex
	problems []string
}

// take returns what was logged since the last take.
func (c *console) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.problems
	c.problems = nil
	return p
}

// openBrowser starts a headless browser for the test, its window 1280×900, and listens to its
// console. It is closed when ctx is done or the test ends.
func openBrowser(t *testing.T, ctx context.Context, browser string) (context.Context, *console) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// This machine may have no internet: no connection of the browser's own.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	c := &console{}
	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				c.mu.Lock()
				c.problems = append(c.problems, fmt.Sprintf("%s (%s %s:%d)", m, m.Source, m.URL, m.Line))
				c.mu.Unlock()
			}
		}
	}()
	return bctx, c
}

// findBrowser returns $CHROME, or the first Chromium or Chrome on the PATH. Without one the test is
// skipped, or fails when AVATARKIT_BROWSER_TEST=required.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("AVATARKIT_BROWSER_TEST") == "required" {
		t.Fatal("no browser: install chromium (apt-get install -y chromium) or set $CHROME")
	}
	t.Skip("no browser: install chromium (apt-get install -y chromium) or set $CHROME")
	return ""
}

// startExample builds the example from the parent module and runs it with -demo on a free port of
// loopback, and the extra args; it returns the base URL.
func startExample(t *testing.T, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the example and drives a browser")
	}
	bin := filepath.Join(t.TempDir(), "example")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".." // the example, in avatarkit's module
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, append([]string{"-demo", "-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) //nolint:errcheck // it may have exited
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck // its status does not matter here
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // last resort
		}
	})
	listening := regexp.MustCompile(`msg=listening url=(http://\S+)/`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stderr) //nolint:errcheck // drained until the example exits
	}()
	select {
	case base := <-found:
		return base
	case <-time.After(30 * time.Second):
		t.Fatal("the example did not say where it listens")
	}
	return ""
}

// screenshotDir returns $AVATARKIT_SCREENSHOTS, or a new directory under the system's temporary
// directory that outlives the test.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AVATARKIT_SCREENSHOTS")
	if dir == "" {
		var err error
		dir, err = os.MkdirTemp("", "avatarkit-screenshots-")
		require.NoError(t, err)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

func writeShot(t *testing.T, dir, name string, img []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NotEmpty(t, img, "the browser took no screenshot %s", name)
	require.NoError(t, os.WriteFile(p, img, 0o644))
	t.Logf("screenshot %s", p)
}
