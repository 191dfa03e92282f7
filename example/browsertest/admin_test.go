package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminPage opens the example's admin page after the demo page has loaded its avatars, types
// the admin token as an operator would, and checks the table: a row per avatar with its
// thumbnail loaded, and a refresh button that gets a new version. The console stays clean (the
// page's Content-Security-Policy would report anything it blocks there). Screenshots go with the
// demo page's.
func TestAdminPage(t *testing.T) {
	const token = "admin-token-for-the-browser-test"
	browser := findBrowser(t)
	base := startExample(t, "-admin-token", token)
	shots := screenshotDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bctx, console := openBrowser(t, ctx, browser)
	poll := func(cond string) {
		t.Helper()
		_, err := chromedp.Run(bctx, chromedp.Poll[bool](cond,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
		require.NoError(t, err, "waiting for %s", cond)
	}

	// The demo page fetches the avatars the admin page then lists.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(base+"/")))
	require.NoError(t, chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager' })`)))
	poll(`[...document.images].filter(i => i.id !== 'pg-img').every(i => i.complete)`)
	console.take() // the demo page is TestDemoPage's

	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(base+"/admin/"),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("load")),
	))
	poll(`document.querySelectorAll('#avatars tbody tr').length > 3`)
	require.NoError(t, chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll('#avatars img[loading=lazy]').forEach(i => { i.loading = 'eager' })`)))
	poll(`[...document.querySelectorAll('#avatars img')].every(i => i.complete)`)

	type row struct {
		Type, ID, Outcome string
		Thumb             bool `json:"thumb"`
		Loaded            bool `json:"loaded"`
	}
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[[]row](`[...document.querySelectorAll('#avatars tbody tr')].map(tr => {
		const img = tr.querySelector('img');
		return {Type: tr.querySelector('.type').textContent, ID: tr.querySelector('.id').textContent,
			Outcome: tr.querySelector('[class^=outcome-]').textContent, thumb: !!img, loaded: !!img && img.naturalWidth === 64};
	})`))
	require.NoError(t, err)
	types := map[string]bool{}
	pictures := 0
	for _, r := range rows {
		types[r.Type] = true
		if r.Outcome == "picture" {
			pictures++
			assert.True(t, r.Thumb && r.Loaded, "the thumbnail of %s %s", r.Type, r.ID)
		}
	}
	assert.Greater(t, pictures, 3)
	assert.True(t, types["facebook"] && types["gravatar"], "%v", types)
	status, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9]+ avatars in memory`, status)

	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	writeShot(t, shots, "admin-desktop-1280.png", shot)

	// Refresh the first picture: a version comes back, and the list shows it.
	require.NoError(t, chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](
		`[...document.querySelectorAll('#avatars tbody tr')].find(tr => tr.querySelector('.outcome-picture')).querySelector('button').click()`)))
	poll(`[...document.querySelectorAll('#avatars .version')].some(s => /^[0-9]{10,}$/.test(s.textContent))`)

	// Filter by type.
	require.NoError(t, chromedp.Do(bctx, chromedp.SetValue(chromedp.ID("type"), "gravatar"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('type').dispatchEvent(new Event('change'))`)))
	poll(`[...document.querySelectorAll('#avatars .type')].every(e => e.textContent === 'gravatar')`)

	// A wrong token: the reason, not an empty table.
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('token').value = ''`),
		chromedp.SendKeys(chromedp.ID("token"), "wrong"),
		chromedp.Click(chromedp.ID("load")),
	))
	poll(`document.getElementById('status').classList.contains('error')`)
	status, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(status, "401"), status)

	var real []string
	for _, p := range console.take() {
		if !strings.Contains(p, "401") { // the browser logs the refused request itself
			real = append(real, p)
		}
	}
	assert.Empty(t, real, "the console has errors")
}
