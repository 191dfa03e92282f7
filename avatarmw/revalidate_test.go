package avatarmw

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// A weekly refresh of pictures that have not changed: Graph's cache_key and X's picture and
// banner URLs tell the cache so at the lookup, and the picture is not downloaded again.

// revalidateAvatar is one avatar of the revalidation tests, and how its picture is changed.
type revalidateAvatar struct {
	typ, id string
	change  func(*fetchtest.Server)
}

// revalidateAvatars adds n users to fake: facebook and X users with small pictures, and X users
// with banners, a third of each.
func revalidateAvatars(fake *fetchtest.Server, n int) []revalidateAvatar {
	var out []revalidateAvatar
	for i := range n {
		switch i % 3 {
		case 0:
			u := fake.AddUser(fetchtest.User{Network: "facebook", Width: 64})
			out = append(out, revalidateAvatar{"facebook", u.ID, func(s *fetchtest.Server) { s.ChangePicture("facebook", u.ID) }})
		case 1:
			u := fake.AddUser(fetchtest.User{Network: "x", Width: 64})
			out = append(out, revalidateAvatar{"twitter", u.ID, func(s *fetchtest.Server) { s.ChangePicture("x", u.ID) }})
		case 2:
			u := fake.AddUser(fetchtest.User{Network: "x", Width: 64, Banner: true})
			out = append(out, revalidateAvatar{"twitter_banner", u.ID, func(s *fetchtest.Server) { s.ChangeBanner(u.ID) }})
		}
	}
	return out
}

// originCalls counts the fake's lookups and downloads of every network.
func originCalls(fake *fetchtest.Server) (lookups, downloads int) {
	lookups, downloads = origin(fake)
	return lookups + fake.Count(fetchtest.XBanner), downloads + fake.Count(fetchtest.XBannerImage)
}

// weekly moves the clock a week ahead and asks for every avatar, weeks times, through get (which
// picks the node), and returns the lookups and downloads each week cost.
func weekly(t *testing.T, fake *fetchtest.Server, clock *fetchtest.Clock, avatars []revalidateAvatar, weeks int,
	get func(i int, path string) response) (lookups, downloads []int) {
	t.Helper()
	for w := range weeks {
		clock.Advance(cache.DefaultRefreshPeriod)
		l0, d0 := originCalls(fake)
		for i, a := range avatars {
			res := get(i+w, "/avatars/"+a.typ+"/w_32/"+a.id+".jpg")
			require.Equal(t, http.StatusOK, res.StatusCode, "week %d %s %s: %s", w+1, a.typ, a.id, short(res.body))
		}
		l1, d1 := originCalls(fake)
		lookups, downloads = append(lookups, l1-l0), append(downloads, d1-d0)
	}
	return lookups, downloads
}

// TestWeeklyRefreshOfUnchangedPictures measures what a weekly refresh costs: N avatars over
// several weeks make N lookups a week, and N downloads the first week only, as long as their
// pictures do not change; the pictures that change are downloaded the week after. Without a
// validator (Graph without cache_key) every refresh is a download.
func TestWeeklyRefreshOfUnchangedPictures(t *testing.T) {
	const n, weeks = 15, 5
	e := newFreshEnv(t, nil)
	avatars := revalidateAvatars(e.fake, n)
	get := func(_ int, path string) response { return do(t, e.srv, "GET", path) }
	etags := map[string]string{}
	for _, a := range avatars {
		etags[a.id+a.typ] = e.ok(t, "/avatars/"+a.typ+"/w_32/"+a.id+".jpg").Header.Get("ETag")
	}
	lookups, downloads := weekly(t, e.fake, e.clock, avatars, weeks-1, get)
	t.Logf("%d avatars, weeks 2 to %d: lookups %v, downloads %v", n, weeks, lookups, downloads)
	for w := range weeks - 1 {
		assert.Equal(t, n, lookups[w], "week %d: a lookup per avatar", w+2)
		assert.Zero(t, downloads[w], "week %d: no download", w+2)
	}
	assert.EqualValues(t, n*(weeks-1), e.h.Stats().Unchanged)
	for _, a := range avatars {
		res := e.ok(t, "/avatars/"+a.typ+"/w_32/"+a.id+".jpg")
		assert.Equal(t, etags[a.id+a.typ], res.Header.Get("ETag"), "the same picture")
		assert.InDelta(t, int(cache.DefaultRefreshPeriod/time.Second), freshMaxAge(t, res), float64(cache.DefaultRefreshPeriod/time.Second),
			"fresh for the period")
	}

	// Some pictures change: downloaded the next week, and only they.
	changed := map[int]bool{0: true, 1: true, 2: true, 10: true}
	for i := range changed {
		avatars[i].change(e.fake)
	}
	lookups, downloads = weekly(t, e.fake, e.clock, avatars, 2, get)
	assert.Equal(t, []int{n, n}, lookups)
	assert.Equal(t, []int{len(changed), 0}, downloads, "the changed pictures once, then nothing")
	for i, a := range avatars {
		res := e.ok(t, "/avatars/"+a.typ+"/w_32/"+a.id+".jpg")
		assert.Equal(t, !changed[i], etags[a.id+a.typ] == res.Header.Get("ETag"), "%s %s changed: %v", a.typ, a.id, changed[i])
	}

	// Graph without cache_key: nothing to compare, every refresh downloads.
	e.fake.OmitCacheKeys(true)
	_, downloads = weekly(t, e.fake, e.clock, avatars, 2, get)
	assert.Equal(t, []int{n / 3, n / 3}, downloads, "every facebook avatar, every week")
}

