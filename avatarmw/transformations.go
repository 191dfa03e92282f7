package avatarmw

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

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
