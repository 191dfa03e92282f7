package cache

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang/groupcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// peerGet does a peer request to base for group and key, signed with secret at ts ("" secret: no
// Authorization header).
func peerGet(t testing.TB, base, method, group, key, secret string, ts time.Time, tweak func(*http.Request)) *http.Response {
	path := DefaultBasePath + group + "/" + key
	req, err := http.NewRequest(method, base+DefaultBasePath+url.PathEscape(group)+"/"+url.PathEscape(key), nil)
	require.NoError(t, err)
	if secret != "" {
		req.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(ts.Unix(), 10)+":"+signedRequest{method: method, path: path, ts: ts.Unix()}.sign([]byte(secret)))
	}
	if tweak != nil {
		tweak(req)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestPeerEndpointAuthenticates(t *testing.T) {
	tc := newTestCluster(t, 2, Config{})
	nd := tc.nodes[0]
	tc.set("alice", testJPEG(t, 32, 32, red, blue), nil)
	okey, _ := keys(nd.c, Request{Type: "fake", ID: "alice"})
	other, _ := keys(nd.c, Request{Type: "fake", ID: "bob"})
	group := tc.name + "-originals"
	now := time.Now()

	for _, tt := range []struct {
		name   string
		method string
		secret string
		ts     time.Time
		tweak  func(*http.Request)
		want   int
	}{
		{"no credentials", "GET", "", now, nil, 401},
		{"other scheme", "GET", "", now, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testSecret) }, 401},
		{"malformed", "GET", "", now, func(r *http.Request) { r.Header.Set("Authorization", authScheme+" yesterday:abc") }, 403},
		{"no signature", "GET", "", now, func(r *http.Request) {
			r.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(now.Unix(), 10)+":")
		}, 403},
		{"expired", "GET", testSecret, now.Add(-35 * time.Second), nil, 403}, // beyond the 30 s window, with room for a slow run
		{"from the future", "GET", testSecret, now.Add(35 * time.Second), nil, 403},
		{"wrong secret", "GET", "another-secret-0123456789", now, nil, 403},
		{"signature of another key", "GET", testSecret, now, func(r *http.Request) {
			r.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(now.Unix(), 10)+":"+signedRequest{method: "GET", path: DefaultBasePath + group + "/" + other, ts: now.Unix()}.sign([]byte(testSecret)))
		}, 403},
		{"signature of another group", "GET", testSecret, now, func(r *http.Request) {
			r.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(now.Unix(), 10)+":"+signedRequest{method: "GET", path: DefaultBasePath + tc.name + "-variants/" + okey, ts: now.Unix()}.sign([]byte(testSecret)))
		}, 403},
		{"timestamp changed", "GET", testSecret, now, func(r *http.Request) {
			_, sig, _ := strings.Cut(r.Header.Get("Authorization"), ":")
			r.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(now.Unix()+1, 10)+":"+sig)
		}, 403},
		{"POST", "POST", testSecret, now, nil, 405},
		{"HEAD", "HEAD", testSecret, now, nil, 405},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := peerGet(t, nd.url, tt.method, group, okey, tt.secret, tt.ts, tt.tweak)
			assert.Equal(t, tt.want, res.StatusCode)
			if tt.method != "HEAD" {
				assert.NotEmpty(t, res.Header.Get(errorHeader))
			}
			if tt.want == 401 {
				assert.Equal(t, authScheme, res.Header.Get("WWW-Authenticate"))
			}
			body, _ := io.ReadAll(res.Body)
			assert.NotContains(t, string(body), testSecret)
		})
	}
	assert.Zero(t, tc.fetches(), "a refused request loads nothing")
	assert.Zero(t, nd.c.Stats().Originals.Gets)
	assert.EqualValues(t, 10, nd.c.Stats().PeerAuthRefusals)

	// Within the window, and signed: served.
	res := peerGet(t, nd.url, "GET", group, okey, testSecret, now.Add(-20*time.Second), nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, peerContentType, res.Header.Get("Content-Type"))
	value, err := readFrames(res.Body, nd.url)
	require.NoError(t, err)
	var v groupcache.ByteView
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(value))
	e, err := decodeEntry(v)
	require.NoError(t, err)
	assert.EqualValues(t, classPicture, e.class)
	assert.Equal(t, testJPEG(t, 32, 32, red, blue), e.body.ByteSlice())
	assert.EqualValues(t, 1, tc.fetches())
	assert.EqualValues(t, 1, nd.c.Stats().ServedForPeers)
}

