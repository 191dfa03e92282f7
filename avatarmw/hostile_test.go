package avatarmw

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// stubProvider keeps a real provider's identifier rule (CheckID) but never touches a network:
// Fetch returns pic, or err, and counts the calls. Tests of the front door use it, so that what
// they send is judged by the handler alone and runs in microseconds.
type stubProvider struct {
	inner   fetch.Provider // its CheckID is used; nil: any [A-Za-z0-9_~-]{1,128}
	pic     []byte
	err     error
	fetches *atomic.Int64
}

func (p stubProvider) CheckID(id string) (string, error) {
	if p.inner != nil {
		return p.inner.CheckID(id)
	}
	return id, nil
}

func (p stubProvider) Fetch(ctx context.Context, id string) (*fetch.Picture, error) {
	p.fetches.Add(1)
	if p.err != nil {
		return nil, p.err
	}
	return &fetch.Picture{Bytes: p.pic, ContentType: fetch.SniffImage(p.pic)}, nil
}

// stubPNG is the picture stub providers serve: 64×48, four coloured quadrants.
var stubPNG = func() []byte {
	m := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 4), uint8(y * 5), uint8((x / 32) * 200), 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// customType is the app-registered type of the stub handlers: any identifier of the URL grammar.
const customType = "custom_2"

// stubProviders returns the built-in types with their real identifier rules (every network
// configured) and customType, all serving pic, and the counter of their Fetch calls.
func stubProviders(t testing.TB, pic []byte) (map[string]fetch.Provider, *atomic.Int64) {
	t.Helper()
	builtin, err := fetch.NewProviders(fetch.Config{XToken: "stub-x-token", FacebookToken: "stub-fb-token"})
	require.NoError(t, err)
	fetches := new(atomic.Int64)
	ps := map[string]fetch.Provider{customType: stubProvider{pic: pic, fetches: fetches}}
	for name, p := range builtin {
		if name == fetch.TypeGPlus || name == fetch.TypeInstagramName {
			continue // withdrawn networks: their own CheckID says 410, and they never fetch
		}
		ps[name] = stubProvider{inner: p, pic: pic, fetches: fetches}
	}
	return ps, fetches
}

// newStubHandler returns a handler on stub providers (see stubProviders) and the counter of the
// origin fetches it made.
func newStubHandler(t testing.TB, mod func(*Config)) (*Handler, *atomic.Int64) {
	t.Helper()
	ps, fetches := stubProviders(t, stubPNG)
	cfg := Config{Providers: ps, MaxQueueWait: testQueueWait}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	require.NoError(t, err)
	return h, fetches
}

// rawResponse is what a server answered to a request line written on the wire.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// rawGet writes "GET <target> HTTP/1.1" to addr exactly as given, bytes the Go client would
// refuse to send included, and reads the answer.
func rawGet(t testing.TB, addr, target string) rawResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: avatars.test\r\nConnection: close\r\n\r\n", target)
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "%q: no HTTP answer (did the handler panic?)", target)
	defer res.Body.Close()
	var body bytes.Buffer
	_, err = body.ReadFrom(res.Body)
	require.NoError(t, err)
	return rawResponse{res.StatusCode, res.Header, body.String()}
}

const okID = "65646572251"

