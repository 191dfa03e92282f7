package cloudinarytest

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// nodeURL is one URL of testdata/node-urls.json, which node/urls.mjs printed with the Node SDKs.
type nodeURL struct {
	SDK  string `json:"sdk"`  // "cloudinary" or "url-gen"
	Case string `json:"case"` // a case of cases_test.go
	Type string `json:"type"`
	URL  string `json:"url"`
}

// TestNodeSDKs requests every URL the Node SDKs (cloudinary 2.11.0, @cloudinary/url-gen 1.22.0)
// built for the conformance cases — as they printed them, query string included, only the host
// changed — and checks that avatarkit answers each as Cloudinary would: status, pixel size and
// format. The URLs are a fixture, so this runs without Node (regenerate it with
// `cd node && npm ci && npm run urls`).
func TestNodeSDKs(t *testing.T) {
	b, err := os.ReadFile("testdata/node-urls.json")
	require.NoError(t, err)
	var urls []nodeURL
	require.NoError(t, json.Unmarshal(b, &urls))
	require.NotEmpty(t, urls)
	e := theEnv
	ta := newTally()
	seen := map[string]bool{}
	for _, u := range urls {
		if testing.Short() && u.Type != "facebook" {
			continue
		}
		c := caseNamed(t, u.Case)
		src, ok := e.src[u.Type]
		require.True(t, ok, "type %q", u.Type)
		require.Contains(t, u.URL, "?_a=", "the SDK's analytics query is on")
		require.True(t, strings.HasPrefix(u.URL, "https://avatars.example.com/"), u.URL)
		r := e.get(t, u.URL, c.hdr, c.accept)
		ta.record(t, u.SDK, c, u.URL, r, src)
		seen[u.SDK+"/"+u.Case] = true
	}
	ta.report(t)
	// Both SDKs are in the fixture, each with most of the cases.
	for _, sdk := range []string{"cloudinary", "url-gen"} {
		n := 0
		for _, c := range cases {
			if seen[sdk+"/"+c.name] {
				n++
			}
		}
		require.Greater(t, n, len(cases)*3/4, "%s covers %d of %d cases", sdk, n, len(cases))
	}
}
