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
	// WebP is lossless WebP (VP8L) on output; lossy and lossless WebP are accepted as input.
	WebP
)

// ParseFormat parses an extension or f_ value: "jpg", "jpeg", "png", "gif" or "webp"
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
	}
	return FormatOriginal, badParam(s, "unknown image format: use jpg, png, gif or webp")
}

// String returns the canonical extension without a dot ("jpg", "png", "gif", "webp"),
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
	}
	return ""
}

// ContentType returns the MIME type ("image/jpeg", "image/png", "image/gif", "image/webp"),
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
	}
	return ""
}

// hasAlpha reports whether the format can carry transparency.
func (f Format) hasAlpha() bool { return f == PNG || f == GIF || f == WebP }
