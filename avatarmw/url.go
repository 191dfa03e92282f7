package avatarmw

import (
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

// Avatar is the parsed form of an avatar URL's path, the part after the prefix:
//
//	<type>/[s--<sig>--/][<transformation>/ ...][v<version>/]<id>[.<ext>]
//
// ParsePath reads it; Path writes it. Both agree on one canonical form, which is what the cache keys.
type Avatar struct {
	// Type is the delivery type: "facebook", "twitter", "twitter_name", "gravatar", the X profile
	// banners "twitter_banner" and "twitter_name_banner", or one an app registered.
	Type string
	// Signature is the signature segment's text between "s--" and "--" (8 or 32 characters of
	// [A-Za-z0-9_-]); "" when the URL has none.
	Signature string
	// Transformation is the transformation chain: components joined by "/", each a comma-separated
	// list of key_value parameters ("c_fill,g_north,h_90,w_90/r_max"). ParsePath returns it in
	// canonical form (parameters sorted inside each component); Path accepts any order.
	Transformation string
	// Version is the number of the version segment (v<version>); 0 when the URL has none.
	Version uint64
	// ID is the identifier as written in the URL. Its type's rule is checked by the type's provider.
	ID string
	// Format is the extension: "jpg", "png", "gif", "webp" or "avif" ("jpeg" reads as "jpg"); "" keeps the
	// original's format.
	Format string
}

// URLError is a rejected avatar URL: Part quotes the offending segment, parameter or header exactly
// as the request had it, and Msg says what is wrong with it.
type URLError struct {
	Part string
	Msg  string
}

// Error returns "<part>: <msg>", like imageops.Error.
func (e *URLError) Error() string {
	if e.Part == "" {
		return e.Msg
	}
	return e.Part + ": " + e.Msg
}

// Lengths of the signature: Cloudinary's short (SHA-1) and long (SHA-256) forms.
const (
	shortSignatureLen = 8
	longSignatureLen  = 32
)

// ParsePath parses the path of an avatar URL after the prefix, e.g.
// "facebook/c_fill,h_90,w_90/65646572251.jpg". It checks the grammar and every transformation
// parameter; it does not know which types exist (the Handler does).
func ParsePath(p string) (Avatar, error) {
	r, err := parsePath(p)
	if err != nil {
		return Avatar{}, err
	}
	return r.Avatar, nil
}

// parsed is a parsed path with what ParsePath does not return.
type parsed struct {
	Avatar
	chain imageops.Chain
	// signed is the text a signature covers: the transformation components and the identifier
	// with its extension, joined by '/' exactly as they appear in the request (see Sign).
	signed string
	// named reports a transformation made only of named transformations (t_...).
	named bool
}

func parsePath(p string) (parsed, error) {
	var r parsed
	if p == "" {
		return r, &URLError{Msg: "empty avatar path: want <type>/[<transformation>/...]<id>[.<ext>]"}
	}
	if i := strings.IndexByte(p, '%'); i >= 0 {
		return r, &URLError{Part: segmentAt(p, i), Msg: "percent-encoded characters are not allowed in avatar URLs"}
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		switch s {
		case "":
			return r, &URLError{Part: p, Msg: "empty path segment (a doubled or trailing '/')"}
		case ".", "..":
			return r, &URLError{Part: s, Msg: "relative path segments are not allowed"}
		}
	}
	if len(segs) < 2 {
		return r, &URLError{Part: p, Msg: "missing identifier: want <type>/[<transformation>/...]<id>[.<ext>]"}
	}
	r.Type = segs[0]
	if !isTypeName(r.Type) {
		return r, &URLError{Part: r.Type, Msg: "malformed type: want lower-case letters, digits and '_'"}
	}
	rest := segs[1 : len(segs)-1]
	last := segs[len(segs)-1]

	if len(rest) > 0 && strings.HasPrefix(rest[0], "s--") {
		sig, ok := parseSignature(rest[0])
		if !ok {
			return r, &URLError{Part: rest[0], Msg: "malformed signature segment: want s--<8 or 32 characters of [A-Za-z0-9_-]>--"}
		}
		r.Signature = sig
		rest = rest[1:]
	}
	if n := len(rest); n > 0 && isVersion(rest[n-1]) {
		v, err := strconv.ParseUint(rest[n-1][1:], 10, 64)
		switch {
		case err != nil:
			return r, &URLError{Part: rest[n-1], Msg: "version is out of range"}
		case v == 0:
			return r, &URLError{Part: rest[n-1], Msg: "version must be 1 or more"}
		case rest[n-1][1] == '0':
			return r, &URLError{Part: rest[n-1], Msg: "version must not have leading zeros"}
		}
		r.Version = v
		rest = rest[:n-1]
	}
	for _, s := range rest {
		if strings.HasPrefix(s, "s--") {
			return r, &URLError{Part: s, Msg: "a signature segment must come first, right after the type"}
		}
		if isVersion(s) {
			return r, &URLError{Part: s, Msg: "a version segment must come last, right before the identifier"}
		}
	}
	if len(rest) > 0 {
		var err error
		if r.chain, err = imageops.ParseChain(rest); err != nil {
			return r, err
		}
		r.Transformation = r.chain.String()
		r.named = true
		for _, s := range rest {
			r.named = r.named && strings.HasPrefix(s, "t_") && !strings.ContainsRune(s, ',')
		}
		// The version segment, when present, sits between the transformation and the identifier
		// and is not signed.
		r.signed = strings.Join(rest, "/") + "/" + last
	} else {
		r.signed = last
	}

	r.ID = last
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		r.ID, r.Format = last[:i], last[i+1:]
		f, err := imageops.ParseFormat(r.Format)
		if err != nil || f == imageops.FormatOriginal {
			return r, &URLError{Part: last, Msg: "unknown extension: want .jpg, .jpeg, .png, .gif, .webp or .avif"}
		}
		r.Format = f.String()
	}
	if !isIdentifier(r.ID) {
		return r, &URLError{Part: last, Msg: "malformed identifier: want 1 to 128 characters of [A-Za-z0-9_~-]"}
	}
	return r, nil
}