// TestWeeklyRefreshInACluster: the same across three nodes, each avatar asked of a different node
// each week: the node that loads the new week's key reads the last week's picture from the node
// that holds it.
func TestWeeklyRefreshInACluster(t *testing.T) {
	const n, weeks = 12, 4
	fc := newFreshCluster(t, 3, nil)
	avatars := revalidateAvatars(fc.fake, n)
	get := func(i int, path string) response { return do(t, fc.nodes[i%3].srv, "GET", path) }
	lookups, downloads := weekly(t, fc.fake, fc.clock, avatars, weeks, get)
	t.Logf("%d avatars on 3 nodes, %d weeks: lookups %v, downloads %v", n, weeks, lookups, downloads)
	assert.Equal(t, []int{n, n, n, n}, lookups)
	assert.Equal(t, []int{n, 0, 0, 0}, downloads)
	var unchanged int64
	for _, nd := range fc.nodes {
		unchanged += nd.h.Stats().Unchanged
	}
	assert.EqualValues(t, n*(weeks-1), unchanged)
}

// TestWeeklyRefreshFromTheStore: a node started in a new week, with nothing in memory, takes the
// validator and the bytes from the store: a lookup, no download.
func TestWeeklyRefreshFromTheStore(t *testing.T) {
	const n = 9
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	clock := newClock()
	fake.SetNow(clock.Now)
	store := blobstore.New(memblob.OpenBucket(nil))
	name := fmt.Sprintf("avatarmwrevalidatestore%d", testHandlerSeq.Add(1))
	start := func() (*Handler, *httptest.Server) {
		h, err := New(freshConfig(fake, clock, func(c *Config) { c.Name, c.Store = name, store }))
		require.NoError(t, err)
		return h, httptest.NewServer(h)
	}
	avatars := revalidateAvatars(fake, n)
	for week := range 3 {
		h, srv := start()
		get := func(_ int, path string) response { return do(t, srv, "GET", path) }
		lookups, downloads := weekly(t, fake, clock, avatars, 1, get)
		if week == 0 {
			assert.Equal(t, []int{n}, downloads)
		} else {
			assert.Equal(t, []int{0}, downloads, "week %d: the pictures come from the store", week+1)
			assert.EqualValues(t, n, h.Stats().Unchanged)
		}
		assert.Equal(t, []int{n}, lookups)
		srv.Close()
		require.NoError(t, h.Close()) // writes what it queued
	}
}

// TestGraphErrorsAtTheFrontDoor: Graph's "user not visible" (210) is a fact about the user, a 404
// remembered like "no such user" (and d_ stands in); a permission our app lacks (200) and a
// checkpointed token (190/459) are our configuration's problem, a 503 asked again after the
// back-off.
func TestGraphErrorsAtTheFrontDoor(t *testing.T) {
	e := newFreshEnv(t, nil)
	var users []fetchtest.User
	for range 3 {
		users = append(users, e.fake.AddUser(fetchtest.User{Network: "facebook", Width: 64}))
	}
	for i, c := range []struct {
		code, subcode, status int
		reason                string
		remembered            bool
	}{
		{210, 0, http.StatusNotFound, "is not visible to this app (Graph error 210)", true},
		{200, 0, http.StatusServiceUnavailable, "denied our app a permission it needs (error 200)", false},
		{190, 459, http.StatusServiceUnavailable, "checkpointed", false},
	} {
		u := users[i]
		path := "/avatars/facebook/w_40/" + u.ID + ".jpg"
		e.fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{GraphCode: c.code, GraphSubcode: c.subcode})
		before := e.fake.Count(fetchtest.FacebookLookup)
		res := do(t, e.srv, "GET", path)
		assert.Equal(t, c.status, res.StatusCode, "%d/%d", c.code, c.subcode)
		assert.Contains(t, res.Header.Get("X-Avatar-Error"), c.reason)
		e.clock.Advance(2 * time.Second) // past the first back-off, within NegativeTTL
		res = do(t, e.srv, "GET", path)
		assert.Equal(t, c.status, res.StatusCode)
		asked := e.fake.Count(fetchtest.FacebookLookup) - before
		if c.remembered {
			assert.Equal(t, 1, asked, "%d: a fact about the user, remembered", c.code)
			res = do(t, e.srv, "GET", "/avatars/facebook/d_identicon,w_40/"+u.ID+".jpg")
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "identicon", res.Header.Get("X-Avatar-Default"))
		} else {
			assert.Greater(t, asked, 1, "%d: our problem, asked again once fixed", c.code)
		}
	}
	// Fixed: the next request after the back-off serves the picture; the user who hid is asked
	// again after NegativeTTL.
	e.fake.ClearFaults()
	e.clock.Advance(cache.DefaultNegativeTTL + time.Second)
	for _, u := range users[:3] {
		e.ok(t, "/avatars/facebook/w_40/"+u.ID+".jpg")
	}
}
