package fetchtest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var (
	gravatarPath = regexp.MustCompile(`^/gravatar/avatar/([^/.]+)(\.(?:jpg|jpeg|png|gif))?$`)
	hexHash      = regexp.MustCompile(`^(?:[0-9a-f]{32}|[0-9a-f]{64})$`)
)

// gravatarSize parses s / size: default 80; values below 1 or not a number give 80, values above
// 2048 are clamped to 2048.
func gravatarSize(q map[string][]string) int {
	raw := ""
	for _, k := range []string{"s", "size"} {
		if v, ok := q[k]; ok && len(v) > 0 {
			raw = v[0]
			break
		}
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 80
	}
	return min(n, 2048)
}

// serveGravatar answers /gravatar/avatar/{hash}[.jpg]?s=W&d=D.
//
// The hash must be lower-case hex (32 or 64 digits) to match a user: the fake is deliberately
// strict so that a client that forgets to lower-case is caught; anything else is an unknown hash
// and gets the default image (or 404 with d=404).
func (s *Server) serveGravatar(w http.ResponseWriter, r *http.Request, f Fault) {
	q := r.URL.Query()
	if s.serveImageFault(w, r, f, "image/jpeg") {
		return
	}
	m := gravatarPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", htmlError(http.StatusNotFound))
		return
	}
	hash := m[1]
	size := gravatarSize(q)
	def := q.Get("d")
	if _, ok := q["d"]; !ok {
		def = q.Get("default")
	}
	force := q.Get("f") == "y" || q.Get("forcedefault") == "y"

	const cache = "max-age=300"
	i := -1
	if hexHash.MatchString(hash) {
		i = s.userIndex(Gravatar, hash)
	}
	var u User
	if i >= 0 {
		u = s.user(i)
	}
	if i >= 0 && !(u.NoPicture && s.gen(i) == 0) && !force {
		key := picKey{scene: sceneUser, user: u, idx: i, gen: s.gen(i), w: size, h: size, format: u.Format}
		w.Header().Set("Content-Disposition", `inline; filename="`+hash+"."+extensions[u.Format]+`"`)
		s.servePicture(w, r, f, key, cache)
		return
	}

	// No picture: the default.
	switch {
	case def == "404":
		writeBody(w, r, http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 Not Found\n"))
	case strings.HasPrefix(def, "http://") || strings.HasPrefix(def, "https://"):
		w.Header().Set("Location", def)
		writeBody(w, r, http.StatusFound, "text/html; charset=utf-8", nil)
	case def == "mp" || def == "mm" || def == "mysteryman":
		s.servePicture(w, r, f, picKey{scene: sceneMysteryPerson, w: size, h: size, format: "png"}, cache)
	case def == "blank":
		s.servePicture(w, r, f, picKey{scene: sceneBlank, w: size, h: size, format: "png"}, cache)
	case def == "":
		s.servePicture(w, r, f, picKey{scene: sceneGravatarLogo, w: size, h: size, format: "png"}, cache)
	default: // identicon, monsterid, wavatar, retro, robohash, initials, color...
		s.servePicture(w, r, f, picKey{scene: sceneIdenticon, seed: hash, w: size, h: size, format: "png"}, cache)
	}
}