// Path returns the canonical path of a after the prefix, validated by ParsePath: the
// transformation's parameters sorted, "jpeg" written "jpg".
func (a Avatar) Path() (string, error) {
	var b strings.Builder
	b.WriteString(a.Type)
	if a.Signature != "" {
		b.WriteString("/s--")
		b.WriteString(a.Signature)
		b.WriteString("--")
	}
	if a.Transformation != "" {
		b.WriteByte('/')
		b.WriteString(a.Transformation)
	}
	if a.Version > 0 {
		b.WriteString("/v")
		b.WriteString(strconv.FormatUint(a.Version, 10))
	}
	b.WriteByte('/')
	b.WriteString(a.ID)
	if a.Format != "" {
		b.WriteByte('.')
		b.WriteString(a.Format)
	}
	parsed, err := ParsePath(b.String())
	if err != nil {
		return "", err
	}
	if parsed.Type != a.Type || parsed.Signature != a.Signature || parsed.Version != a.Version || parsed.ID != a.ID {
		// A field held a '/' or a '.', which moved text from one part of the URL to another.
		return "", &URLError{Part: b.String(), Msg: "a field of the Avatar does not survive as its own part of the URL"}
	}
	return parsed.canonical(), nil
}

// canonical writes an already parsed (hence canonical) Avatar.
func (a Avatar) canonical() string {
	s := a.Type
	if a.Signature != "" {
		s += "/s--" + a.Signature + "--"
	}
	if a.Transformation != "" {
		s += "/" + a.Transformation
	}
	if a.Version > 0 {
		s += "/v" + strconv.FormatUint(a.Version, 10)
	}
	s += "/" + a.ID
	if a.Format != "" {
		s += "." + a.Format
	}
	return s
}

func parseSignature(seg string) (string, bool) {
	if !strings.HasPrefix(seg, "s--") || !strings.HasSuffix(seg, "--") {
		return "", false
	}
	// Parse by length: the signature itself may begin or end with '-' ("s----SjmNDA--").
	n := len(seg) - len("s--") - len("--")
	if n != shortSignatureLen && n != longSignatureLen {
		return "", false
	}
	sig := seg[3 : 3+n]
	for i := 0; i < len(sig); i++ {
		if !isBase64URL(sig[i]) {
			return "", false
		}
	}
	return sig, true
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isTypeName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '~') {
			return false
		}
	}
	return true
}

// segmentAt returns the path segment that holds byte i of p.
func segmentAt(p string, i int) string {
	start := strings.LastIndexByte(p[:i], '/') + 1
	end := strings.IndexByte(p[i:], '/')
	if end < 0 {
		return p[start:]
	}
	return p[start : i+end]
}
