package avatarmw

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

// builtinTransformations are the named transformations every handler knows: the networks' own
// size names. X's profile picture sizes and Facebook's square are face-centred squares; Facebook's
// small, normal and large are widths; the banner screens are X's sizes of a profile banner, filled
// (cropped to their ratio around the centre, as X crops them).
var builtinTransformations = map[string]string{
	"x_mini":               "c_fill,g_face,h_24,w_24",
	"x_normal":             "c_fill,g_face,h_48,w_48",
	"x_bigger":             "c_fill,g_face,h_73,w_73",
	"fb_square":            "c_fill,g_face,h_50,w_50",
	"fb_small":             "c_scale,w_50",
	"fb_normal":            "c_scale,w_100",
	"fb_large":             "c_scale,w_200",
	"banner_web":           "c_fill,h_260,w_520",
	"banner_web_retina":    "c_fill,h_520,w_1040",
	"banner_ipad":          "c_fill,h_313,w_626",
	"banner_ipad_retina":   "c_fill,h_626,w_1252",
	"banner_mobile":        "c_fill,h_160,w_320",
	"banner_mobile_retina": "c_fill,h_320,w_640",
	"banner_300x100":       "c_fill,h_100,w_300",
	"banner_600x200":       "c_fill,h_200,w_600",
	"banner_1500x500":      "c_fill,h_500,w_1500",
}

// builtinChains are builtinTransformations, parsed.
var builtinChains = func() map[string]imageops.Chain {
	m := make(map[string]imageops.Chain, len(builtinTransformations))
	for name, tr := range builtinTransformations {
		ch, err := imageops.ParseChain(strings.Split(tr, "/"))
		if err != nil {
			panic("avatarmw: built-in transformation t_" + name + ": " + err.Error())
		}
		m[name] = ch
	}
	return m
}()

// BuiltinTransformations returns the named transformations every handler knows, by name (a
// copy): the networks' own size names, so that an app that used to write X's _normal or
// Facebook's ?type=large asks for t_x_normal or t_fb_large, on any type, and gets that size.
//
//	t_x_mini, t_x_normal, t_x_bigger    X's profile picture sizes: 24, 48 and 73 px squares
//	t_fb_square                         Facebook's square: 50×50
//	t_fb_small, t_fb_normal, t_fb_large Facebook's widths: 50, 100 and 200 px wide
//	t_banner_web, t_banner_web_retina   X's banner sizes: 520×260, 1040×520,
//	t_banner_ipad, t_banner_ipad_retina 626×313, 1252×626,
//	t_banner_mobile, ..._mobile_retina  320×160, 640×320,
//	t_banner_300x100, t_banner_600x200, 300×100, 600×200
//	t_banner_1500x500                   and 1500×500
//
// The squares are face-centred (c_fill,g_face), the widths scaled (c_scale), the banner sizes
// filled around the centre (c_fill). Config.NamedTransformations may define a name of its own
// the same as a built-in one: it replaces it. Like every named transformation they are what
// unsigned URLs may use under StrictTransformations, and the limits are checked when a request
// names them (with Limits.MaxOutputSide under 1500, t_banner_1500x500 is a 400).
func BuiltinTransformations() map[string]string {
	return maps.Clone(builtinTransformations)
}

// parseNamed parses the definition of a named transformation (Config.NamedTransformations) and
// checks it as a request would be: within lim, and naming only default pictures that exist.
func parseNamed(name, tr string, lim imageops.Limits, defaults map[string]bool) (imageops.Chain, error) {
	if _, err := imageops.ParseChain([]string{"t_" + name}); err != nil {
		return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q]: the name must be letters, digits, '_' and '-' (at most 128)", name)
	}
	if tr == "" {
		return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q] is empty", name)
	}
	ch, err := imageops.ParseChain(strings.Split(tr, "/"))
	if err != nil {
		return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q]: %w", name, err)
	}
	for _, s := range ch.Steps {
		if s.Named != "" {
			return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q] uses t_%s: named transformations do not nest", name, s.Named)
		}
		if s.Default != "" && !defaults[s.Default] {
			return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q] uses d_%s, which is not in DefaultImages", name, s.Default)
		}
	}
	if err := ch.Check(lim); err != nil {
		return imageops.Chain{}, fmt.Errorf("avatarmw: NamedTransformations[%q]: %w", name, err)
	}
	return ch, nil
}

