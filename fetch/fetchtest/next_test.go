package fetchtest

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaultNext checks that FaultNext faults exactly the next n requests of its kind, then lets
// SetFault's fault (or normal behaviour) apply again.
func TestFaultNext(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	ada := user(t, Gravatar, "Ada Lovelace")
	gURL := s.GravatarURL() + "/avatar/" + ada.ID + "?s=64&d=404"
	kit := user(t, X, "AvatarKit")
	lookup := func() int {
		return xGet(t, c, s.XURL()+"/2/users/"+kit.ID+"?user.fields=profile_image_url", XToken).status
	}

	s.FaultNext(GravatarImage, 2, Fault{Status: http.StatusServiceUnavailable})
	assert.Equal(t, http.StatusOK, lookup(), "other kinds are not affected")
	assert.Equal(t, http.StatusServiceUnavailable, get(t, c, gURL).status)
	assert.Equal(t, http.StatusServiceUnavailable, get(t, c, gURL).status)
	assert.Equal(t, http.StatusOK, get(t, c, gURL).status, "the third is served")
	assert.Equal(t, http.StatusOK, get(t, c, gURL).status)

	// Before the persistent fault, and back to it.
	s.SetFault(XLookup, Fault{Status: http.StatusBadGateway})
	s.FaultNext(XLookup, 1, Fault{RateLimit: true})
	assert.Equal(t, http.StatusTooManyRequests, lookup())
	assert.Equal(t, http.StatusBadGateway, lookup())

	// The zero Fault lets requests through a persistent fault.
	s.FaultNext(XLookup, 1, Fault{})
	assert.Equal(t, http.StatusOK, lookup())
	assert.Equal(t, http.StatusBadGateway, lookup())

	// A later call replaces the count; n <= 0 and ClearFaults clear it.
	s.FaultNext(GravatarImage, 5, Fault{Status: http.StatusInternalServerError})
	s.FaultNext(GravatarImage, 1, Fault{Status: http.StatusNotFound})
	assert.Equal(t, http.StatusNotFound, get(t, c, gURL).status)
	assert.Equal(t, http.StatusOK, get(t, c, gURL).status)
	s.FaultNext(GravatarImage, 3, Fault{Status: http.StatusInternalServerError})
	s.FaultNext(GravatarImage, 0, Fault{Status: http.StatusInternalServerError})
	assert.Equal(t, http.StatusOK, get(t, c, gURL).status)
	s.FaultNext(GravatarImage, 3, Fault{Status: http.StatusInternalServerError})
	s.ClearFaults()
	assert.Equal(t, http.StatusOK, get(t, c, gURL).status)
	assert.Equal(t, http.StatusOK, lookup())

	// Concurrent requests take exactly n.
	s.FaultNext(GravatarImage, 7, Fault{Status: http.StatusServiceUnavailable})
	var failed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res, err := c.Get(gURL)
			if !assert.NoError(t, err) {
				return
			}
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 7, failed.Load())
}

// TestOnNext stages the race the hook is for: the user changes their picture between the X lookup
// and the download, which then answers 404; the next lookup names the new picture.
func TestOnNext(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	kit := user(t, X, "AvatarKit")
	var ran atomic.Int32
	s.OnNext(XLookup, func() {
		ran.Add(1)
		s.ChangePicture(X, kit.ID)
	})
	s.OnNext(XLookup, func() { ran.Add(10) })

	old := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	assert.EqualValues(t, 1, ran.Load(), "one hook per request")
	assert.Equal(t, 1, s.Generation(X, kit.ID))
	first, ok := s.XPictureURL(kit.ID, "_normal")
	require.True(t, ok)
	assert.NotEqual(t, first, old, "the answer was prepared before the hook ran")
	assert.Equal(t, http.StatusNotFound, get(t, c, old).status, "and its picture is gone")

	current := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	assert.EqualValues(t, 11, ran.Load())
	assert.Equal(t, first, current)
	assert.Equal(t, http.StatusOK, get(t, c, current).status)
	xUser(t, s, "/2/users/"+kit.ID)
	assert.EqualValues(t, 11, ran.Load(), "the queue is empty")

	// The held answer keeps its headers and body; a hook on an image works with faults that
	// take over the connection.
	s.OnNext(XImage, func() { ran.Add(100) })
	r := get(t, c, current)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
	assert.Equal(t, "image/jpeg", http.DetectContentType(r.body))
	assert.EqualValues(t, 111, ran.Load())

	s.SetFault(XImage, Fault{Truncate: true})
	s.OnNext(XImage, func() { ran.Add(1000) })
	res, err := c.Get(current)
	require.NoError(t, err)
	_, err = io.ReadAll(res.Body)
	res.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut short")
	assert.EqualValues(t, 1111, ran.Load())
	s.ClearFaults()

	// A request that gets no answer does not take the hook.
	s.SetFault(XLookup, Fault{Latency: time.Hour})
	s.OnNext(XLookup, func() { ran.Add(10000) })
	cc := s.Client()
	cc.Timeout = 50 * time.Millisecond
	_, err = cc.Get(s.XURL() + "/2/users/" + kit.ID)
	require.Error(t, err)
	assert.Eventually(t, func() bool { return s.inflight.Load() == 0 }, 5*time.Second, 10*time.Millisecond)
	s.ClearFaults()
	assert.EqualValues(t, 1111, ran.Load())
	xUser(t, s, "/2/users/"+kit.ID)
	assert.EqualValues(t, 11111, ran.Load())
}

// TestSetNow checks that X's x-rate-limit-reset follows the clock given to SetNow, with and
// without the RateLimit fault.
func TestSetNow(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	kit := user(t, X, "AvatarKit")
	reset := func() int64 {
		r := xGet(t, c, s.XURL()+"/2/users/"+kit.ID+"?user.fields=profile_image_url", XToken)
		v, err := strconv.ParseInt(r.header.Get("x-rate-limit-reset"), 10, 64)
		require.NoError(t, err)
		return v
	}
	now := time.Now()
	var mu sync.Mutex
	clock := now
	s.SetNow(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	first := reset()
	assert.LessOrEqual(t, first-now.Unix(), int64(xWindow/time.Second)+1)

	mu.Lock()
	clock = now.Add(2 * time.Hour)
	mu.Unlock()
	later := reset()
	assert.Greater(t, later, now.Add(2*time.Hour).Unix(), "a reset after the clock's now")
	assert.LessOrEqual(t, later-now.Add(2*time.Hour).Unix(), int64(xWindow/time.Second)+1)

	s.SetFault(XLookup, Fault{RateLimit: true, RetryAfter: 5 * time.Minute})
	assert.InDelta(t, now.Add(2*time.Hour+5*time.Minute).Unix(), reset(), 1)

	mu.Lock()
	clock = now.Add(-time.Hour) // before the server started
	mu.Unlock()
	s.ClearFaults()
	early := reset()
	assert.Greater(t, early, now.Add(-time.Hour).Unix())
	assert.LessOrEqual(t, early-now.Add(-time.Hour).Unix(), int64(xWindow/time.Second)+1)

	s.SetNow(nil)
	assert.InDelta(t, time.Now().Unix(), reset(), float64(xWindow/time.Second)+1)
}
