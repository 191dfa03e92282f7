package imageops

// Format is an output (or source) image format.
type Format uint8

const (
	// FormatOriginal keeps the source's format (as an output format); it is also the zero value.
	FormatOriginal Format = iota
	// JPEG is baseline JPEG (output quality from q_, default 82).
	JPEG
	// PNG keeps alpha.
	PNG
	// GIF is a single frame with a 256-colour palette (one entry transparent when needed).
	GIF
	// WebP is lossy WebP (VP8) for photographs and lossless WebP (VP8L) for pictures kept
	// lossless (see [Quality] and the package documentation); both are accepted as input.
	WebP
	// AVIF is lossy AVIF (AV1, 8-bit, 4:2:0, alpha kept). It is an output format only.
	AVIF
)

// lastFormat is the largest valid Format.
const lastFormat = AVIF

// ParseFormat parses an extension or f_ value: "jpg", "jpeg", "png", "gif", "webp" or "avif"
// (lower case only). Anything else, "" included, is an *Error of kind KindBadParam.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "jpg", "jpeg":
		return JPEG, nil
	case "png":
		return PNG, nil
	case "gif":
		return GIF, nil
	case "webp":
		return WebP, nil
	case "avif":
		return AVIF, nil
	}
	return FormatOriginal, badParam(s, "unknown image format: use jpg, png, gif, webp or avif")
}

// String returns the canonical extension without a dot ("jpg", "png", "gif", "webp", "avif"),
// or "" for FormatOriginal.
func (f Format) String() string {
	switch f {
	case JPEG:
		return "jpg"
	case PNG:
		return "png"
	case GIF:
		return "gif"
	case WebP:
		return "webp"
	case AVIF:
		return "avif"
	}
	return ""
}

// ContentType returns the MIME type ("image/jpeg", "image/png", "image/gif", "image/webp",
// "image/avif"),
// or "" for FormatOriginal.
func (f Format) ContentType() string {
	switch f {
	case JPEG:
		return "image/jpeg"
	case PNG:
		return "image/png"
	case GIF:
		return "image/gif"
	case WebP:
		return "image/webp"
	case AVIF:
		return "image/avif"
	}
	return ""
}

// hasAlpha reports whether the format can carry transparency.
func (f Format) hasAlpha() bool { return f == PNG || f == GIF || f == WebP || f == AVIF }
