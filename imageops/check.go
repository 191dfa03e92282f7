package imageops

import (
	"image/color"
	"math"
	"strconv"
)

// paramText returns the canonical "key_value" text of parameter k of s (for error messages about
// chains that were not just parsed).
func (s Step) paramText(k int) string {
	v := ""
	switch k {
	case keyW:
		v = s.Width.String()
	case keyH:
		v = s.Height.String()
	case keyC:
		v = s.Crop.String()
	case keyG:
		v = s.Gravity.String()
	case keyX:
		v = strconv.Itoa(s.X)
		if s.Effect.Name == EffectShadow {
			v = strconv.Itoa(s.Effect.DX)
		}
	case keyY:
		v = strconv.Itoa(s.Y)
		if s.Effect.Name == EffectShadow {
			v = strconv.Itoa(s.Effect.DY)
		}
	case keyAR:
		v = s.AspectRatio.String()
	case keyZ:
		v = formatDecimal(s.Zoom)
	case keyDPR:
		v = formatDecimal(s.DPR)
		if s.DPRAuto {
			v = "auto"
		}
	case keyQ:
		v = s.Quality.String()
	case keyF:
		v = s.Format.String()
		if s.FormatAuto {
			v = "auto"
		}
	case keyR:
		v = s.Radius.String()
	case keyB:
		v = s.Background.String()
		if s.BackgroundAuto.On {
			v = s.BackgroundAuto.String()
		}
	case keyCO:
		v = s.EffectColor.String()
	case keyFL:
		v = s.Flags.format(s.AttachmentName)
	case keyBO:
		v = s.Border.String()
	case keyA:
		v = s.angleString()
	case keyE:
		v = s.Effect.String()
	case keyD:
		v = s.Default
	case keyT:
		v = s.Named
	}
	return keyNames[k] + "_" + v
}

// crossCheck enforces the rules that involve more than one parameter of a component. param
// names a parameter in error messages (as written, or canonical).
func (s Step) crossCheck(param func(k int) string) *Error {
	mode := s.Crop.effective()
	focal := !s.Gravity.isCompass()
	hasW, hasH, hasAR := !s.Width.IsZero(), !s.Height.IsZero(), !s.AspectRatio.IsZero()
	hasXY := s.HasX || s.HasY
	switch {
	case s.Crop != CropDefault && !hasW && !hasH && !hasAR && !(mode == CropCrop && (hasXY || focal)):
		return badParam(param(keyC), "c_%s needs w_, h_ or ar_", mode)
	case hasAR && hasW && hasH:
		return badParam(param(keyAR), "ar_ cannot be combined with both w_ and h_")
	case hasAR && !hasW && !hasH && (mode == CropFit || mode == CropLimit || mode == CropMfit):
		return badParam(param(keyAR), "ar_ alone does nothing with c_%s: add w_ or h_", mode)
	case (s.DPR != 0 || s.DPRAuto) && !hasW && !hasH:
		return badParam(param(keyDPR), "dpr_ multiplies w_ and h_: add w_ or h_ (or put dpr_ in a component of its own, for the whole transformation)")
	case s.DPR != 0 && s.DPRAuto:
		return badParam(param(keyDPR), "dpr_ given twice")
	case mode == CropFillPad && s.Gravity != GravityAuto:
		return badParam(param(keyG), "c_fill_pad decides where to pad with g_auto: use g_auto (or no g_)")
	case s.BackgroundAuto.On && s.HasBackground:
		return badParam(param(keyB), "b_ given twice")
	case s.BackgroundAuto.On && !isPad(mode):
		return badParam(param(keyB), "b_auto is the colour of padding: it needs c_pad, c_lpad, c_mpad or c_fill_pad")
	case s.HasEffectColor && !usesEffectColor(s.Effect.Name):
		return badParam(param(keyCO), "co_ is the colour of e_colorize, e_outline and e_shadow: add one of them")
	case hasXY && mode != CropCrop:
		k := keyX
		if !s.HasX {
			k = keyY
		}
		return badParam(param(k), "x_ and y_ are the top-left corner of a c_crop region: they need c_crop")
	case hasXY && s.Gravity != GravityDefault && s.Gravity != GravityNorthWest:
		return badParam(param(keyG), "cannot be combined with x_/y_, which give the region's top-left corner (use g_north_west or no g_)")
	case s.Gravity != GravityDefault && s.Gravity != GravityCenter && s.Gravity.isCompass() && !usesCompassGravity(mode):
		// g_center is the default of every mode: spelling it out is not ignoring it.
		return badParam(param(keyG), "gravity has no effect with c_%s: it applies to c_fill, c_lfill, c_pad, c_lpad, c_mpad, c_crop and c_thumb", mode)
	case s.Gravity != GravityDefault && !s.Gravity.isCompass() && !usesFocalGravity(mode):
		return badParam(param(keyG), "g_%s applies to c_crop, c_fill, c_lfill, c_thumb and c_fill_pad, not c_%s", s.Gravity, mode)
	case s.Zoom != 0 && mode != CropCrop && mode != CropThumb:
		return badParam(param(keyZ), "z_ applies to c_crop and c_thumb only")
	case s.Zoom != 0 && !focal:
		return badParam(param(keyZ), "z_ zooms around the detected faces: it needs g_face, g_faces or g_auto")
	case s.Zoom != 0 && mode == CropCrop && (hasW || hasH):
		return badParam(param(keyZ), "with c_crop, z_ sets the size of the region around the faces, so it cannot be combined with w_ or h_ (use c_thumb for a zoomed thumbnail of a fixed size)")
	}
	return nil
}

