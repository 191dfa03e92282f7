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

// acceptedFormats returns the output formats an Accept header accepts (RFC 9110 §12.5.1):
// image/webp, image/png, image/jpeg and image/gif by name, and all of them through image/* or
// */*, except those given q=0. nil when the request has no Accept header or accepts none of them:
// f_auto then keeps the format the URL would have without it.
func acceptedFormats(header []string) []imageops.Format {
	if len(header) == 0 {
		return nil
	}
	// The most specific range that matches a format decides (RFC 9110 §12.5.1): its own type,
	// then image/*, then */*. 0: not mentioned; 1: accepted; -1: refused (q=0).
	var named, image, any [imageops.WebP + 1]int8
	all := []imageops.Format{imageops.WebP, imageops.PNG, imageops.JPEG, imageops.GIF}
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
				for _, f := range all {
					any[f] = merge(any[f], verdict)
				}
			case "image/*":
				for _, f := range all {
					image[f] = merge(image[f], verdict)
				}
			default:
				if f, ok := acceptTypes[mt]; ok {
					named[f] = merge(named[f], verdict)
				}
			}
		}
	}
	var out []imageops.Format
	for _, f := range all {
		v := named[f]
		if v == 0 {
			v = image[f]
		}
		if v == 0 {
			v = any[f]
		}
		if v > 0 {
			out = append(out, f)
		}
	}
	return out
}

// merge combines what two mentions of one range say: accepted if either accepts.
func merge(was, now int8) int8 {
	if was == 0 {
		return now
	}
	return max(was, now)
}

// acceptTypes are the media types of the output formats as Accept headers name them.
var acceptTypes = map[string]imageops.Format{
	"image/webp": imageops.WebP, "image/png": imageops.PNG, "image/jpeg": imageops.JPEG,
	"image/jpg": imageops.JPEG, "image/pjpeg": imageops.JPEG, "image/gif": imageops.GIF,
}
