package fetchtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
)

// The real default silhouette's asset name on the Facebook CDN.
const fbSilhouetteAsset = "84628273_176159830277856_972693363922829312"

var traceSeq atomic.Uint64

// fbTraceID returns a Graph-looking fbtrace_id (11 characters).
func fbTraceID() string {
	n := traceSeq.Add(1)
	h := fnv.New64a()
	fmt.Fprint(h, "trace", n)
	var b [8]byte
	v := h.Sum64()
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])[:11]
}

// writeJSON writes v as JSON without HTML escaping (URLs keep their '&'), with a true
// Content-Length.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	writeBody(w, r, status, contentType, bytes.TrimRight(buf.Bytes(), "\n"))
}

type graphErrorBody struct {
	Message      string `json:"message"`
	Type         string `json:"type"`
	IsTransient  *bool  `json:"is_transient,omitempty"`
	Code         int    `json:"code"`
	ErrorSubcode int    `json:"error_subcode,omitempty"`
	FBTraceID    string `json:"fbtrace_id"`
}

const graphJSON = "application/json; charset=UTF-8"

func graphError(w http.ResponseWriter, r *http.Request, status int, e graphErrorBody) {
	e.FBTraceID = fbTraceID()
	w.Header().Set("facebook-api-version", "v19.0")
	w.Header().Set("x-fb-trace-id", e.FBTraceID)
	if e.Code == 190 || e.Code == 102 {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	writeJSON(w, r, status, graphJSON, map[string]any{"error": e})
}

var graphRateMessages = map[int]string{
	4:   "(#4) Application request limit reached",
	17:  "(#17) User request limit reached",
	32:  "(#32) Page request limit reached",
	341: "(#341) Application limit reached",
	613: "(#613) Calls to this api have exceeded the rate limit.",
}

func graphBadToken(w http.ResponseWriter, r *http.Request) {
	graphError(w, r, http.StatusBadRequest, graphErrorBody{
		Message: "Invalid OAuth access token - Cannot parse access token", Type: "OAuthException", Code: 190,
	})
}

var graphPath = regexp.MustCompile(`^/facebook/(v[0-9]+\.[0-9]+)/([^/]+)/picture/?$`)
var digits = regexp.MustCompile(`^[0-9]+$`)

// serveGraph answers the Graph API: /facebook/v19.0/{id}/picture.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, f Fault) {
	yes := true
	switch {
	case f.RateLimit:
		code := f.RateLimitCode
		if code == 0 {
			code = 4
		}
		msg, ok := graphRateMessages[code]
		if !ok {
			msg = fmt.Sprintf("(#%d) Request limit reached", code)
		}
		w.Header().Set("X-App-Usage", `{"call_count":100,"total_cputime":38,"total_time":64}`)
		if f.RetryAfter > 0 {
			mins := (retrySeconds(f.RetryAfter) + 59) / 60
			w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(
				`{"1234567890":[{"type":"pages","call_count":100,"total_cputime":38,"total_time":64,"estimated_time_to_regain_access":%d}]}`, mins))
		}
		graphError(w, r, http.StatusForbidden, graphErrorBody{Message: msg, Type: "OAuthException", IsTransient: &yes, Code: code})
		return
	case f.BadToken:
		graphBadToken(w, r)
		return
	case f.GraphCode != 0:
		graphError(w, r, graphCodeStatus(f.GraphCode, f.GraphSubcode), graphCodeBody(f.GraphCode, f.GraphSubcode))
		return
	case f.Status != 0:
		switch {
		case f.Status == http.StatusBadGateway || f.Status == http.StatusGatewayTimeout:
			writeBody(w, r, f.Status, "text/html; charset=utf-8", htmlError(f.Status))
		case f.Status >= 500:
			msg, code := "An unknown error has occurred.", 1
			if f.Status == http.StatusServiceUnavailable {
				msg, code = "(#2) Service temporarily unavailable", 2
			}
			graphError(w, r, f.Status, graphErrorBody{Message: msg, Type: "OAuthException", IsTransient: &yes, Code: code})
		default:
			graphError(w, r, f.Status, graphErrorBody{Message: "An unexpected error has occurred. Please retry your request later.",
				Type: "OAuthException", IsTransient: &yes, Code: 2})
		}
		return
	}

	m := graphPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		rest := strings.TrimPrefix(r.URL.Path, "/facebook")
		graphError(w, r, http.StatusBadRequest, graphErrorBody{
			Message: "Unknown path components: " + rest, Type: "OAuthException", Code: 2500,
		})
		return
	}
	id := m[2]
	q := r.URL.Query()
	token := q.Get("access_token")
	if token == "" {
		if a := r.Header.Get("Authorization"); a != "" {
			if t, ok := strings.CutPrefix(a, "Bearer "); ok {
				token = t
			} else if t, ok := strings.CutPrefix(a, "OAuth "); ok {
				token = t
			} else {
				token = a
			}
		}
	}
	if token != "" && token != FacebookToken {
		graphBadToken(w, r)
		return
	}
	if !digits.MatchString(id) {
		graphError(w, r, http.StatusNotFound, graphErrorBody{
			Message: "(#803) Some of the aliases you requested do not exist: " + id, Type: "OAuthException", Code: 803,
		})
		return
	}
	i := s.userIndex(Facebook, id)
	if i < 0 {
		graphError(w, r, http.StatusBadRequest, graphErrorBody{
			Message: "Unsupported get request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing " +
				"permissions, or does not support this operation. Please read the Graph API documentation at " +
				"https://developers.facebook.com/docs/graph-api",
			Type: "GraphMethodException", Code: 100, ErrorSubcode: 33,
		})
		return
	}

	size := 50 // type=square, the default
	switch q.Get("type") {
	case "", "square", "small", "thumbnail":
	case "normal":
		size = 100
	case "large", "album":
		size = 200
	default:
		graphError(w, r, http.StatusBadRequest, graphErrorBody{
			Message: "(#100) type must be one of the following values: small, normal, album, large, square",
			Type:    "OAuthException", Code: 100,
		})
		return
	}
	wSet, hSet := false, false
	width, height := 0, 0
	for _, p := range []struct {
		name string
		v    *int
		set  *bool
	}{{"width", &width, &wSet}, {"height", &height, &hSet}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			graphError(w, r, http.StatusBadRequest, graphErrorBody{
				Message: fmt.Sprintf("(#100) The value of the parameter %s must be a non-negative integer", p.name),
				Type:    "OAuthException", Code: 100,
			})
			return
		}
		*p.v, *p.set = n, n > 0
	}
	if wSet || hSet {
		size = max(width, height)
	}
	u := s.user(i)
	size = min(size, u.Width, u.Height)
	size = max(size, 1)
	gen := s.gen(i)
	picURL := s.fbPictureURL(u, i, gen, size)

	redirect := q.Get("redirect")
	if redirect != "false" && redirect != "0" {
		w.Header().Set("Location", picURL)
		writeBody(w, r, http.StatusFound, "text/html; charset=utf-8", nil)
		return
	}
	type data struct {
		CacheKey     string `json:"cache_key,omitempty"`
		Height       int    `json:"height"`
		IsSilhouette bool   `json:"is_silhouette"`
		URL          string `json:"url"`
		Width        int    `json:"width"`
	}
	d := data{Height: size, IsSilhouette: isDefault(u, gen), URL: picURL, Width: size}
	if !s.noCacheKeys.Load() {
		d.CacheKey = fbCacheKey(u, i, gen)
	}
	w.Header().Set("facebook-api-version", "v19.0")
	w.Header().Set("x-fb-trace-id", fbTraceID())
	writeJSON(w, r, http.StatusOK, graphJSON, map[string]data{"data": d})
}

