package fetchtest

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault makes the fake misbehave for every request of one Kind (see SetFault). The zero Fault is
// normal behaviour. Fields combine: Latency applies first, then the first of RateLimit, BadToken,
// GraphCode, Status, NotImage, Huge, Truncate that is set, in that order. Fields that do not
// apply to a kind (BadToken on an image host, NotImage on an API) are ignored.
type Fault struct {
	// Latency delays the answer. The sleep ends early when the client goes away or the server closes
	// (the request then gets no answer).
	Latency time.Duration

	// Status answers with this HTTP status (500, 502, 503, 404, ...) and the body the network would
	// send: Graph's error JSON, X's problem JSON, an HTML error page from the image hosts.
	Status int

	// RateLimit answers as the network does when it throttles us.
	//   - Graph: HTTP 403 with error code RateLimitCode ("(#4) Application request limit reached",
	//     type OAuthException, is_transient true) and an X-App-Usage header at 100%; Graph itself
	//     gives no retry time, so when RetryAfter is set the fake adds an
	//     X-Business-Use-Case-Usage header whose estimated_time_to_regain_access is in minutes.
	//   - X: 429 problem JSON with x-rate-limit-remaining 0 and x-rate-limit-reset (epoch seconds).
	//   - Gravatar and the image hosts: 429 with a Retry-After header (seconds).
	RateLimit bool
	// RateLimitCode is Graph's throttling code: 4 (default), 17, 32, 341 or 613.
	RateLimitCode int
	// RetryAfter is how far in the future x-rate-limit-reset / Retry-After point (default 60s).
	RetryAfter time.Duration

	// NotImage (image endpoints) answers 200 with an HTML body, labelled Content-Type image/jpeg.
	NotImage bool

	// Huge (image endpoints) answers 200 with a valid-looking image header (of the picture's format)
	// followed by filler, Huge bytes in total, streamed (never held in memory), with a true
	// Content-Length.
	Huge int64
	// LieLength, with Huge, claims a small Content-Length (1024) while streaming all Huge bytes.
	//
	// A Go client honours a Content-Length strictly (it would read exactly the claimed bytes and
	// never see the rest), so a plain lie cannot deliver more bytes to it. The fake therefore writes
	// the raw response itself with both "Content-Length: 1024" and "Transfer-Encoding: chunked" and
	// streams all Huge bytes chunked. Chunked framing takes precedence (RFC 9112 §6.3): Go's client
	// drops the Content-Length header, reports resp.ContentLength == -1 and delivers the whole
	// stream, so only a cap enforced while reading stops it. Clients that trusted the header (curl,
	// other stacks) see the lie.
	LieLength bool

	// Truncate (image endpoints) sends the real Content-Length and the first half of the body, then
	// cuts the connection.
	Truncate bool

	// BadToken (API endpoints) answers as if our credentials were wrong: Graph error code 190
	// (OAuthException, HTTP 400), X 401 problem JSON.
	BadToken bool

	// GraphCode (Graph API only) answers with the Graph error of this code, and GraphSubcode
	// (error_subcode, 0 for none), with the HTTP status, type and message Graph uses for it: 10 and
	// 200 (our app lacks a permission, HTTP 403), 210 (user not visible, 400), 190 (the access
	// token: with subcode 459 its user is checkpointed, 460 changed their password), 368, or any
	// other code (400, a generic message). It comes after BadToken and before Status.
	GraphCode, GraphSubcode int
}

// SetFault sets the fault of every later request of kind k; the zero Fault clears it.
func (s *Server) SetFault(k Kind, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, k)
		return
	}
	s.faults[k] = f
}

// ClearFaults clears the faults of every kind, those of FaultNext included.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	clear(s.next)
}

// nextFault is a fault for a number of requests (FaultNext).
type nextFault struct {
	n int
	f Fault
}

// FaultNext gives the next n requests of kind k the fault f, before the fault set with SetFault
// (if any) applies again: FaultNext(XImage, 1, Fault{Status: 503}) fails one download, and the
// next is served as usual. The zero Fault makes the next n requests behave normally whatever
// SetFault says. It replaces what an earlier FaultNext of k left; n <= 0 clears it. ClearFaults
// clears it too.
func (s *Server) FaultNext(k Kind, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.next, k)
		return
	}
	s.next[k] = &nextFault{n: n, f: f}
}

// fault returns the fault of a request of kind k that has just arrived, taking one of FaultNext's.
func (s *Server) fault(k Kind) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if nf := s.next[k]; nf != nil {
		if nf.n--; nf.n <= 0 {
			delete(s.next, k)
		}
		return nf.f
	}
	return s.faults[k]
}

