package fetch

import "bytes"

// SniffImage returns the content type of an image file from its first bytes: "image/jpeg" (FF D8 FF),
// "image/png" (the 8-byte PNG signature), "image/gif" (GIF87a or GIF89a) or "image/webp"
// ("RIFF", 4 size bytes, "WEBP"). It returns "" for anything else, whatever a Content-Type header
// may have claimed.
func SniffImage(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}