// fbCacheKey returns the cache_key of the picture of generation gen of u, user i of the
// population: opaque, the same for every size and every lookup of one picture, another one for
// each picture (ChangePicture).
func fbCacheKey(u User, i, gen int) string {
	asset := fbAsset(u, i, gen)
	r := newPRNG("cache_key", asset)
	var b [12]byte
	for j := range b {
		b[j] = byte(r.next())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CacheKey returns the cache_key the Graph API gives with a facebook user's current picture, as
// ProfilePictureSource's cache_key: it changes when the picture changes (ChangePicture). ok is
// false for an unknown user.
func (s *Server) CacheKey(id string) (key string, ok bool) {
	i := s.userIndex(Facebook, id)
	if i < 0 {
		return "", false
	}
	return fbCacheKey(s.user(i), i, s.gen(i)), true
}

// OmitCacheKeys makes the Graph API leave cache_key out of its answers (omit true), as it may for
// some pictures, or put it back (false, the default).
func (s *Server) OmitCacheKeys(omit bool) { s.noCacheKeys.Store(omit) }

// graphCodeErrors are the Graph API errors Fault.GraphCode answers with, by code and subcode (0:
// any other subcode): the HTTP status, type and message the API uses.
var graphCodeErrors = map[[2]int]struct {
	status       int
	typ, message string
}{
	{10, 0}:  {http.StatusForbidden, "OAuthException", "(#10) Application does not have permission for this action"},
	{200, 0}: {http.StatusForbidden, "OAuthException", "(#200) Permissions error"},
	{210, 0}: {http.StatusBadRequest, "OAuthException", "(#210) User not visible"},
	{190, 0}: {http.StatusBadRequest, "OAuthException", "Error validating access token: Session has expired"},
	{190, 459}: {http.StatusBadRequest, "OAuthException",
		"Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given."},
	{190, 460}: {http.StatusBadRequest, "OAuthException",
		"Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."},
	{368, 0}: {http.StatusBadRequest, "OAuthException", "(#368) The action attempted has been deemed abusive or is otherwise disallowed"},
}

// graphCodeStatus returns the HTTP status of the Graph error code (and subcode): the API's when
// known, else 400.
func graphCodeStatus(code, subcode int) int {
	if e, ok := graphCodeErrors[[2]int{code, subcode}]; ok {
		return e.status
	}
	if e, ok := graphCodeErrors[[2]int{code, 0}]; ok {
		return e.status
	}
	return http.StatusBadRequest
}

// graphCodeBody returns the error object of the Graph error code (and subcode).
func graphCodeBody(code, subcode int) graphErrorBody {
	e, ok := graphCodeErrors[[2]int{code, subcode}]
	if !ok {
		e, ok = graphCodeErrors[[2]int{code, 0}]
	}
	if !ok {
		e.typ, e.message = "OAuthException", fmt.Sprintf("(#%d) An error occurred", code)
	}
	return graphErrorBody{Message: e.message, Type: e.typ, Code: code, ErrorSubcode: subcode}
}

// fbAsset returns the CDN asset name of the picture of generation gen of u, user i of the
// population.
func fbAsset(u User, i, gen int) string {
	if isDefault(u, gen) {
		return fbSilhouetteAsset
	}
	r := newPRNG("fbcdn", u.ID, strconv.Itoa(gen))
	a := 300000000 + r.next()%600000000
	c := 1000000000000000000 + r.next()%8000000000000000000
	return fmt.Sprintf("%d_%d_%d", a, 100000000000000+i*100000+gen, c)
}

// parseFBAsset inverts fbAsset: it returns the user index and generation, or ok false.
func (s *Server) parseFBAsset(asset string) (i, gen int, ok bool) {
	parts := strings.Split(asset, "_")
	if len(parts) != 3 {
		return 0, 0, false
	}
	b, err := strconv.Atoi(parts[1])
	if err != nil || b < 100000000000000 {
		return 0, 0, false
	}
	b -= 100000000000000
	i, gen = b/100000, b%100000
	users := s.population()
	if i >= len(users) {
		return 0, 0, false
	}
	if u := users[i]; u.Network != Facebook || isDefault(u, gen) || fbAsset(u, i, gen) != asset {
		return 0, 0, false
	}
	return i, gen, true
}

// fbPictureURL returns the CDN URL of the picture of generation gen of u, user i of the population,
// at size×size.
func (s *Server) fbPictureURL(u User, i, gen, size int) string {
	base := s.imageBase(Facebook)
	dir := "t39.30808-1"
	if isDefault(u, gen) {
		dir = "t1.30497-1"
	}
	asset := fbAsset(u, i, gen)
	path := fmt.Sprintf("/fbcdn/v/%s/p%dx%d/%s_n.jpg", dir, size, size, asset)
	r := newPRNG("oh", path)
	oh := make([]byte, 24)
	for j := range oh {
		oh[j] = byte(r.next())
	}
	host := strings.TrimPrefix(base, "http://")
	q := "stp=dst-jpg_s" + strconv.Itoa(size) + "x" + strconv.Itoa(size) +
		"&_nc_cat=1" + strconv.Itoa(i) + "&ccb=1-7&_nc_sid=5f2048&_nc_ohc=" + base64.RawURLEncoding.EncodeToString(oh[:9]) +
		"&_nc_ht=" + url.QueryEscape(host) + "&oh=00_" + base64.RawURLEncoding.EncodeToString(oh[9:]) +
		"&oe=6" + fmt.Sprintf("%07X", r.next()%0xfffffff)
	return base + path + "?" + q
}

var fbImagePath = regexp.MustCompile(`^/fbcdn/v/(t[0-9.]+-1)/p([0-9]+)x([0-9]+)/([0-9_]+)_n\.jpg$`)

// serveFacebookImage answers the Facebook CDN: /fbcdn/v/{dir}/p{S}x{S}/{asset}_n.jpg. Old
// generations keep being served (like the real CDN until the URL expires).
func (s *Server) serveFacebookImage(w http.ResponseWriter, r *http.Request, f Fault) {
	if s.serveImageFault(w, r, f, "image/jpeg") {
		return
	}
	m := fbImagePath.FindStringSubmatch(r.URL.Path)
	if m == nil || m[2] != m[3] {
		writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", htmlError(http.StatusNotFound))
		return
	}
	size, _ := strconv.Atoi(m[2])
	var key picKey
	var native int
	if m[4] == fbSilhouetteAsset {
		key = picKey{scene: sceneFBSilhouette}
		native = 720
	} else {
		i, gen, ok := s.parseFBAsset(m[4])
		if !ok || gen > s.gen(i) {
			writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", htmlError(http.StatusNotFound))
			return
		}
		u := s.user(i)
		key = picKey{scene: sceneUser, user: u, idx: i, gen: gen}
		native = min(u.Width, u.Height)
	}
	key.w = max(1, min(size, native))
	key.h, key.format = key.w, "jpeg"
	s.servePicture(w, r, f, key, "max-age=1209600, no-transform")
}

// servePicture writes the encoded picture of key, or the Truncate fault.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request, f Fault, key picKey, cacheControl string) {
	body, err := picture(key)
	if err != nil {
		writeBody(w, r, http.StatusInternalServerError, "text/plain; charset=utf-8", []byte(err.Error()+"\n"))
		return
	}
	ct := contentTypes[key.format]
	if f.Truncate {
		s.serveTruncated(w, r, ct, body)
		return
	}
	h := w.Header()
	if cacheControl != "" {
		h.Set("Cache-Control", cacheControl)
	}
	h.Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
	writeBody(w, r, http.StatusOK, ct, body)
}
