package avatarmw

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
)

// noiseProvider serves one picture of random pixels for every identifier: its PNG variants are
// as large as a PNG gets.
type noiseProvider struct {
	pic     []byte
	fetches atomic.Int64
}

func newNoiseProvider(t testing.TB, side int) *noiseProvider {
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return &noiseProvider{pic: buf.Bytes()}
}

func (p *noiseProvider) CheckID(id string) (string, error) { return id, nil }

func (p *noiseProvider) Fetch(context.Context, string) (*fetch.Picture, error) {
	p.fetches.Add(1)
	return &fetch.Picture{Bytes: p.pic, ContentType: "image/jpeg"}, nil
}

// smallBuffers wraps a listener so that every connection has a small send buffer: a client that
// does not read then stops the handler's writes after a few KB, as a slow reader on a real
// network would, instead of the kernel taking megabytes on loopback.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// TestSlowReadersAreBoundedByTheWorkBudget opens connections that ask for large variants and
// never read the answer. Each holds its body's size in the work budget while the handler is
// stuck writing it, so the bodies slow readers pin never exceed the budget: once it is full, the
// next large responses are refused with 503 and Retry-After, within about a second. Meanwhile a
// small avatar is served to a normal client at once. When the slow readers go away, the room is
// given back.
func TestSlowReadersAreBoundedByTheWorkBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("computes sixteen large variants")
	}
	p := newNoiseProvider(t, 700)
	const workBytes = 16 << 20
	h, err := New(Config{
		Providers:  map[string]fetch.Provider{"noise": p},
		CacheBytes: 64 << 20,
		WorkBytes:  workBytes,
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: smallBuffers{ln}, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)

	// Warm the large variants (about 1.4 MB each) and a small one while nothing is held.
	paths := make([]string, 16)
	for i := range paths {
		paths[i] = fmt.Sprintf("/avatars/noise/w_%d/a.png", 684+i)
		for range 2 { // twice: a variant is cached at its second request
			res, err := srv.Client().Get(srv.URL + paths[i])
			require.NoError(t, err)
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Greater(t, n, int64(1<<20))
		}
	}
	small := srv.URL + "/avatars/noise/w_40/a.jpg"
	res, err := srv.Client().Get(small)
	require.NoError(t, err)
	res.Body.Close()

	// Slow readers: each asks for a large variant and reads nothing.
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	status := func(c net.Conn) (int, string) {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		var code int
		fmt.Sscanf(line, "HTTP/1.1 %d", &code)
		return code, line
	}
	var held, refused int
	heldBefore := h.Stats().Work.HeldResponses
	for i, path := range paths {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		conns = append(conns, c)
		require.NoError(t, c.(*net.TCPConn).SetReadBuffer(4<<10))
		before := h.Stats().Work.UsedBytes
		start := time.Now()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		// Either the body is being sent, held in the budget (the handler waits on the client), or
		// the response is a 503.
		if assert.Eventually(t, func() bool { return h.Stats().Work.UsedBytes > before || h.Stats().Work.Shed > int64(refused) },
			5*time.Second, time.Millisecond, "slow reader %d", i) && h.Stats().Work.UsedBytes > before {
			held++
			continue
		}
		code, line := status(c)
		assert.Equal(t, http.StatusServiceUnavailable, code, line)
		assert.Less(t, time.Since(start), 3*time.Second, "refused within about a second, not after a long wait")
		refused++
	}
	t.Logf("%d slow readers held their bodies, %d were refused", held, refused)
	assert.GreaterOrEqual(t, held, 9, "16 MiB holds at least nine bodies of 1.4 MB")
	assert.Positive(t, refused, "once the budget is full, large responses are refused")
	s := h.Stats().Work
	assert.LessOrEqual(t, s.UsedBytes, int64(workBytes), "what slow readers hold never exceeds the budget")
	assert.EqualValues(t, held, s.HeldResponses-heldBefore)

	// A small avatar is served to a normal client meanwhile, at once.
	start := time.Now()
	res, err = srv.Client().Get(small)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Less(t, time.Since(start), time.Second)

	// The slow readers go away: their room comes back.
	for _, c := range conns {
		c.Close()
	}
	require.Eventually(t, func() bool { return h.Stats().Work.UsedBytes == 0 }, 10*time.Second, 5*time.Millisecond,
		"the room slow readers held is given back when they go (still %d bytes)", h.Stats().Work.UsedBytes)
}
