package avatarmw

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

// TemplateFuncs returns functions for html/template (text/template takes them too) that write
// avatar URLs with h's URL builder: checked as a request would be, canonical, and signed when the
// handler has Secrets.
//
//	t := template.Must(template.New("page").Funcs(avatars.TemplateFuncs()).Parse(page))
//
//	<img src="{{avatar "facebook" .FacebookID "c_thumb,g_face,h_90,w_90" "jpg"}}"
//	     srcset="{{avatarSrcset "facebook" .FacebookID "c_thumb,g_face,h_90,w_90" "jpg"}}"
//	     width="90" height="90" alt="">
//
// avatar TYPE ID [TRANSFORMATION [FORMAT]] returns the URL path, prefix included:
// "/avatars/facebook/c_thumb,g_face,h_90,w_90/65646572251.jpg". ID is a string, an integer or a
// fmt.Stringer; FORMAT is an extension ("jpg", "png", "gif", "webp", "avif"), "" or absent to keep the
// original's. The URL is a string, so html/template escapes it like any URL (avatar URLs have
// nothing to escape).
//
// avatarSrcset TYPE ID TRANSFORMATION [FORMAT] returns the same picture at 1×, 2× and 3× for an
// img srcset attribute: "<url> 1x, <url dpr_2.0> 2x, <url dpr_3.0> 3x". It adds dpr_ to the last
// component that sets a size in pixels (w_ or h_), so the transformation must set one, and must
// not set dpr_ itself; when the size is inside named transformations (t_fb_square), the URLs
// spell them out (c_fill,g_face,h_50,w_50). dpr_ multiplies that component's w_ and h_ only: a bo_ border or
// an r_ radius in pixels keeps its thickness on the 2× picture, so it looks half as thick, and on
// a c_crop component a larger region is cut (size a crop in a component of its own: c_crop,.../w_90).
// A density whose size would exceed Config.Limits' output limit is left out (the browser scales
// the largest one there is). The result is a template.Srcset, written as it is: every character
// of an avatar URL is safe in an attribute, and html/template would otherwise take the commas
// inside a transformation for the separators between candidates. A Prefix with characters outside
// [A-Za-z0-9_~.,:/-] makes avatarSrcset fail for that reason.
//
// A bad avatar is an error, never an empty or broken URL: an unknown type, an identifier that
// breaks its type's rule, a transformation or format the handler would refuse (an unknown
// parameter, a t_ or d_ that is not configured, a size beyond the limits), or the wrong number of
// arguments. The template's Execute stops there and returns an error that names the function and
// the offending part, such as
//
//	template: page:3:12: executing "page" at <avatar>: error calling avatar: facebook "65646572251" "w_ninety": w_ninety: width must be a positive integer or a fraction in (0,1]
//
// so a typo in a template shows the first time the page is rendered. Execute into a buffer and
// write the page only when it succeeds (a 500 otherwise), as html/template's own errors need
// anyway. When identifiers come from users, check them when they are stored, with h.URL, so that
// one bad identifier cannot stop a page.
func (h *Handler) TemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"avatar":       h.templateURL,
		"avatarSrcset": h.templateSrcset,
	}
}

// templateURL is the template function avatar.
func (h *Handler) templateURL(typ string, id any, rest ...string) (string, error) {
	a, err := templateAvatar("avatar", typ, id, rest)
	if err != nil {
		return "", err
	}
	u, err := h.URL(a)
	if err != nil {
		return "", fmt.Errorf("%s: %w", describe(a), err)
	}
	return u, nil
}

// srcsetDensities are the pixel densities avatarSrcset writes.
var srcsetDensities = []int{1, 2, 3}

