package fetchtest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// xRateLimit is the x-rate-limit-limit the fake reports for user lookups (per 15-minute window).
const xRateLimit = 300

// xWindow is the length of X's rate-limit window.
const xWindow = 15 * time.Minute

const problemJSON = "application/problem+json"

// xSizes maps a profile image size suffix to its side; "" is the original.
var xSizes = map[string]int{"_normal": 48, "_bigger": 73, "_mini": 24, "_200x200": 200, "_400x400": 400}

var (
	xIDPath   = regexp.MustCompile(`^/x/2/users/([^/]+)$`)
	xNamePath = regexp.MustCompile(`^/x/2/users/by/username/([^/]+)$`)
	xIDRule   = regexp.MustCompile(`^[0-9]{1,19}$`)
	xNameRule = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)
)

var xUserFields = map[string]bool{
	"created_at": true, "description": true, "entities": true, "id": true, "location": true,
	"most_recent_tweet_id": true, "name": true, "pinned_tweet_id": true, "profile_image_url": true,
	"protected": true, "public_metrics": true, "url": true, "username": true, "verified": true,
	"verified_type": true, "withheld": true,
}

// xRateHeaders sets the x-rate-limit-* headers; limited reports a throttled answer.
func (s *Server) xRateHeaders(w http.ResponseWriter, limited bool, retry time.Duration) {
	now := s.clock()
	since := now.Sub(s.start)
	window := int64(since / xWindow)
	if since < 0 && since%xWindow != 0 { // a clock set before the start: round down too
		window--
	}
	reset := s.start.Add(time.Duration(window+1) * xWindow)
	s.mu.Lock()
	if window != s.xWindow {
		s.xWindow, s.xUsed = window, 0
	}
	s.xUsed++
	used := s.xUsed
	s.mu.Unlock()
	remaining := max(int64(0), xRateLimit-used)
	if limited {
		remaining = 0
		reset = now.Add(retry)
	}
	resetS := reset.Unix()
	if reset.Nanosecond() > 0 {
		resetS++
	}
	h := w.Header()
	h.Set("x-rate-limit-limit", strconv.Itoa(xRateLimit))
	h.Set("x-rate-limit-remaining", strconv.FormatInt(remaining, 10))
	h.Set("x-rate-limit-reset", strconv.FormatInt(resetS, 10))
}

func xProblem(w http.ResponseWriter, r *http.Request, status int) {
	text := http.StatusText(status)
	writeJSON(w, r, status, problemJSON, map[string]any{
		"title": text, "type": "about:blank", "status": status, "detail": text,
	})
}

func xInvalid(w http.ResponseWriter, r *http.Request, param, value, rule string) {
	writeJSON(w, r, http.StatusBadRequest, problemJSON, map[string]any{
		"errors": []any{map[string]any{
			"parameters": map[string][]string{param: {value}},
			"message":    fmt.Sprintf("The `%s` query parameter value [%s] does not match %s", param, value, rule),
		}},
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   "https://api.twitter.com/2/problems/invalid-request",
	})
}

// serveXAPI answers the X API v2 user lookups.
func (s *Server) serveXAPI(w http.ResponseWriter, r *http.Request, f Fault) {
	switch {
	case f.RateLimit:
		s.xRateHeaders(w, true, f.retryAfter())
		xProblem(w, r, http.StatusTooManyRequests)
		return
	case f.BadToken:
		xProblem(w, r, http.StatusUnauthorized)
		return
	}
	s.xRateHeaders(w, false, 0)
	if f.Status != 0 {
		xProblem(w, r, f.Status)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+XToken {
		xProblem(w, r, http.StatusUnauthorized)
		return
	}

	var i int
	param, value := "id", ""
	if m := xNamePath.FindStringSubmatch(r.URL.Path); m != nil {
		param, value = "username", m[1]
		if !xNameRule.MatchString(value) {
			xInvalid(w, r, "username", value, "^[A-Za-z0-9_]{1,15}$")
			return
		}
		i = s.xNameIndex(value)
	} else if m := xIDPath.FindStringSubmatch(r.URL.Path); m != nil {
		value = m[1]
		if !xIDRule.MatchString(value) {
			xInvalid(w, r, "id", value, "^[0-9]{1,19}$")
			return
		}
		i = s.userIndex(X, value)
	} else {
		writeJSON(w, r, http.StatusNotFound, problemJSON, map[string]any{
			"title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found",
			"status": 404, "detail": "The requested resource could not be found.",
		})
		return
	}

	fields := map[string]bool{}
	if raw := r.URL.Query().Get("user.fields"); raw != "" {
		for _, fld := range strings.Split(raw, ",") {
			if !xUserFields[fld] {
				xInvalid(w, r, "user.fields", fld, "one of the known user fields")
				return
			}
			fields[fld] = true
		}
	}

	if i < 0 {
		detail := "Could not find user with id: [" + value + "]."
		if param == "username" {
			detail = "Could not find user with username: [" + value + "]."
		}
		writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", map[string]any{
			"errors": []map[string]string{{
				"value": value, "detail": detail, "title": "Not Found Error", "resource_type": "user",
				"parameter": param, "resource_id": value,
				"type": "https://api.twitter.com/2/problems/resource-not-found",
			}},
		})
		return
	}
	u := s.user(i)
	type data struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		ProfileImageURL string `json:"profile_image_url,omitempty"`
		Username        string `json:"username"`
	}
	d := data{ID: u.ID, Name: u.DisplayName, Username: u.Name}
	if fields["profile_image_url"] {
		d.ProfileImageURL = s.xPictureURL(u, s.gen(i), "_normal")
	}
	writeJSON(w, r, http.StatusOK, "application/json; charset=utf-8", map[string]data{"data": d})
}

