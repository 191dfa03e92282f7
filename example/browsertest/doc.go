// Package browsertest tests the example app's demo page in a real browser: headless Chromium,
// driven with chromedp. It is a module of its own, so that avatarkit's users do not inherit a
// browser driver; it builds the example from the parent module.
//
//	apt-get install -y chromium   # or set $CHROME to a Chrome or Chromium binary
//	cd example/browsertest && go test -v ./...
//
// Without a browser the test is skipped, unless AVATARKIT_BROWSER_TEST=required (CI sets it).
package browsertest