// templateSrcset is the template function avatarSrcset.
func (h *Handler) templateSrcset(typ string, id any, rest ...string) (template.Srcset, error) {
	a, err := templateAvatar("avatarSrcset", typ, id, rest)
	if err != nil {
		return "", err
	}
	fail := func(err error) (template.Srcset, error) {
		return "", fmt.Errorf("%s: %w", describe(a), err)
	}
	if a.Transformation == "" {
		return fail(fmt.Errorf("avatarSrcset needs a transformation with w_ or h_ to multiply"))
	}
	chain, err := imageops.ParseChain(strings.Split(a.Transformation, "/"))
	if err != nil {
		return fail(err)
	}
	sized := srcsetSized(chain)
	if sized == -1 {
		// The size is inside a named transformation (t_x_normal): the URLs spell it out.
		if chain, err = chain.Expand(h.named); err != nil {
			return fail(err)
		}
		a.Transformation = chain.String()
		sized = srcsetSized(chain)
	}
	switch {
	case sized == -2:
		return fail(fmt.Errorf("avatarSrcset sets dpr_ itself: remove dpr_ from %q", a.Transformation))
	case sized < 0:
		return fail(fmt.Errorf("avatarSrcset needs a size in pixels (w_ or h_) to multiply"))
	}
	var b strings.Builder
	for _, d := range srcsetDensities {
		da := a
		if d > 1 {
			chain.Steps[sized].DPR = float64(d)
			da.Transformation = chain.String()
		}
		u, err := h.URL(da)
		if err != nil {
			if d > 1 {
				break // beyond the output limit: the 1× URL was fine
			}
			return fail(err)
		}
		if strings.IndexFunc(u, func(r rune) bool { return !isSrcsetURLChar(r) }) >= 0 {
			return fail(fmt.Errorf("the URL %q has characters a srcset cannot carry as they are", u))
		}
		if d > 1 {
			b.WriteString(", ")
		}
		b.WriteString(u)
		b.WriteString(" " + strconv.Itoa(d) + "x")
	}
	return template.Srcset(b.String()), nil
}

// srcsetSized returns the index of the last component of chain that sets a size in pixels: the
// one avatarSrcset gives dpr_; -1 when there is none, -2 when a component sets dpr_.
func srcsetSized(chain imageops.Chain) int {
	sized := -1
	for i, s := range chain.Steps {
		if s.DPR != 0 {
			return -2
		}
		if s.Width.Px > 0 || s.Height.Px > 0 {
			sized = i
		}
	}
	return sized
}

// templateAvatar reads the arguments of a template function: TYPE ID [TRANSFORMATION [FORMAT]].
func templateAvatar(fn, typ string, id any, rest []string) (Avatar, error) {
	a := Avatar{Type: typ}
	switch v := id.(type) {
	case string:
		a.ID = v
	case int:
		a.ID = strconv.Itoa(v)
	case int64:
		a.ID = strconv.FormatInt(v, 10)
	case uint64:
		a.ID = strconv.FormatUint(v, 10)
	case int32:
		a.ID = strconv.FormatInt(int64(v), 10)
	case uint32:
		a.ID = strconv.FormatUint(uint64(v), 10)
	case uint:
		a.ID = strconv.FormatUint(uint64(v), 10)
	case fmt.Stringer:
		a.ID = v.String()
	default:
		return a, fmt.Errorf("%s %s: the identifier is a %T: want a string, an integer or a fmt.Stringer", fn, typ, id)
	}
	switch len(rest) {
	case 2:
		a.Format = rest[1]
		fallthrough
	case 1:
		a.Transformation = rest[0]
	case 0:
	default:
		return a, fmt.Errorf("%s %s %q: %d arguments after the identifier: want at most a transformation and a format", fn, typ, a.ID, len(rest))
	}
	return a, nil
}

// describe names an avatar in an error: `facebook "123" "w_90" "jpg"`.
func describe(a Avatar) string {
	s := a.Type + " " + strconv.Quote(a.ID)
	if a.Transformation != "" || a.Format != "" {
		s += " " + strconv.Quote(a.Transformation)
	}
	if a.Format != "" {
		s += " " + strconv.Quote(a.Format)
	}
	return s
}

// isSrcsetURLChar reports the characters an avatar URL may hold (the URL grammar's, '/' included),
// all of them safe in a srcset attribute as they are.
func isSrcsetURLChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_~.,:/-", r)
}