// xAsset returns the media number and slug of u's picture of generation gen.
func xAsset(u User, gen int) (n uint64, slug string) {
	r := newPRNG("pbs", u.ID, strconv.Itoa(gen))
	n = 1000000000000000000 + r.next()%8000000000000000000
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	for j := range b {
		b[j] = alphabet[r.next()%uint64(len(alphabet))]
	}
	return n, string(b)
}

// xPictureURL returns the URL of u's picture of generation gen with a size suffix ("_normal", ...,
// or "" for the original).
func (s *Server) xPictureURL(u User, gen int, suffix string) string {
	if isDefault(u, gen) {
		return s.imageBase("x-abs") + "/abs/sticky/default_profile_images/default_profile" + suffix + ".png"
	}
	n, slug := xAsset(u, gen)
	return fmt.Sprintf("%s/pbs/profile_images/%d/%s%s.%s", s.imageBase(X), n, slug, suffix, extensions[u.Format])
}

// XPictureURL returns the URL of an x user's current picture with a size suffix ("_normal",
// "_bigger", "_mini", "_200x200", "_400x400", or "" for the original), as the X API would give it
// (profile_image_url is the "_normal" one). ok is false for an unknown user.
func (s *Server) XPictureURL(id, suffix string) (u string, ok bool) {
	i := s.userIndex(X, id)
	if i < 0 {
		i = s.xNameIndex(id)
	}
	if i < 0 {
		return "", false
	}
	return s.xPictureURL(s.user(i), s.gen(i), suffix), true
}

var (
	pbsPath = regexp.MustCompile(`^/pbs/profile_images/([0-9]+)/([A-Za-z0-9]+)(_normal|_bigger|_mini|_200x200|_400x400)?\.(jpg|png|gif|webp)$`)
	absPath = regexp.MustCompile(`^/abs/sticky/default_profile_images/default_profile(_normal|_bigger|_mini|_200x200|_400x400)?\.png$`)
)

// serveXImage answers the pbs.twimg.com and abs.twimg.com paths. Only the current generation of a
// picture is served: after ChangePicture the old URLs answer 404.
func (s *Server) serveXImage(w http.ResponseWriter, r *http.Request, f Fault) {
	notFound := func() {
		writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", htmlError(http.StatusNotFound))
	}
	ct := "image/jpeg"
	if strings.HasSuffix(r.URL.Path, ".png") {
		ct = "image/png"
	} else if strings.HasSuffix(r.URL.Path, ".gif") {
		ct = "image/gif"
	} else if strings.HasSuffix(r.URL.Path, ".webp") {
		ct = "image/webp"
	}
	if s.serveImageFault(w, r, f, ct) {
		return
	}
	const cache = "max-age=604800, must-revalidate"
	if m := absPath.FindStringSubmatch(r.URL.Path); m != nil {
		side := 400
		if m[1] != "" {
			side = xSizes[m[1]]
		}
		s.servePicture(w, r, f, picKey{scene: sceneXDefault, w: side, h: side, format: "png"}, cache)
		return
	}
	m := pbsPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		notFound()
		return
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		notFound()
		return
	}
	for i, u := range s.population() {
		if u.Network != X {
			continue
		}
		gen := s.gen(i)
		if isDefault(u, gen) {
			continue
		}
		cn, slug := xAsset(u, gen)
		if cn != n {
			continue
		}
		if slug != m[2] || extensions[u.Format] != m[4] {
			break
		}
		key := picKey{scene: sceneUser, user: u, idx: i, gen: gen, w: u.Width, h: u.Height, format: u.Format}
		if m[3] != "" {
			key.w = xSizes[m[3]]
			key.h = key.w
		}
		s.servePicture(w, r, f, key, cache)
		return
	}
	notFound()
}