func (f Fault) retryAfter() time.Duration {
	if f.RetryAfter > 0 {
		return f.RetryAfter
	}
	return 60 * time.Second
}

// retrySeconds rounds up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// htmlError is the body of an image host's error page.
func htmlError(status int) []byte {
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	return fmt.Appendf(nil, "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"+
		"<body><h1>%d %s</h1><p>Sorry, something went wrong.</p></body></html>\n", status, text, status, text)
}

// serveImageFault answers the image-host faults that do not need the picture (RateLimit, Status,
// NotImage, Huge); it reports whether it answered. contentType is the picture's type, used by Huge.
func (s *Server) serveImageFault(w http.ResponseWriter, r *http.Request, f Fault, contentType string) bool {
	switch {
	case f.RateLimit:
		w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(f.retryAfter()), 10))
		writeBody(w, r, http.StatusTooManyRequests, "text/html; charset=utf-8", htmlError(http.StatusTooManyRequests))
	case f.Status != 0:
		writeBody(w, r, f.Status, "text/html; charset=utf-8", htmlError(f.Status))
	case f.NotImage:
		body := []byte("<!DOCTYPE html>\n<html><head><title>Log in or sign up</title></head>\n" +
			"<body><p>This content isn't available right now.</p></body></html>\n")
		writeBody(w, r, http.StatusOK, "image/jpeg", body)
	case f.Huge > 0:
		s.serveHuge(w, r, f, contentType)
	default:
		return false
	}
	return true
}

// hugeHeader returns the first bytes of a file of this content type: enough to be sniffed as an
// image, with a large declared size where the format has one.
func hugeHeader(contentType string) []byte {
	switch contentType {
	case "image/png":
		return []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x10\x00\x00\x00\x10\x00\x08\x06\x00\x00\x00\x5c\x72\xa8\x66")
	case "image/gif":
		return []byte("GIF89a\x00\x10\x00\x10\xf7\x00\x00")
	case "image/webp":
		return []byte("RIFF\xff\xff\xff\x7fWEBPVP8L\xf0\xff\xff\x7f\x2f\xff\xff\xff\x0f")
	}
	// JPEG: SOI, JFIF APP0, SOF0 of 4096×4096.
	return []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" +
		"\xff\xc0\x00\x11\x08\x10\x00\x10\x00\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
}

// fillerReader yields n bytes: header, then a repeating pattern.
type fillerReader struct {
	header []byte
	n, off int64
}

// fillerBlock is the repeating filler after a huge body's header.
var fillerBlock = func() []byte {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return b
}()

func (f *fillerReader) Read(p []byte) (int, error) {
	if f.off >= f.n {
		return 0, io.EOF
	}
	if rem := f.n - f.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	if f.off < int64(len(f.header)) {
		n = copy(p, f.header[f.off:])
	}
	for n < len(p) {
		o := (f.off + int64(n)) % int64(len(fillerBlock))
		n += copy(p[n:], fillerBlock[o:])
	}
	f.off += int64(n)
	return n, nil
}

func (s *Server) serveHuge(w http.ResponseWriter, r *http.Request, f Fault, contentType string) {
	body := &fillerReader{header: hugeHeader(contentType), n: f.Huge}
	if !f.LieLength {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.FormatInt(f.Huge, 10))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.CopyBuffer(w, body, make([]byte, 32<<10))
		}
		return
	}
	_, bw, done, err := s.hijack(w)
	if err != nil {
		writeBody(w, r, http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("fetchtest: cannot hijack\n"))
		return
	}
	defer done()
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: 1024\r\n"+
		"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n", contentType)
	if r.Method == http.MethodHead {
		_ = bw.Flush()
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, _ := body.Read(buf)
		if n == 0 {
			break
		}
		fmt.Fprintf(bw, "%x\r\n", n)
		_, _ = bw.Write(buf[:n])
		if _, err := bw.WriteString("\r\n"); err != nil {
			return
		}
	}
	_, _ = bw.WriteString("0\r\n\r\n")
	_ = bw.Flush()
}

// serveTruncated sends headers with the true Content-Length and half the body, then cuts the
// connection.
func (s *Server) serveTruncated(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	_, bw, done, err := s.hijack(w)
	if err != nil {
		writeBody(w, r, http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("fetchtest: cannot hijack\n"))
		return
	}
	defer done()
	writeRawHead(bw, contentType, len(body))
	if r.Method != http.MethodHead {
		_, _ = bw.Write(body[:len(body)/2])
	}
	_ = bw.Flush()
}

func writeRawHead(bw *bufio.ReadWriter, contentType string, n int) {
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", contentType, n)
}