func usesCompassGravity(m CropMode) bool {
	switch m {
	case CropFill, CropLfill, CropPad, CropLpad, CropMpad, CropCrop, CropThumb:
		return true
	}
	return false
}

func usesFocalGravity(m CropMode) bool {
	switch m {
	case CropCrop, CropFill, CropLfill, CropThumb, CropFillPad:
		return true
	}
	return false
}

// isPad reports whether mode m pads the image (so that b_auto has padding to colour).
func isPad(m CropMode) bool {
	switch m {
	case CropPad, CropLpad, CropMpad, CropFillPad:
		return true
	}
	return false
}

// usesEffectColor reports whether effect n takes its colour from co_.
func usesEffectColor(n EffectName) bool {
	return n == EffectColorize || n == EffectOutline || n == EffectShadow
}

// checkValues rejects field values the parser can never produce (for Steps built by hand), so
// that geometry never sees NaN, negative or absurd numbers.
func (s Step) checkValues() *Error {
	bad := func(k int, what string) *Error { return badParam(s.paramText(k), "%s out of range", what) }
	dimOK := func(d Dim) bool {
		if d.Auto {
			return d.Px == 0 && d.Frac == 0 && d.AutoStep >= 0 && d.AutoStep <= maxPx && d.AutoFallback >= 0 && d.AutoFallback <= maxPx
		}
		return d.Px >= 0 && d.Px <= maxPx && !math.IsNaN(d.Frac) && d.Frac >= 0 && d.Frac <= 1 &&
			!(d.Px > 0 && d.Frac > 0) && d.AutoStep == 0 && d.AutoFallback == 0
	}
	switch {
	case !dimOK(s.Width):
		return bad(keyW, "width")
	case !dimOK(s.Height) || s.Height.Auto:
		return bad(keyH, "height")
	case int(s.Crop) >= len(cropNames):
		return bad(keyC, "crop mode")
	case int(s.Gravity) >= len(gravityNames):
		return bad(keyG, "gravity")
	case s.X < 0 || s.X > maxPx || (s.X != 0 && !s.HasX):
		return bad(keyX, "x")
	case s.Y < 0 || s.Y > maxPx || (s.Y != 0 && !s.HasY):
		return bad(keyY, "y")
	case s.Effect.DX < -maxPx || s.Effect.DX > maxPx || s.Effect.DY < -maxPx || s.Effect.DY > maxPx ||
		(s.Effect.Name != EffectShadow && (s.Effect.DX != 0 || s.Effect.DY != 0)):
		return bad(keyX, "shadow offset")
	case s.AspectRatio.W < 0 || s.AspectRatio.H < 0 || s.AspectRatio.W > maxRatio || s.AspectRatio.H > maxRatio ||
		(s.AspectRatio.W > 0) != (s.AspectRatio.H > 0) || math.IsNaN(s.AspectRatio.Dec) || s.AspectRatio.Dec < 0 ||
		(s.AspectRatio.Dec > 0 && (s.AspectRatio.Dec < 1.0/maxRatio || s.AspectRatio.Dec > maxRatio)):
		return bad(keyAR, "aspect ratio")
	case s.DPR != 0 && !(s.DPR >= minDPR && s.DPR <= maxDPR):
		return bad(keyDPR, "dpr")
	case s.Zoom != 0 && !(s.Zoom > 0 && s.Zoom <= maxZoom):
		return bad(keyZ, "zoom")
	case s.Quality < lowestQuality || s.Quality > 100:
		return bad(keyQ, "quality")
	case s.Format > lastFormat || (s.FormatAuto && s.Format != FormatOriginal):
		return bad(keyF, "format")
	case s.Radius.N < 0 || s.Radius.N > len(s.Radius.Px):
		return bad(keyR, "radius")
	case s.Border.Width < 0 || s.Border.Width > maxPx:
		return bad(keyBO, "border")
	case int(s.Angle) >= len(angleNames) || s.Rotate < 0 || s.Rotate >= 360 || s.AutoRotate > AutoRotateLeft ||
		(s.Rotate%90 == 0 && s.Rotate != 0) || (s.Rotate != 0 && s.Angle != AngleNone && s.Angle != AngleHFlip):
		return bad(keyA, "angle")
	case !s.Effect.valid():
		return bad(keyE, "effect")
	case s.HasEffectColor && !validColor(s.EffectColor):
		return bad(keyCO, "colour")
	case s.Flags >= FlagPNG8<<1 || (s.Flags&FlagPNG8 != 0 && s.Flags&FlagPNG24 != 0) ||
		(s.AttachmentName != "" && (s.Flags&FlagAttachment == 0 || !validName(s.AttachmentName))):
		return bad(keyFL, "flags")
	case s.BackgroundAuto.On && (s.BackgroundAuto.Mode > BgPredominantContrast || s.BackgroundAuto.NPalette < 0 ||
		s.BackgroundAuto.NPalette > maxPalette || !validColors(s.BackgroundAuto.Palette[:s.BackgroundAuto.NPalette])):
		return bad(keyB, "b_auto")
	case !s.BackgroundAuto.On && s.BackgroundAuto != (BackgroundAuto{}):
		return bad(keyB, "b_auto")
	case s.HasBackground && !validColor(s.Background):
		return bad(keyB, "colour")
	case s.Border.Width > 0 && !validColor(s.Border.Color):
		return bad(keyBO, "border colour")
	case s.Default != "" && !validName(s.Default):
		return bad(keyD, "default image name")
	case s.Named != "" && !validNamedList(s.Named):
		return bad(keyT, "named transformation")
	}
	return nil
}

