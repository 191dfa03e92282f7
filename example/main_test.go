package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	urls := regexp.MustCompile(`<img src="(/avatars/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	require.GreaterOrEqual(t, len(urls), 20, "the gallery shows avatars")
	for _, m := range urls {
		// The URL printed under each picture is the one it was loaded from.
		assert.Contains(t, string(page.body), "<code>"+m[1]+"</code>")
		res := get(t, base+m[1])
		if strings.Contains(page.rowOf(m[1]), "no picture") {
			assert.Equal(t, http.StatusNotFound, res.code, m[1])
			continue
		}
		require.Equal(t, http.StatusOK, res.code, "%s: %s", m[1], res.body)
		_, _, err := image.Decode(bytes.NewReader(res.body))
		assert.NoError(t, err, m[1])
	}

	assert.Equal(t, "ok\n", string(get(t, base+"/healthz").body))
	var stats map[string]any
	require.NoError(t, json.Unmarshal(get(t, base+"/debug/avatars").body, &stats))
	for _, k := range []string{"requests", "origin_fetches", "transforms"} {
		assert.Contains(t, stats, k)
	}
	assert.EqualValues(t, len(urls), stats["requests"])
	assert.Greater(t, stats["transforms"], float64(0))

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
}

type got struct {
	code  int
	ctype string
	body  []byte
}

// rowOf returns the table row of the page that holds s.
func (g got) rowOf(s string) string {
	b := string(g.body)
	i := strings.Index(b, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(b[:i], "<tr>")
	return b[max(start, 0):i]
}

func get(t *testing.T, url string) got {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return got{res.StatusCode, res.Header.Get("Content-Type"), body}
}