// hostileTargets are request targets an attacker on the internet can send, each with the status
// it must get: 400 (414 for the overlong ones), never a 500, never a panic, never a network call.
// server marks the targets net/http itself refuses (400) before any handler runs.
var hostileTargets = []struct {
	target string
	status int
	server bool
}{
	// Traversal, raw and encoded, and encoded separators.
	{"/avatars/facebook/../" + okID + ".jpg", 400, false},
	{"/avatars/facebook/./" + okID + ".jpg", 400, false},
	{"/avatars/../avatars/facebook/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + ".jpg/..", 400, false},
	{"/avatars/facebook/%2e%2e/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/%2E%2E/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/.%2e/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/..%2f..%2f" + okID + ".jpg", 400, false},
	{"/avatars/facebook/%252e%252e/" + okID + ".jpg", 400, false},
	{"/avatars/%2e%2e/%2e%2e/etc/passwd", 400, false},
	{"/avatars/facebook/..\\" + okID + ".jpg", 400, false},
	{"/avatars/facebook/%5c..%5c" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + "%2ejpg", 400, false},
	{"/avatars/facebook%2f" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10%2Fh_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10%2fh_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w%5F10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/%36%35646572251.jpg", 400, false},
	// Empty segments and components.
	{"/avatars/", 400, false},
	{"/avatars//", 400, false},
	{"/avatars//facebook/" + okID + ".jpg", 400, false},
	{"/avatars/facebook//" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10//" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + ".jpg/", 400, false},
	{"/avatars/facebook/", 400, false},
	{"/avatars/facebook", 400, false},
	{"/avatars/facebook/,/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10,/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10,,h_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/_/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + ".", 400, false},
	{"/avatars/facebook/.jpg", 400, false},
	// Huge numbers.
	{"/avatars/facebook/w_99999999999999999999/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/h_18446744073709551617/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_100001/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_2049/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/dpr_4.0,w_513/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_crop,w_10,x_99999999999999999999/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/dpr_99999999999999999999.5,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/ar_99999999999999999999:1,c_fill,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/ar_0.00000000000000000001,c_fill,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/r_4294967296/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/e_blur:99999999999999999999/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/e_brightness:-9223372036854775809/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/q_1000000000/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/bo_99999999999999999999px_solid_red/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_thumb,g_face,w_10,z_99999999999999999999/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v99999999999999999999/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v18446744073709551616/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/12345678901234567890123456.jpg", 400, false},
	// NaN, Inf, exponents, signs, leading zeros, other number syntaxes.
	{"/avatars/facebook/w_NaN/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_nan/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/dpr_NaN,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_thumb,g_face,w_10,z_NaN/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/ar_NaN,c_fill,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_0.NaN/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_Inf/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_+Inf/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_-Inf/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_Infinity/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/dpr_Inf,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/ar_inf,c_fill,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_1e3/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_1E3/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/dpr_1e0,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_0.5e0/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/ar_1e1,c_fill,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_0x10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_1_000/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_+10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_-10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_010/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_.5/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_5./" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_1.5/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/e_brightness:-0/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v1e3/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v01/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v0/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v-1/" + okID + ".jpg", 400, false},
	// Duplicated parameters and segments.
	{"/avatars/facebook/w_10,w_20/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_fill,c_fit,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_fill,h_10,w_10,h_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/f_png,f_jpg/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/s--AAAAAAAA--/s--AAAAAAAA--/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/v1/v2/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + ".jpg.jpg", 400, false},
	{"/avatars/facebook/facebook/" + okID + ".jpg", 400, false},
	// Malformed signatures.
	{"/avatars/facebook/s--short--/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/s--AAAAAAA!--/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/s--AAAAAAAAA--/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/s------/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/s--" + strings.Repeat("A", 33) + "--/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/w_10/s--AAAAAAAA--/" + okID + ".jpg", 400, false},
	// Case.
	{"/avatars/FACEBOOK/" + okID + ".jpg", 400, false},
	{"/avatars/Facebook/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/W_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/c_FILL,w_10/" + okID + ".jpg", 400, false},
	{"/avatars/facebook/" + okID + ".JPG", 400, false},
	{"/avatars/facebook/" + okID + ".Jpg", 400, false},
	// Unicode look-alikes, raw (UTF-8 on the wire) and percent-encoded.
	{"/avatars/facebook/\uff16\uff15\uff16\uff14\uff16.jpg", 400, false},                 // fullwidth digits
	{"/avatars/facebook/%EF%BC%96%EF%BC%95.jpg", 400, false},                             // the same, encoded
	{"/avatars/facebook/w_\uff11\uff10/" + okID + ".jpg", 400, false},                    // w_１０
	{"/avatars/facebook/w_\u0661\u0660/" + okID + ".jpg", 400, false},                    // Arabic-Indic digits
	{"/avatars/facebook/w_\u00b9\u2070/" + okID + ".jpg", 400, false},                    // superscripts
	{"/avatars/f\u0430cebook/" + okID + ".jpg", 400, false},                              // Cyrillic а
	{"/avatars/f%D0%B0cebook/" + okID + ".jpg", 400, false},                              // the same, encoded
	{"/avatars/\uff46acebook/" + okID + ".jpg", 400, false},                              // fullwidth f
	{"/avatars/facebook/\u0441_fill,w_10/" + okID + ".jpg", 400, false},                  // Cyrillic с
	{"/avatars/facebook/c_f\u0456ll,w_10/" + okID + ".jpg", 400, false},                  // Cyrillic і
	{"/avatars/facebook/c_\ufb01ll,w_10/" + okID + ".jpg", 400, false},                   // ligature ﬁ
	{"/avatars/facebook/g_n\u043erth,c_fill,w_10,h_10/" + okID + ".jpg", 400, false},     // Cyrillic о
	{"/avatars/facebook/w_10\u200b/" + okID + ".jpg", 400, false},                        // zero-width space
	{"/avatars/facebook/" + okID + "\u202e.jpg", 400, false},                             // right-to-left override
	{"/avatars/facebook/" + okID + "\uff0ejpg", 400, false},                              // fullwidth full stop
	{"/avatars/facebook/w_10\uff0fh_10/" + okID + ".jpg", 400, false},                    // fullwidth solidus
	{"/avatars/facebook/w_1\u0301/" + okID + ".jpg", 400, false},                         // combining accent
	{"/avatars/gravatar/0bc83cb571cd1c50ba6f3\u0435" + "8a78ef1346.jpg", 400, false},     // Cyrillic е in a hash
	{"/avatars/twitter_name/\u0430vatarkit.jpg", 400, false},                             // Cyrillic а in a name
	{"/avatars/facebook/" + okID + ".jp\u0261", 400, false},                              // script g
	{"/avatars/facebook/\xff\xfe/" + okID + ".jpg", 400, false},                          // not UTF-8
	{"/avatars/facebook/\xc0\xaf" + okID + ".jpg", 400, false},                           // overlong '/'
	{"/avatars/facebook/%C0%AF" + okID + ".jpg", 400, false},                             // the same, encoded
	{"/avatars/facebook/\xe2\x80\xae" + okID + ".jpg", 400, false},                       // RLO, raw bytes
	{"/avatars/" + strings.Repeat("\u0430", 20) + "/" + okID + ".jpg", 400, false},       // a type of look-alikes
	{"/avatars/facebook/" + strings.Repeat("\uff11", 25) + ".jpg", 400, false},           // 25 fullwidth digits
	{"/avatars/facebook/c_fill,w_10\u3001h_10/" + okID + ".jpg", 400, false},             // ideographic comma
	{"/avatars/facebook/b_rgb\uff1aff0000,c_pad,w_10,h_10/" + okID + ".jpg", 400, false}, // fullwidth colon
	{"/avatars/facebook/e_brightness:\u221220/" + okID + ".jpg", 400, false},             // minus sign
	{"/avatars/facebook/e_brightness:\u2010" + "20/" + okID + ".jpg", 400, false},        // hyphen
	{"/avatars/facebook/s--AAAAAAA\u0410--/" + okID + ".jpg", 400, false},                // Cyrillic А in a signature
	{"/avatars/facebook/v\uff11/" + okID + ".jpg", 400, false},                           // v１
	{"/avatars/facebook/" + okID + ".\u0440ng", 400, false},                              // Cyrillic р in png
	{"/avatars/custom_2/ab\u0441/" + okID + ".jpg", 400, false},                          // look-alike in a component
	{"/avatars/custom_2/\u0430bc.jpg", 400, false},                                       // look-alike in an id of a permissive type
	{"/avatars/custom_2/%61bc.jpg", 400, false},                                          // an encoded plain letter
	{"/avatars/custom_2/a+b.jpg", 400, false},                                            // '+' (a space in forms)
	{"/avatars/custom_2/a;b=c.jpg", 400, false},                                          // path parameters
	{"/avatars/custom_2/a'b.jpg", 400, false},                                            // quotes
	{"/avatars/custom_2/a\"b.jpg", 400, false},                                           // quotes
	{"/avatars/custom_2/<script>.jpg", 400, false},                                       // markup
	{"/avatars/custom_2/a@b.jpg", 400, false},                                            // '@'
	{"/avatars/custom_2/a$b.jpg", 400, false},                                            // '$'
	{"/avatars/custom_2/a!b.jpg", 400, false},                                            // '!'
	{"/avatars/custom_2/a*b.jpg", 400, false},                                            // '*'
	{"/avatars/custom_2/a(b).jpg", 400, false},                                           // parentheses
	{"/avatars/custom_2/a=b.jpg", 400, false},                                            // '='
	{"/avatars/custom_2/a&b.jpg", 400, false},                                            // '&'
	{"/avatars/custom_2/a|b.jpg", 400, false},                                            // the cache's key separator
	{"/avatars/custom_2/a%7Cb.jpg", 400, false},                                          // the same, encoded
	{"/avatars/custom_2/a:b.jpg", 400, false},                                            // ':'
	{"/avatars/custom_2/" + strings.Repeat("a", 129) + ".jpg", 400, false},               // longer than 128
	{"/avatars/" + strings.Repeat("a", 65) + "/" + okID + ".jpg", 400, false},            // a type longer than 64
	{"/avatars/myspace/" + okID + ".jpg", 400, false},                                    // an unknown type
	{"/avatars/facebook/" + okID + ".bmp", 400, false},                                   // an unknown extension
	{"/avatars/facebook/" + okID + ".svg", 400, false},                                   //
	{"/avatars/facebook/f_svg/" + okID + ".jpg", 400, false},                             //
	{"/avatars/facebook/t_avatar/" + okID + ".jpg", 400, false},                          // an unknown named transformation
	{"/avatars/facebook/t_thumb,w_10/" + okID + ".jpg", 400, false},                      // t_ with other parameters
	{"/avatars/facebook/t_/" + okID + ".jpg", 400, false},                                // t_ without a name
	{"/avatars/facebook/t_a.b/" + okID + ".jpg", 400, false},                             // not a name
	{"/avatars/facebook/d_nosuch/" + okID + ".jpg", 400, false},                          // an unknown default image
	{"/avatars/facebook/d_identicon,d_identicon/" + okID + ".jpg", 400, false},           // d_ twice
	{"/avatars/facebook/l_text:Arial_20:hi/" + okID + ".jpg", 400, false},                // Cloudinary overlays
	{"/avatars/facebook/w_10,foo_1/" + okID + ".jpg", 400, false},                        // unknown parameter
	{"/avatars/facebook/g_face,c_scale,w_10/" + okID + ".jpg", 400, false},               // gravity without effect
	{"/avatars/facebook/c_crop,x_10,g_north,w_10/" + okID + ".jpg", 400, false},          // x_ with g_
	{"/avatars/facebook/ar_1:1,w_10,h_10/" + okID + ".jpg", 400, false},                  // ar_ with w_ and h_
	{"/avatars/facebook/c_fill/" + okID + ".jpg", 400, false},                            // c_fill without size
	{"/avatars/facebook/dpr_2.0,r_max/" + okID + ".jpg", 400, false},                     // dpr_ without size
	{"/avatars/facebook/r_1:2:3:4:5/" + okID + ".jpg", 400, false},                       // five radii
	{"/avatars/facebook/e_sepia:50:1/" + okID + ".jpg", 400, false},                      // two values
	{"/avatars/facebook/bo_0px_solid_red/" + okID + ".jpg", 400, false},                  // zero border
	{"/avatars/facebook/b_rgb:ff00/" + okID + ".jpg", 400, false},                        // bad colour
	{"/avatars/facebook/a_45.5x/" + okID + ".jpg", 400, false},                           // bad angle
	{"/avatars/facebook/q_0/" + okID + ".jpg", 400, false},                               // quality 0
	{"/avatars/facebook/x_10/" + okID + ".jpg", 400, false},                              // x_ without c_crop
	{"/avatars/facebook/c_fill,w_10,z_2/" + okID + ".jpg", 400, false},                   // z_ with c_fill
	{"/avatars/facebook/c_thumb,w_10,z_2/" + okID + ".jpg", 400, false},                  // z_ without g_face
	{"/avatars/facebook/c_crop,g_face,w_10,z_2/" + okID + ".jpg", 400, false},            // z_ with c_crop and w_
	{"/avatars/facebook/e_negate:5/" + okID + ".jpg", 400, false},                        // a value for negate
	{"/avatars/facebook/e_saturation:/" + okID + ".jpg", 400, false},                     // an empty value for saturation
	{"/avatars/facebook/e_blur:0/" + okID + ".jpg", 400, false},                          // blur 0
	{"/avatars/facebook/e_contrast:101/" + okID + ".jpg", 400, false},                    // contrast 101
	{"/avatars/gravatar/0bc83cb571cd1c50ba6f3e8a78ef134.jpg", 400, false},                // 31 hex
	{"/avatars/gravatar/0bc83cb571cd1c50ba6f3e8a78ef1346g.jpg", 400, false},              // 33 characters
	{"/avatars/twitter/12345678901234567890.jpg", 400, false},                            // 20 digits
	{"/avatars/twitter_name/this_name_is_too_long.jpg", 400, false},                      // 21 characters
	{"/avatars/twitter_name/a-b.jpg", 400, false},                                        // '-'
	{"/avatars/facebook/-1.jpg", 400, false},                                             // a sign
	{"/avatars/facebook/~1.jpg", 400, false},                                             // '~'
	{"/avatars/facebook/%7E1.jpg", 400, false},                                           // the same, encoded
	{"/avatars/facebook/1%00.jpg", 400, false},                                           // encoded NUL
	{"/avatars/facebook/%00/" + okID + ".jpg", 400, false},                               //
	{"/avatars/facebook/" + okID + "%0d%0aX-Injected:%201.jpg", 400, false},              // encoded CRLF
	{"/avatars/facebook/w_10%09/" + okID + ".jpg", 400, false},                           // encoded tab
	{"/avatars/facebook/w_10%7f/" + okID + ".jpg", 400, false},                           // encoded DEL
	{"/avatars/facebook/w_10%20/" + okID + ".jpg", 400, false},                           // encoded space
	{"/avatars/facebook/w_10%/" + okID + ".jpg", 400, true},                              // a lone '%'
	{"/avatars/facebook/w_10%zz/" + okID + ".jpg", 400, true},                            // a bad escape
	{"/avatars/facebook/w_abc/" + okID + ".jpg?w=10", 400, false},                        // a query is ignored, not the path
	{"/avatars/facebook/w_abc/" + okID + ".jpg?%00", 400, false},                         //
	{"/avatars/facebook/w_abc/" + okID + ".jpg?\xff", 400, false},                        //
	{"/avatars/facebook/" + okID + ".jpg#frag", 400, false},                              // '#' on the wire
	{"http://evil.example/avatars/facebook/" + okID + ".jpg#x", 400, false},              // absolute form
	{"/avatars/facebook/" + okID + ".jpg\x00", 400, true},                                // raw control characters
	{"/avatars/facebook/\x01/" + okID + ".jpg", 400, true},                               //
	{"/avatars/facebook/w_10\x7f/" + okID + ".jpg", 400, true},                           //
	{"/avatars/facebook/w_10\t/" + okID + ".jpg", 400, true},                             //
	{"/avatars/facebook/w_10\x1b[31m/" + okID + ".jpg", 400, true},                       // an ANSI escape
	{"/avatars/facebook/w_10 h_10/" + okID + ".jpg", 400, true},                          // a space: a malformed request line
	// Overlong: 414 from the handler (2 KiB limit), whatever is in them.
	{"/avatars/facebook/" + strings.Repeat("w_10/", 500) + okID + ".jpg", 414, false},
	{"/avatars/facebook/" + strings.Repeat("1", 2100) + ".jpg", 414, false},
	{"/avatars/facebook/" + strings.Repeat("%2e", 1000) + ".jpg", 414, false},
	{"/avatars/facebook/" + okID + ".jpg?" + strings.Repeat("a", 2100), 414, false},
	{"/avatars/facebook/" + strings.Repeat("\uff11", 700) + ".jpg", 414, false},
	{"/avatars/facebook/" + strings.Repeat("w", 100<<10) + "/" + okID + ".jpg", 414, false},
}

// TestHostileURLs sends every target of hostileTargets on the wire to a server whose only
// handler is ours, and checks the answer: 400 or 414 with a one-line reason in the body and in
// X-Avatar-Error (which holds no control character, so nothing can be injected into the
// response), nosniff, no-store — and not a single origin fetch.
func TestHostileURLs(t *testing.T) {
	h, fetches := newStubHandler(t, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	for _, tc := range hostileTargets {
		name := fmt.Sprintf("%.80q", tc.target)
		t.Run(name, func(t *testing.T) {
			res := rawGet(t, addr, tc.target)
			assert.Equal(t, tc.status, res.status, "%s: %s", name, res.body)
			reason := res.header.Get("X-Avatar-Error")
			if tc.server {
				assert.Empty(t, reason, "net/http refused it before the handler: %s", res.body)
				return
			}
			require.NotEmpty(t, reason, "an error of the handler")
			assert.Equal(t, reason+"\n", res.body)
			assert.Less(t, len(reason), 600, "the reason quotes a part, not the whole URL")
			assert.False(t, strings.ContainsFunc(reason, func(r rune) bool { return r < ' ' || r == 0x7f }), "control character in %q", reason)
			assert.Empty(t, res.header.Get("X-Injected"))
			assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
			assert.Equal(t, "text/plain; charset=utf-8", res.header.Get("Content-Type"))
		})
	}
	assert.Zero(t, fetches.Load(), "nothing hostile reached an origin")

	// The same server serves the well-formed URL next to them.
	res := rawGet(t, addr, "/avatars/facebook/c_fill,h_20,w_20/"+okID+".png")
	assert.Equal(t, http.StatusOK, res.status, res.body)
}

// TestHostileURLsServeHTTP calls ServeHTTP directly with requests no HTTP/1 server would pass
// on — control characters, CR LF, raw bytes in URL.Path with no RawPath — as another server, a
// proxy or an app's middleware might build them: the handler still answers 400, and nothing of
// the path reaches a header unescaped.
func TestHostileURLsServeHTTP(t *testing.T) {
	h, fetches := newStubHandler(t, nil)
	for _, p := range []string{
		"/avatars/facebook/" + okID + ".jpg\x00",
		"/avatars/facebook/" + okID + "\r\nX-Injected: 1\r\n.jpg",
		"/avatars/facebook/w_10\r\n\r\n<html>/" + okID + ".jpg",
		"/avatars/facebook/w_10\n/" + okID + ".jpg",
		"/avatars/facebook/\x7f/" + okID + ".jpg",
		"/avatars/face\x00book/" + okID + ".jpg",
		"/avatars/facebook/../" + okID + ".jpg",
		"/avatars/facebook/w_1\xff0/" + okID + ".jpg",
		"/avatars/facebook/ /" + okID + ".jpg",
		"/avatars/facebook/%2e%2e/" + okID + ".jpg", // a literal '%' in the decoded path
	} {
		for _, raw := range []string{"", p} {
			req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p, RawPath: raw}, RequestURI: p, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusBadRequest, rec.Code, "%q", p)
			for k, vs := range rec.Header() {
				for _, v := range vs {
					assert.False(t, strings.ContainsAny(v, "\r\n\x00\x7f"), "%q: header %s = %q", p, k, v)
				}
			}
			assert.Empty(t, rec.Header().Get("X-Injected"))
		}
	}
	assert.Zero(t, fetches.Load())
}

// FuzzServeHTTP: whatever request line arrives, the handler (on stub origins that always have a
// picture) answers with a status docs/url.md lists that is not a 5xx, never panics, gives every error
// its one-line reason, and puts no control character in a header.
func FuzzServeHTTP(f *testing.F) {
	for _, tc := range hostileTargets {
		if len(tc.target) < 4096 {
			f.Add(tc.target)
		}
	}
	for _, s := range []string{
		"/avatars/facebook/" + okID + ".jpg",
		"/avatars/facebook/c_fill,g_face,h_90,w_90/r_max/" + okID + ".png",
		"/avatars/twitter_name/s--AAAAAAAA--/w_10/v3/AvatarKit.webp",
		"/avatars/gravatar/b_rgb:ff00ff80,c_pad,h_10,w_20/0bc83cb571cd1c50ba6f3e8a78ef1346",
		"/avatars/custom_2/c_crop,x_10,y_10,w_30,h_20/a~b-c_d.gif",
		"/avatars/gplus/1.jpg",
		"/avatars/twitter/c_thumb,g_auto,w_20,h_20,z_1.5/e_sepia,bo_1px_solid_red,a_90/12",
		"/avatars/facebook/w_2048/" + okID + ".jpg",
		"/other/path",
	} {
		f.Add(s)
	}
	h, _ := newStubHandler(f, func(c *Config) { c.CacheBytes = 8 << 20 })
	f.Fuzz(func(t *testing.T, target string) {
		if len(target) > 8<<10 {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: avatars.test\r\n\r\n")))
		if err != nil {
			return // net/http answers 400 itself; the handler never sees it
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401, 403, 404, 410, 414, 422:
		default:
			t.Fatalf("%q: status %d: %s", target, rec.Code, rec.Body)
		}
		for k, vs := range rec.Header() {
			for _, v := range vs {
				if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
					t.Fatalf("%q: header %s = %q", target, k, v)
				}
			}
		}
		if rec.Code != 200 {
			reason := rec.Header().Get("X-Avatar-Error")
			if reason == "" || rec.Body.String() != reason+"\n" {
				t.Fatalf("%q: %d with reason %q and body %q", target, rec.Code, reason, rec.Body)
			}
		}
	})
}

// TestVersionBoundaries: the URL grammar's version is any v[0-9]+ from 1 to 2^64-1 without
// leading zeros; every one of them is served, and one more is a 400, never a 500.
func TestVersionBoundaries(t *testing.T) {
	h, _ := newStubHandler(t, nil)
	for _, tc := range []struct {
		version string
		status  int
	}{
		{"1", 200},
		{"99999999999999999", 200},    // 17 digits
		{"999999999999999999", 200},   // 18 digits
		{"1000000000000000000", 200},  // 19 digits
		{"9223372036854775807", 200},  // 2^63-1
		{"9223372036854775808", 200},  // 2^63
		{"18446744073709551615", 200}, // 2^64-1
		{"18446744073709551616", 400}, // 2^64
		{"99999999999999999999", 400},
		{"0", 400},
		{"01", 400},
	} {
		for _, signed := range []bool{false, true} {
			path := "/avatars/facebook/w_20/v" + tc.version + "/" + okID + ".png"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			assert.Equal(t, tc.status, rec.Code, "%s: %s", path, rec.Body)
			if tc.status == 200 {
				// No forced refresh made these versions: they serve the current picture, for a
				// year when older than it, for a minute at most when newer (maybe a refresh
				// this node has not heard of).
				if tc.version == "1" {
					assert.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"), path)
				} else {
					var age int
					_, err := fmt.Sscanf(rec.Header().Get("Cache-Control"), "public, max-age=%d", &age)
					require.NoError(t, err, path)
					assert.LessOrEqual(t, age, 60, path)
				}
			}
			if !signed {
				continue
			}
			v, err := strconv.ParseUint(tc.version, 10, 64)
			if err != nil || v == 0 || tc.version[0] == '0' {
				continue
			}
			u, err := h.URL(Avatar{Type: "facebook", ID: okID, Transformation: "w_20", Version: v, Format: "png"})
			require.NoError(t, err)
			assert.Equal(t, path, u)
		}
	}
}

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "write the seeds of avatarmw's fuzz targets to testdata/fuzz/<FuzzName>/")

// TestWriteFuzzCorpus writes the seed corpora of FuzzParsePath and FuzzServeHTTP under
// testdata/fuzz when run with -write-fuzz-corpus:
//
//	go test ./avatarmw -run TestWriteFuzzCorpus -write-fuzz-corpus
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeFuzzCorpus {
		t.Skip("run with -write-fuzz-corpus to write testdata/fuzz")
	}
	write := func(target string, seeds []string) {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", s)
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("hostile-%03d", i)), []byte(body), 0o644))
		}
	}
	write("FuzzParsePath", parsePathSeeds())
	var targets []string
	for _, tc := range hostileTargets {
		if len(tc.target) < 4096 {
			targets = append(targets, tc.target)
		}
	}
	write("FuzzServeHTTP", targets)
}