// Check rejects, as KindBadParam naming the parameter, what is knowable from the transformation
// alone: at most lim.MaxComponents components, the per-component rules of ParseChain (re-checked, for chains built by hand) and px sizes
// that, after dpr_ (and ar_ for the derived side), exceed lim.MaxOutputSide — whatever the crop
// mode, so c_limit,w_3000 is refused under the default 2048 px limit even for a small source.
// Zero fields of lim mean the defaults. Sizes that depend on the source (fractions, c_limit of a
// large image, ...) are checked by Transform (KindOutputLimit).
func (c Chain) Check(lim Limits) error {
	lim = lim.WithDefaults()
	if len(c.Steps) > lim.MaxComponents {
		return badParam(c.Steps[lim.MaxComponents].String(), "a transformation has at most %d components", lim.MaxComponents)
	}
	maxSide := float64(lim.MaxOutputSide)
	for _, s := range c.Steps {
		if err := s.checkValues(); err != nil {
			return err
		}
		if err := s.crossCheck(s.paramText); err != nil {
			return err
		}
		dpr := s.DPR
		if dpr == 0 {
			dpr = 1
		}
		var w, h float64
		if s.Width.Px > 0 {
			w = math.Round(float64(s.Width.Px) * dpr)
			if w > maxSide {
				return badParam(s.paramText(keyW), "%s px%s is more than the output limit of %d px", formatNumber(w), afterDPR(s), lim.MaxOutputSide)
			}
		}
		if s.Height.Px > 0 {
			h = math.Round(float64(s.Height.Px) * dpr)
			if h > maxSide {
				return badParam(s.paramText(keyH), "%s px%s is more than the output limit of %d px", formatNumber(h), afterDPR(s), lim.MaxOutputSide)
			}
		}
		if ar := s.AspectRatio.Value(); ar > 0 && s.Width.Frac == 0 && s.Height.Frac == 0 {
			if w > 0 && h == 0 && math.Round(w/ar) > maxSide {
				return badParam(s.paramText(keyAR), "with %s the height would be %s px, more than the output limit of %d px",
					s.paramText(keyW), formatNumber(math.Round(w/ar)), lim.MaxOutputSide)
			}
			if h > 0 && w == 0 && math.Round(h*ar) > maxSide {
				return badParam(s.paramText(keyAR), "with %s the width would be %s px, more than the output limit of %d px",
					s.paramText(keyH), formatNumber(math.Round(h*ar)), lim.MaxOutputSide)
			}
		}
		if s.Border.Width > 0 && 2*s.Border.Width >= lim.MaxOutputSide {
			return badParam(s.paramText(keyBO), "a border this wide cannot fit in the output limit of %d px", lim.MaxOutputSide)
		}
	}
	return nil
}

