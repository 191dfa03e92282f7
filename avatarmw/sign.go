package avatarmw

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"net/http"
)

// Sign returns the Cloudinary delivery-URL signature of text with secret: the first 8 characters of
// the URL-safe base64 of SHA-1(text + secret), or, when long is true, the first 32 characters of
// that of SHA-256(text + secret). text is every transformation component and then the identifier
// with its extension, joined by '/' exactly as they appear in the URL; the prefix, the type and the
// version are not signed, as on Cloudinary. The URL carries it as the segment "s--<signature>--".
//
// It is what Cloudinary's SDKs compute, so URLs they build with the same secret are accepted, and
// apps in other languages can build avatarkit URLs with their Cloudinary SDK.
func Sign(secret, text string, long bool) string {
	if long {
		return digest(sha256.New(), secret, text)[:longSignatureLen]
	}
	return digest(sha1.New(), secret, text)[:shortSignatureLen]
}

func digest(h hash.Hash, secret, text string) string {
	h.Write([]byte(text))
	h.Write([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// verifySignature reports whether sig signs text with one of secrets. A short (8 character)
// signature may be SHA-1 (Cloudinary's default) or SHA-256 (its signature_algorithm=sha256); a
// long one is SHA-256. Every candidate is computed and compared in constant time, so the time
// taken does not tell which secret or which prefix came close.
func verifySignature(secrets []string, sig, text string) bool {
	ok := 0
	for _, secret := range secrets {
		if len(sig) == longSignatureLen {
			ok |= subtle.ConstantTimeCompare([]byte(sig), []byte(digest(sha256.New(), secret, text)[:longSignatureLen]))
			continue
		}
		ok |= subtle.ConstantTimeCompare([]byte(sig), []byte(digest(sha1.New(), secret, text)[:shortSignatureLen]))
		ok |= subtle.ConstantTimeCompare([]byte(sig), []byte(digest(sha256.New(), secret, text)[:shortSignatureLen]))
	}
	return ok == 1
}

// checkSignature applies the signing rules (docs/security.md) to a parsed request: a restricted type needs a valid
// signature (401 without, 403 wrong); with strict transformations, an unsigned URL may use named
// transformations only (403). A signature present on any URL must be valid: a wrong one is never
// ignored.
func (h *Handler) checkSignature(r parsed) error {
	if r.Signature != "" {
		if len(h.secrets) == 0 {
			return &statusError{code: http.StatusForbidden, msg: "s--" + r.Signature + "--: this server has no signing secret, so no signature can be valid"}
		}
		if !verifySignature(h.secrets, r.Signature, r.signed) {
			return &statusError{code: http.StatusForbidden, msg: "s--" + r.Signature + "--: wrong signature for " + r.signed}
		}
		return nil
	}
	if h.restricted[r.Type] {
		return &statusError{code: http.StatusUnauthorized, msg: r.Type + " is a restricted type: its URLs must be signed (s--<signature>--)"}
	}
	if h.strict && r.Transformation != "" && !r.named {
		return &statusError{code: http.StatusForbidden, msg: "strict transformations: an unsigned URL may use only named transformations (t_<name>), not " + r.Transformation}
	}
	return nil
}