func TestPeerEndpointValidatesKeys(t *testing.T) {
	tc := newTestCluster(t, 2, Config{})
	nd := tc.nodes[0]
	tc.set("alice", testJPEG(t, 32, 32, red, blue), nil)
	okey, _ := keys(nd.c, Request{Type: "fake", ID: "alice"})
	now := time.Now()
	orig, vars := tc.name+"-originals", tc.name+"-variants"

	h := "h" + strings.Repeat("ab", 16)
	anl, idx := tc.name+"-analyses", tc.name+"-index"
	for _, tt := range []struct{ group, key string }{
		{orig, "fake|alice|e1"},                          // a period long gone: no public URL asks for it
		{orig, strings.Replace(okey, "|e", "|e9", 1)},    // a future period
		{orig, strings.Replace(okey, "fake", "nope", 1)}, // unknown type
		{orig, strings.Replace(okey, "alice", "Alice", 1)},
		{orig, strings.Replace(okey, "alice", "", 1)}, // bad id
		{orig, "fake|alice"},                          // garbage
		{orig, "../../etc/passwd"},                    // garbage
		{orig, ""},                                    // garbage
		{orig, okey + "|w_10|jpg"},                    // a variant key in the originals group
		{idx, "fake|alice|e1"},                        // the index is validated as the originals are
		{idx, h},                                      // a source in the index group
		{anl, okey},                                   // an avatar key in the analyses group
		{anl, "h1234"},                                // a short hash
		{vars, okey},                                  // an avatar key in the variants group
		{vars, h + "|w_10,c_fill|jpg|"},               // transformation not canonical
		{vars, h + "|w_abc|jpg|"},                     // bad parameter
		{vars, h + "|w_100000|jpg|"},                  // beyond the limits
		{vars, h + "|w_10|bmp|"},                      // unknown format
		{vars, h + "|w_10//w_5|jpg|"},                 // empty component
		{vars, "x" + h + "||"},                        // unknown source
	} {
		res := peerGet(t, nd.url, "GET", tt.group, tt.key, testSecret, now, nil)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "%s %q", tt.group, tt.key)
		assert.Contains(t, res.Header.Get(errorHeader), "invalid key", "%s %q", tt.group, tt.key)
	}
	// A hint is a key too.
	for _, hint := range []string{"fake|alice|e1", "fake|Alice|v1", "garbage"} {
		res := peerGet(t, nd.url, "GET", vars, h+"|w_10|jpg|", testSecret, now, func(r *http.Request) { r.Header.Set(hintHeader, hint) })
		assert.Equal(t, http.StatusForbidden, res.StatusCode, "the hint is signed")
		req, _ := http.NewRequest("GET", nd.url+DefaultBasePath+vars+"/"+url.PathEscape(h+"|w_10|jpg|"), nil)
		req.Header.Set(hintHeader, hint)
		tc.nodes[1].c.authorize(req, DefaultBasePath+vars+"/"+h+"|w_10|jpg|", nil)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "hint %q", hint)
		assert.Contains(t, res.Header.Get(errorHeader), "invalid hint", "hint %q", hint)
	}
	for _, g := range []string{"other-originals", tc.name + "-node0-originals", nd.c.groups[0].local, tc.name} {
		res := peerGet(t, nd.url, "GET", g, okey, testSecret, now, nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "group %q", g)
	}
	assert.Zero(t, tc.fetches(), "nothing was loaded")
	s := nd.c.Stats()
	assert.Zero(t, s.Originals.Gets)
	assert.Zero(t, s.Variants.Gets)
	assert.Zero(t, s.ServedForPeers)
	assert.EqualValues(t, 20+3+4, s.PeerBadRequests)

	// A path outside the base path is not ours, even signed.
	req, _ := http.NewRequest("GET", nd.url+"/other/"+orig+"/"+url.PathEscape(okey), nil)
	rec := &responseRecorder{header: http.Header{}}
	nd.c.PeerHandler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotFound, rec.code)

	// A versioned key is valid at any version, as a versioned URL is.
	_, vkey := keys(nd.c, Request{Type: "fake", ID: "alice", Transformation: mustChain(t, "c_fill,h_10,w_10"), Format: imageops.PNG})
	res := peerGet(t, nd.url, "GET", vars, vkey, testSecret, now, func(r *http.Request) {
		r.Header.Set(hintHeader, "fake|alice|v42")
		sr := signedRequest{method: "GET", path: DefaultBasePath + vars + "/" + vkey, ts: now.Unix(), hint: "fake|alice|v42"}
		r.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(now.Unix(), 10)+":"+sr.sign([]byte(testSecret)))
	})
	require.Equal(t, http.StatusOK, res.StatusCode)
	_, err := readFrames(res.Body, nd.url)
	require.NoError(t, err)
}

type responseRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) WriteHeader(code int)        { r.code = code }
func (r *responseRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func TestPeerEndpointOfACacheWithoutPeers(t *testing.T) {
	c, p := newTestCache(t, Config{})
	req, _ := http.NewRequest("GET", "http://x"+DefaultBasePath+"a/b", nil)
	req.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(time.Now().Unix(), 10)+":"+signedRequest{method: "GET", path: DefaultBasePath + "a/b", ts: time.Now().Unix()}.sign([]byte(testSecret)))
	rec := &responseRecorder{header: http.Header{}}
	c.PeerHandler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.code)
	assert.Zero(t, p.calls.Load())
}

func frame(t byte, payload []byte) []byte {
	b := []byte{t, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload)))
	return append(b, payload...)
}

func TestFrames(t *testing.T) {
	value := []byte("the value")
	body := append([]byte{frameHeartbeat, frameHeartbeat}, frame(frameValue, value)...)
	got, err := readFrames(bytes.NewReader(body), "p")
	require.NoError(t, err)
	assert.Equal(t, value, got)

	got, err = readFrames(bytes.NewReader(frame(frameValue, nil)), "p")
	require.NoError(t, err)
	assert.Empty(t, got)

	for name, body := range map[string][]byte{
		"empty":            {},
		"heartbeats only":  {0, 0, 0},
		"short length":     {frameValue, 0, 0},
		"short value":      frame(frameValue, value)[:8],
		"unknown frame":    frame('X', value),
		"huge value":       {frameValue, 0xff, 0xff, 0xff, 0xff},
		"huge error":       {frameError, 0, 0x10, 0, 0},
		"garbage error":    frame(frameError, []byte("{")),
		"a stray protobuf": {0x0a, 0x03, 'a', 'b', 'c'},
	} {
		_, err := readFrames(bytes.NewReader(body), "p")
		assert.Error(t, err, name)
	}

	for _, in := range []error{
		&fetch.Error{Kind: fetch.KindTimeout, Provider: "x", Msg: "lookup not received within 5s"},
		&fetch.Error{Kind: fetch.KindRateLimited, Provider: "x", Msg: "too many", RetryAfter: time.Minute},
		&imageops.Error{Kind: imageops.KindSourceLimit, Param: "w_10", Msg: "too large"},
		fmt.Errorf("cache: waiting for a transform slot: %w", context.DeadlineExceeded),
	} {
		_, err := readFrames(bytes.NewReader(frame(frameError, encodePeerError(in))), "http://peer")
		var oe *ownerError
		require.ErrorAs(t, err, &oe)
		var fe, fin *fetch.Error
		var ie, iin *imageops.Error
		switch {
		case errors.As(in, &fin):
			require.ErrorAs(t, oe.err, &fe)
			assert.Equal(t, *fin, *fe)
		case errors.As(in, &iin):
			require.ErrorAs(t, oe.err, &ie)
			assert.Equal(t, *iin, *ie)
		default:
			assert.Equal(t, "cache: the owner http://peer failed: "+in.Error(), oe.err.Error())
		}
	}
}

func TestPeerResponseIsFramedAfterHeartbeats(t *testing.T) {
	// A slow load: the header and heartbeats come first, then the value.
	tc := newTestCluster(t, 2, Config{PeerTimeout: 80 * time.Millisecond})
	nd := tc.nodes[0]
	tc.set("slow", testJPEG(t, 32, 32, red, blue), nil)
	nd.p.mu.Lock()
	nd.p.delay = 200 * time.Millisecond
	nd.p.mu.Unlock()
	okey, _ := keys(nd.c, Request{Type: "fake", ID: "slow"})
	start := time.Now()
	res := peerGet(t, nd.url, "GET", tc.name+"-originals", okey, testSecret, time.Now(), nil)
	assert.Less(t, time.Since(start), 150*time.Millisecond, "the header comes before the value")
	require.Equal(t, http.StatusOK, res.StatusCode)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, byte(frameHeartbeat), body[0])
	value, err := readFrames(bytes.NewReader(body), "p")
	require.NoError(t, err)
	assert.Greater(t, len(value), entryHeaderSize)

	// A hit: one response with a Content-Length.
	res = peerGet(t, nd.url, "GET", tc.name+"-originals", okey, testSecret, time.Now(), nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.EqualValues(t, 5+len(value), res.ContentLength)
}
