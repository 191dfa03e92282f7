package imageops

// Encoder settings by output size, chosen so that one encode of the largest output (2048×2048)
// stays well inside a CPU budget of about a second on one core, and small outputs (avatars)
// get the encoders' better settings. encodecost.go has what each costs.

// Pixel counts at which the encoders switch to cheaper settings.
const (
	webpMethod4MaxPixels = 512 * 512   // lossy WebP: method 4 (libwebp's default) up to here,
	webpMethod2MaxPixels = 1024 * 1024 // then method 2 up to here, then method 0
	avifSpeed8MaxPixels  = 512 * 512   // AVIF: speed 8 up to here, then speed 10
)

// webpMethod returns libwebp's lossy effort (0 fastest – 6 slowest) for an output of px pixels.
func webpMethod(px int, fast bool) int {
	switch {
	case fast || px > webpMethod2MaxPixels:
		return 0
	case px > webpMethod4MaxPixels:
		return 2
	}
	return 4
}

// avifSpeed returns libaom's speed (0 slowest – 10 fastest) for an output of px pixels.
func avifSpeed(px int, fast bool) int {
	if fast || px > avifSpeed8MaxPixels {
		return 10
	}
	return 8
}
