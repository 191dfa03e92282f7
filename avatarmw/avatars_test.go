package avatarmw

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

const testAdminToken = "admin-token-for-the-tests-0123"

// adminGet asks the admin endpoint for a listing and decodes it.
func adminGet(t *testing.T, admin http.Handler, query, token string) (int, AvatarPage, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/admin/avatars/"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, req)
	var p AvatarPage
	if rec.Code == http.StatusOK {
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	}
	return rec.Code, p, rec.Body.String()
}

func find(p AvatarPage, typ, id string) (ListedAvatar, bool) {
	for _, a := range p.Avatars {
		if a.Type == typ && a.ID == id {
			return a, true
		}
	}
	return ListedAvatar{}, false
}

func TestAdminListsTheAvatars(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	admin, err := h.AdminHandler("/admin/avatars/", testAdminToken)
	require.NoError(t, err)

	fb, gr := user(t, "facebook", plain), user(t, "gravatar", plain)
	start := time.Now().Add(-time.Second)
	for _, p := range []string{
		"/avatars/facebook/c_fill,h_90,w_90/" + fb.ID + ".jpg",
		"/avatars/facebook/" + fb.ID + ".png",
		"/avatars/gravatar/c_fit,w_40/" + gr.ID + ".webp",
	} {
		require.Equal(t, http.StatusOK, do(t, srv, "GET", p).StatusCode, p)
	}
	require.Equal(t, http.StatusNotFound, do(t, srv, "GET", "/avatars/facebook/"+fetchtest.MissingFacebookID+".jpg").StatusCode)

	code, _, body := adminGet(t, admin, "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the token is required")
	assert.Contains(t, body, "token")

	code, p, body := adminGet(t, admin, "", testAdminToken)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "memory", p.Source)
	assert.Equal(t, 3, p.Total)
	assert.Equal(t, map[string]int{"facebook": 2, "gravatar": 1}, p.Types)
	assert.Equal(t, 50, p.Limit)

	a, ok := find(p, "facebook", fb.ID)
	require.True(t, ok, body)
	assert.Equal(t, "picture", a.Outcome)
	assert.Equal(t, "image/jpeg", a.ContentType)
	assert.Equal(t, "network", a.Source, "this node fetched it")
	assert.Positive(t, a.Bytes)
	assert.True(t, a.Fetched.After(start), "%v", a.Fetched)
	assert.Regexp(t, `^facebook\|`+fb.ID+`\|e[0-9]+$`, a.Key)
	assert.Zero(t, a.Version)
	require.Len(t, a.Variants, 2, "%+v", a.Variants)
	assert.Equal(t, "", a.Variants[0].Transformation, "the most recent first")
	assert.Equal(t, "png", a.Variants[0].Format)
	assert.Equal(t, "c_fill,h_90,w_90", a.Variants[1].Transformation)
	assert.Equal(t, "jpg", a.Variants[1].Format)
	assert.Equal(t, "computed", a.Variants[1].Source)
	assert.Positive(t, a.Variants[1].Bytes)
	assert.Equal(t, "/avatars/facebook/c_thumb,g_face,h_64,w_64/"+fb.ID+".jpg", a.Thumbnail)
	if !testing.Short() { // a face analysis
		res := do(t, srv, "GET", a.Thumbnail)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
	}

	missing, ok := find(p, "facebook", fetchtest.MissingFacebookID)
	require.True(t, ok)
	assert.Equal(t, "not_found", missing.Outcome)
	assert.Contains(t, missing.Message, "no such user")
	assert.Empty(t, missing.Thumbnail)

	// By type, and by page.
	_, p, _ = adminGet(t, admin, "?type=gravatar", testAdminToken)
	require.Len(t, p.Avatars, 1)
	assert.Equal(t, gr.ID, p.Avatars[0].ID)
	assert.Equal(t, "webp", p.Avatars[0].Variants[0].Format)
	assert.Equal(t, 1, p.Total)
	assert.Equal(t, 2, p.Types["facebook"], "the counts by type are the whole node's")
	_, p1, _ := adminGet(t, admin, "?limit=2", testAdminToken)
	_, p2, _ := adminGet(t, admin, "?limit=2&offset=2", testAdminToken)
	require.Len(t, p1.Avatars, 2)
	require.Len(t, p2.Avatars, 1)
	assert.Equal(t, 3, p2.Total)
	for _, x := range p1.Avatars {
		_, dup := find(p2, x.Type, x.ID)
		assert.False(t, dup)
	}

	// A forced refresh shows as its version.
	version, err := h.Refresh(context.Background(), "facebook", fb.ID)
	require.NoError(t, err)
	_, p, _ = adminGet(t, admin, "?type=facebook", testAdminToken)
	a, _ = find(p, "facebook", fb.ID)
	assert.Equal(t, version, a.Version)
	assert.Contains(t, a.Thumbnail, "/v"+strconv.FormatUint(version, 10)+"/")

	for _, q := range []string{"?type=myspace", "?limit=x", "?offset=-1", "?source=disk", "?sort=id", "?source=store"} {
		code, _, body := adminGet(t, admin, q, testAdminToken)
		want := http.StatusBadRequest
		if q == "?source=store" {
			want = http.StatusNotFound // no store
		}
		assert.Equal(t, want, code, "%s: %s", q, body)
		assert.Contains(t, body, `"error"`)
	}
	req := httptest.NewRequest("DELETE", "/admin/avatars/", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	rec := httptest.NewRecorder()
	admin.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// The store's listing: what any node of the fleet wrote, read back with its metadata.
func TestAdminListsTheStore(t *testing.T) {
	store, err := blobstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	h, _, srv := newTestHandler(t, func(cfg *Config) { cfg.Store = store })
	admin, err := h.AdminHandler("/admin/avatars/", testAdminToken)
	require.NoError(t, err)

	fb := user(t, "facebook", plain)
	require.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/facebook/c_fill,h_90,w_90/"+fb.ID+".jpg").StatusCode)
	require.Equal(t, http.StatusNotFound, do(t, srv, "GET", "/avatars/facebook/"+fetchtest.MissingFacebookID+".jpg").StatusCode)

	var p AvatarPage
	require.Eventually(t, func() bool { // the writes are made in the background
		var code int
		code, p, _ = adminGet(t, admin, "?source=store", testAdminToken)
		return code == http.StatusOK && p.Total == 2
	}, time.Minute, 20*time.Millisecond)
	assert.Equal(t, "store", p.Source)
	assert.Equal(t, map[string]int{"facebook": 2}, p.Types)
	a, ok := find(p, "facebook", fb.ID)
	require.True(t, ok)
	assert.Equal(t, "picture", a.Outcome)
	assert.Equal(t, "image/jpeg", a.ContentType)
	assert.Positive(t, a.Bytes)
	assert.False(t, a.Fetched.IsZero())
	assert.Equal(t, "store", a.Source)
	require.Len(t, a.Variants, 1, "what this node made of it")
	assert.NotEmpty(t, a.Thumbnail)
	m, ok := find(p, "facebook", fetchtest.MissingFacebookID)
	require.True(t, ok)
	assert.Equal(t, "not_found", m.Outcome)
	assert.Zero(t, m.Bytes)

	_, p, _ = adminGet(t, admin, "?source=store&type=gravatar", testAdminToken)
	assert.Zero(t, p.Total)
	assert.Empty(t, p.Avatars)
	assert.NotNil(t, p.Avatars, "an empty list, not null")
}
