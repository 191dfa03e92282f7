package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// TestDemoAdmin runs the demo with -admin-token: POST /admin/avatars/<type>/<id>/refresh with the
// bearer token answers {"version": n}, and that version serves the avatar as immutable; without
// the token, the endpoint refuses; without -admin-token, it is not there.
func TestDemoAdmin(t *testing.T) {
	const token = "admin-token-0123456789"
	base := startDemo(t, "-admin-token", token)
	var id string
	for _, u := range fetchtest.Users {
		if u.Network == "facebook" && !u.NoPicture && !u.Default && u.Format == "jpeg" && u.Width <= 2048 {
			id = u.ID
			break
		}
	}
	require.NotEmpty(t, id)
	url := base + "/admin/avatars/facebook/" + id + "/refresh"

	post := func(url, auth string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, url, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var answer map[string]any
		require.NoError(t, json.Unmarshal(body, &answer), "%s", body)
		return res.StatusCode, answer
	}
	code, answer := post(url, "")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, answer["error"], "token")
	code, _ = post(url, "Bearer wrong-token-0123456789")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = post(base+"/admin/avatars/facebook/abc/refresh", "Bearer "+token)
	assert.Equal(t, http.StatusBadRequest, code, "the identifier is checked as a URL's would be")

	before := time.Now().Unix()
	code, answer = post(url, "Bearer "+token)
	require.Equal(t, http.StatusOK, code, "%v", answer)
	version, ok := answer["version"].(float64)
	require.True(t, ok, "%v", answer)
	assert.GreaterOrEqual(t, int64(version), before, "a version is the Unix time of the refresh")

	res := get(t, base+"/avatars/facebook/c_fill,h_40,w_40/v"+strconv.FormatInt(int64(version), 10)+"/"+id+".jpg")
	assert.Equal(t, http.StatusOK, res.code)
	res2, err := http.Get(base + "/avatars/facebook/c_fill,h_40,w_40/v" + strconv.FormatInt(int64(version), 10) + "/" + id + ".jpg")
	require.NoError(t, err)
	res2.Body.Close()
	assert.Equal(t, "public, max-age=31536000, immutable", res2.Header.Get("Cache-Control"))

	// Without -admin-token there is no admin endpoint.
	plain := startDemo(t)
	res3, err := http.Post(plain+"/admin/avatars/facebook/"+id+"/refresh", "", nil)
	require.NoError(t, err)
	res3.Body.Close()
	assert.Equal(t, http.StatusNotFound, res3.StatusCode)
}

// startDemo runs the example with -demo on a free port and the extra args, until the test ends;
// it returns the base URL.
func startDemo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-demo", "-addr", "127.0.0.1:0"}, args...), env{stderr: io.Discard, ready: ready})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("example did not shut down")
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("example stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("example did not start")
	}
	return ""
}