// takeDefault returns the chain's default picture (the last d_) and the chain without d_: a
// default picture changes which picture is transformed, not the pixels, so the variant's name
// does not hold it. A component that held only d_ goes away.
func takeDefault(c imageops.Chain) (string, imageops.Chain) {
	name := ""
	keep := true
	for _, s := range c.Steps {
		if s.Default != "" {
			name, keep = s.Default, false
		}
	}
	if keep {
		return "", c
	}
	out := imageops.Chain{Steps: make([]imageops.Step, 0, len(c.Steps))}
	for _, s := range c.Steps {
		s.Default = ""
		if s != (imageops.Step{}) {
			out.Steps = append(out.Steps, s)
		}
	}
	return name, out
}

// acceptedFormats returns the output formats an Accept header accepts, for f_auto: AVIF and
// WebP only when the header names them (image/avif, image/webp), as browsers that show them
// do; PNG, JPEG and GIF by name or through image/* or */* (RFC 9110 §12.5.1: the most specific
// range that matches decides). A format given q=0 is refused. The order is AVIF, WebP, PNG,
// JPEG, GIF; nil when the request has no Accept header or accepts none of them: f_auto then
// keeps the format the URL would have without it. So Safari 13's "image/*,*/*" gets JPEG or
// PNG, never WebP, and at most 2⁵ sets of formats come out of any header: the cache keeps at
// most that many variants of an f_auto URL.
func acceptedFormats(header []string) []imageops.Format {
	if len(header) == 0 {
		return nil
	}
	// 0: not mentioned; 1: accepted; -1: refused (q=0).
	var named, image, any [len(acceptOrder)]int8
	for _, line := range header {
		for _, item := range strings.Split(line, ",") {
			mt, params, _ := strings.Cut(item, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			verdict := int8(1)
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
						verdict = -1
					}
				}
			}
			switch mt {
			case "*/*":
				for i := range acceptOrder {
					any[i] = merge(any[i], verdict)
				}
			case "image/*":
				for i := range acceptOrder {
					image[i] = merge(image[i], verdict)
				}
			default:
				if f, ok := acceptTypes[mt]; ok {
					for i, g := range acceptOrder {
						if g == f {
							named[i] = merge(named[i], verdict)
						}
					}
				}
			}
		}
	}
	var out []imageops.Format
	for i, f := range acceptOrder {
		v := named[i]
		if v == 0 && f != imageops.AVIF && f != imageops.WebP {
			if v = image[i]; v == 0 {
				v = any[i]
			}
		}
		if v > 0 {
			out = append(out, f)
		}
	}
	return out
}

// acceptOrder are the formats f_auto can serve, in the order acceptedFormats lists them.
var acceptOrder = [...]imageops.Format{imageops.AVIF, imageops.WebP, imageops.PNG, imageops.JPEG, imageops.GIF}

// merge combines what two mentions of one range say: accepted if either accepts.
func merge(was, now int8) int8 {
	if was == 0 {
		return now
	}
	return max(was, now)
}

// acceptTypes are the media types of the output formats as Accept headers name them.
var acceptTypes = map[string]imageops.Format{
	"image/avif": imageops.AVIF, "image/webp": imageops.WebP, "image/png": imageops.PNG, "image/jpeg": imageops.JPEG,
	"image/jpg": imageops.JPEG, "image/pjpeg": imageops.JPEG, "image/gif": imageops.GIF,
}
