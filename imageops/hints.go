package imageops

import "math"

// Hints are what a request's client hints say, for w_auto and dpr_auto. Zero fields mean the
// request did not send the hint.
type Hints struct {
	// DPR is the device pixel ratio (Sec-CH-DPR, or the older DPR).
	DPR float64
	// Width is the width the picture will take on the screen, in device pixels (Sec-CH-Width,
	// or the older Width).
	Width int
}

// dprSteps are the device pixel ratios dpr_auto resolves to: a hint is rounded up to one of
// them, so hints make at most this many variants of a URL.
var dprSteps = [...]float64{1, 1.5, 2, 3, 4}

// UsesHints reports whether the chain has w_auto (width) or dpr_auto (dpr): its result then
// depends on the request's client hints, and the chain must be resolved with ResolveHints
// before it is transformed.
func (c Chain) UsesHints() (width, dpr bool) {
	for _, s := range c.Steps {
		width = width || s.Width.Auto
		dpr = dpr || s.DPRAuto
	}
	return width, dpr
}

// ResolveHints returns the chain with w_auto and dpr_auto replaced by the sizes the hints give
// (a chain without them is returned as it is). Zero fields of lim mean the defaults.
//
//   - dpr_auto: the hint's DPR rounded up to 1.0, 1.5, 2.0, 3.0 or 4.0 (1.0 without a hint),
//     lowered to the largest of these that keeps the component's w_ and h_ within
//     lim.MaxOutputSide.
//   - w_auto[:step[:fallback]]: the hint's width (device pixels) rounded up to a multiple of the
//     step (100 px by default) and capped at lim.MaxOutputSide. Without a Width hint: the
//     fallback (CSS pixels, so multiplied by the component's dpr_ like any w_), or, with no
//     fallback either, the image's own width (w_1.0). A width from the hint or w_1.0 is final:
//     the component's dpr_ is applied to its h_ only (folded into it).
//
// The result's String is the canonical form of an ordinary chain, so a hint-resolved request
// shares its cache entry with the URL that asks for the same size outright; widths rounded to
// the step and the few DPR values bound the variants one URL can make.
func (c Chain) ResolveHints(h Hints, lim Limits) Chain {
	width, dpr := c.UsesHints()
	if !width && !dpr {
		return c
	}
	lim = lim.WithDefaults()
	out := Chain{Steps: make([]Step, len(c.Steps))}
	for i, s := range c.Steps {
		if s.DPRAuto {
			s.DPRAuto = false
			s.DPR = resolveDPR(s, h, lim.MaxOutputSide)
		}
		if s.Width.Auto {
			s = resolveWidth(s, h.Width, lim.MaxOutputSide)
		}
		if s.DPR == 1 {
			s.DPR = 0
		}
		out.Steps[i] = s
	}
	return out
}

// resolveDPR returns the DPR dpr_auto takes in s for the hints h.
func resolveDPR(s Step, h Hints, maxSide int) float64 {
	hint := h.DPR
	d := 1.0
	if hint > 0 && !math.IsNaN(hint) {
		d = dprSteps[len(dprSteps)-1]
		for _, v := range dprSteps {
			if hint <= v+0.01 {
				d = v
				break
			}
		}
	}
	// The largest px side this component asks for; a w_auto width is final, not multiplied.
	side := 0.0
	if s.Width.Px > 0 && !s.Width.Auto {
		side = float64(s.Width.Px)
	}
	if s.Width.Auto && h.Width <= 0 && s.Width.AutoFallback > 0 { // the fallback is multiplied
		side = float64(s.Width.AutoFallback)
	}
	if s.Height.Px > 0 {
		side = math.Max(side, float64(s.Height.Px))
	}
	if ar := s.AspectRatio.Value(); ar > 0 && !s.Width.Auto {
		if s.Width.Px > 0 && s.Height.IsZero() {
			side = math.Max(side, float64(s.Width.Px)/ar)
		}
		if s.Height.Px > 0 && s.Width.IsZero() {
			side = math.Max(side, float64(s.Height.Px)*ar)
		}
	}
	for d > 1 && side > 0 && math.Round(side*d) > float64(maxSide) {
		for i := len(dprSteps) - 1; i >= 0; i-- {
			if dprSteps[i] < d {
				d = dprSteps[i]
				break
			}
		}
	}
	return d
}

// resolveWidth replaces s's w_auto by a width for the hint (0: none); s.DPR is already resolved.
func resolveWidth(s Step, hint, maxSide int) Step {
	auto := s.Width
	step := auto.AutoStep
	if step <= 0 {
		step = DefaultAutoStep
	}
	d := s.DPR
	if d == 0 {
		d = 1
	}
	var final int // device px, not to be multiplied by dpr_; 0: w_1.0
	switch {
	case hint > 0:
		final = min((hint+step-1)/step*step, maxSide)
	case auto.AutoFallback > 0:
		s.Width = Dim{Px: auto.AutoFallback} // CSS px: dpr_ applies as to any w_
		return s
	}
	if d != 1 && s.Height.Frac > 0 {
		// h_ is a fraction that dpr_ multiplies: keep dpr_ and divide the width by it.
		if final == 0 {
			s.Width = Dim{Frac: 1 / d}
			if s.Width.Frac > 1 || s.Width.Frac <= 0 {
				s.Width = Dim{Frac: 1}
			}
			return s
		}
		s.Width = Dim{Px: max(1, int(math.Ceil(float64(final)/d)))}
		return s
	}
	if s.Height.Px > 0 {
		s.Height = Dim{Px: max(1, int(math.Round(float64(s.Height.Px)*d)))}
	}
	s.DPR = 0
	if final == 0 {
		s.Width = Dim{Frac: 1}
	} else {
		s.Width = Dim{Px: final}
	}
	return s
}
