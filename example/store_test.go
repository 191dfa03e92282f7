package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartWithStore runs the example twice, one process after the other, with one -store
// directory: the second serves every avatar of the demo page — pictures, generic pictures,
// "no picture" — with the same answers and no call to the network (origin_fetches 0). One URL
// per avatar of the page: what is fetched is avatars, not their variants.
func TestRestartWithStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example and runs it twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	bin := buildExample(ctx, t)
	dir := filepath.Join(t.TempDir(), "store")
	client := &http.Client{Timeout: time.Minute}

	type answer struct {
		code int
		etag string
	}
	var urls []string
	answers := map[string]answer{}
	for life := range 2 {
		port := freePorts(t, 1)[0]
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		p := startProcess(ctx, t, bin, fmt.Sprintf("life%d", life), base,
			"-demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-store", dir, "-refresh", "8760h")
		p.waitHealthy(ctx, t)
		if life == 0 {
			page := getURL(ctx, client, base+"/")
			require.NoError(t, page.err)
			avatars := map[string]bool{}
			for _, m := range regexp.MustCompile(`<img src="(/avatars/([a-z_]+)/(?:[^"/]+/)*([^"/.]+)[^"/]*)"`).FindAllStringSubmatch(string(page.body), -1) {
				if avatar := m[2] + "/" + m[3]; !avatars[avatar] {
					avatars[avatar] = true
					urls = append(urls, m[1])
					answers[m[1]] = answer{}
				}
			}
			require.GreaterOrEqual(t, len(urls), 15)
		}
		for _, u := range urls {
			r := getURL(ctx, client, base+u)
			require.NoError(t, r.err, u)
			if life == 0 {
				answers[u] = answer{r.code, r.etag}
				continue
			}
			assert.Equal(t, answers[u], answer{r.code, r.etag}, "%s: the same answer after the restart", u)
		}
		stats := getURL(ctx, client, base+"/debug/avatars")
		require.NoError(t, stats.err)
		var s struct {
			OriginFetches int64 `json:"origin_fetches"`
			Store         struct {
				Enabled bool  `json:"enabled"`
				Hits    int64 `json:"hits"`
				Writes  int64 `json:"writes"`
				Corrupt int64 `json:"corrupt"`
			} `json:"store"`
		}
		require.NoError(t, json.Unmarshal(stats.body, &s), "%s", stats.body)
		assert.True(t, s.Store.Enabled)
		t.Logf("life %d: %d URLs, origin_fetches %d, store hits %d", life, len(urls), s.OriginFetches, s.Store.Hits)
		if life == 0 {
			assert.Positive(t, s.OriginFetches)
		} else {
			assert.Zero(t, s.OriginFetches, "the second process calls no network")
			assert.Positive(t, s.Store.Hits)
			assert.Zero(t, s.Store.Corrupt)
		}
		p.stop(t, syscall.SIGTERM)
		require.NoError(t, p.err, "exits cleanly:\n%s", p.logs())
		assert.NotContains(t, p.logs(), "dropped", "every write made before the exit")
	}
}
