package main

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

var updateImages = flag.Bool("update-images", false, "write README.md's pictures to docs/images from the demo")

// readmeImages are the pictures at the top of README.md: real outputs of the example in -demo mode.
var readmeImages = []struct{ file, path string }{
	{"strip-original.png", "twitter/c_fit,h_100,w_300/1602030405060708090.png"},
	{"strip-centre.png", "twitter/c_fill,h_100,w_100/1602030405060708090.png"},
	{"strip-face.png", "twitter/c_thumb,g_face,h_100,w_100/1602030405060708090.png"},
	{"strip-circle.png", "twitter/c_thumb,g_face,h_100,w_100/bo_3px_solid_rgb:2563eb,r_max/1602030405060708090.png"},
	{"strip-sepia.png", "twitter/c_thumb,e_sepia,g_face,h_100,w_100/1602030405060708090.png"},
	{"strip-identicon.png", "facebook/c_fill,d_identicon,h_100,w_100/r_max/" + fetchtest.MissingFacebookID + ".png"},
}

// TestReadmeImages keeps README.md's pictures real: each is what the example serves in -demo mode
// for its URL (the same size; the pixels may drift as the image code improves). With
// -update-images it writes them again:
//
//	go test ./example -run TestReadmeImages -update-images
func TestReadmeImages(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0"}, env{stderr: io.Discard, ready: ready, name: "example-readme-images"})
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("example stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("example did not start")
	}

	for _, im := range readmeImages {
		p := filepath.Join("..", "docs", "images", im.file)
		assert.Contains(t, string(readme), "docs/images/"+im.file, "README.md shows %s", im.file)
		assert.Contains(t, string(readme), "`"+strings.Split(im.path, "/")[1]+"`", "README.md names the transformation of %s", im.file)
		res, err := http.Get(base + "/avatars/" + im.path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", im.path, res.Header.Get("X-Avatar-Error"))
		served, err := png.Decode(bytes.NewReader(body))
		require.NoError(t, err, im.path)
		if *updateImages {
			require.NoError(t, os.WriteFile(p, body, 0o644))
			t.Logf("wrote %s", p)
			continue
		}
		f, err := os.Open(p)
		require.NoError(t, err, "run go test ./example -run TestReadmeImages -update-images")
		committed, _, err := image.Decode(f)
		f.Close()
		require.NoError(t, err, p)
		assert.Equal(t, served.Bounds().Size(), committed.Bounds().Size(), "%s is not what %s serves now: -update-images", p, im.path)
	}
	cancel()
	require.NoError(t, <-done)
}