// validColor reports whether c prints as a colour parseColor reads back: a known name with its
// own value, or no name.
func validColor(c Color) bool {
	if c.Name == "" {
		return true
	}
	v, ok := namedColor(c.Name)
	return ok && v == (color.NRGBA{R: c.R, G: c.G, B: c.B, A: c.A})
}

// valid reports whether e holds values the parser can produce (for Steps built by hand).
func (e Effect) valid() bool {
	if int(e.Name) >= len(effectSpecs) {
		return false
	}
	spec := effectSpecs[e.Name]
	switch {
	case e.Name == EffectNone:
		return e == Effect{}
	case e.HasValue && (e.Value < spec.min || e.Value > spec.max):
		return false
	case !e.HasValue && e.Value != 0:
		return false
	case spec.value == noValue && e.HasValue:
		return false
	case e.Name != EffectImprove && e.Name != EffectOutline && e.Mode != "":
		return false
	case e.Name == EffectImprove && e.Mode != "" && e.Mode != "indoor" && e.Mode != "outdoor":
		return false
	case e.Name == EffectOutline && e.Mode != "" && !outlineModes[e.Mode]:
		return false
	case (e.HasValue2 || e.Value2 != 0) && (e.Name != EffectOutline || e.Value2 < 0 || e.Value2 > 2000 || !e.HasValue2):
		return false
	case e.HasColor && (e.Name != EffectTrim || !validColor(e.Color)):
		return false
	case !e.HasColor && e.Color != (Color{}):
		return false
	case (e.Equalize || e.NStops != 0) && e.Name != EffectTint:
		return false
	case e.NStops < 0 || e.NStops > maxTintStops:
		return false
	}
	for i, st := range e.Stops {
		if i >= e.NStops {
			if st != (TintStop{}) {
				return false
			}
			continue
		}
		if !validColor(st.Color) || st.Pos < 0 || st.Pos > 100 || (!st.HasPos && st.Pos != 0) {
			return false
		}
	}
	return true
}

// validColors reports whether every colour of cs is valid.
func validColors(cs []Color) bool {
	for _, c := range cs {
		if !validColor(c) {
			return false
		}
	}
	return true
}

// afterDPR says " after dpr_" when the step has one, for messages about sizes.
func afterDPR(s Step) string {
	if s.DPR > 0 {
		return " after " + s.paramText(keyDPR)
	}
	return ""
}

// formatNumber prints a whole float without exponent.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
