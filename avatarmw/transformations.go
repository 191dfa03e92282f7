package avatarmw

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

// parseNamed parses the definition of a named transformation (Config.NamedTransformations).
func parseNamed(name, tr string) (imageops.Chain, error) {
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
	type pref struct{ named, wild, refused bool }
	var prefs [imageops.WebP + 1]pref
	all := []imageops.Format{imageops.WebP, imageops.PNG, imageops.JPEG, imageops.GIF}
	for _, line := range header {
		for _, item := range strings.Split(line, ",") {
			mt, params, _ := strings.Cut(item, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			refused := false
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					refused = err == nil && q <= 0
				}
			}
			switch mt {
			case "*/*", "image/*":
				for _, f := range all {
					prefs[f].wild = prefs[f].wild || !refused
				}
			default:
				f, ok := map[string]imageops.Format{
					"image/webp": imageops.WebP, "image/png": imageops.PNG, "image/jpeg": imageops.JPEG,
					"image/jpg": imageops.JPEG, "image/pjpeg": imageops.JPEG, "image/gif": imageops.GIF,
				}[mt]
				if ok {
					prefs[f].named = prefs[f].named || !refused
					prefs[f].refused = prefs[f].refused || refused
				}
			}
		}
	}
	var out []imageops.Format
	for _, f := range all {
		// A type named with q=0 is refused even when a wildcard would take it (the more
		// specific range wins).
		if p := prefs[f]; p.named || p.wild && !p.refused {
			out = append(out, f)
		}
	}
	return out
}