// TestSSRFThroughTheHandler: a network hands out picture URLs on its real CDN host names, and DNS
// points those names at the cloud metadata address, a private or a loopback address: the handler
// answers 502 without a connection to it, and the reason names the host but not the address.
func TestSSRFThroughTheHandler(t *testing.T) {
	for _, ip := range []string{"169.254.169.254", "10.0.0.5", "127.0.0.1", "::ffff:169.254.169.254", "fd00::1"} {
		t.Run(ip, func(t *testing.T) {
			fake := fetchtest.NewServer()
			t.Cleanup(fake.Close)
			base := strings.TrimPrefix(fake.URL, "http://")
			var dialled []string
			var mu sync.Mutex
			h, err := New(Config{Fetch: fetch.Config{
				FacebookURL: fake.FacebookURL(), XURL: fake.XURL(), XToken: fetchtest.XToken, GravatarURL: fake.GravatarURL(),
				Client: fetch.ClientConfig{
					LookupIPAddr: func(context.Context, string) ([]net.IPAddr, error) { return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil },
					DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
						mu.Lock()
						dialled = append(dialled, addr)
						mu.Unlock()
						return fake.DialContext(ctx, network, addr)
					},
				},
			}})
			require.NoError(t, err)
			fake.SetImageHost("facebook", "scontent-ams4-1.xx.fbcdn.net")
			fake.SetImageHost("x", "pbs.twimg.com")
			for path, host := range map[string]string{
				"/avatars/facebook/w_50/" + user(t, "facebook", plain).ID + ".jpg": "scontent-ams4-1.xx.fbcdn.net",
				"/avatars/twitter/w_50/" + user(t, "x", plain).ID + ".jpg":         "pbs.twimg.com",
			} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				reason := rec.Header().Get("X-Avatar-Error")
				assert.Equal(t, http.StatusBadGateway, rec.Code, "%s: %s", path, reason)
				assert.Contains(t, reason, host)
				assert.Contains(t, reason, "non-public address")
				assert.NotContains(t, reason, strings.TrimPrefix(ip, "::ffff:"))
			}
			assert.Zero(t, fake.Count(fetchtest.FacebookImage))
			assert.Zero(t, fake.Count(fetchtest.XImage))
			mu.Lock()
			defer mu.Unlock()
			for _, a := range dialled {
				assert.Equal(t, base, a, "only the configured base URL was dialled")
			}
		})
	}
}
