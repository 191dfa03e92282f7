// Package imageops is avatarkit's pixel layer: it parses a Cloudinary-style transformation
// (URL path components such as "c_fill,g_north,h_90,w_90/r_max") into a [Chain], prints its
// canonical form, and applies it to a source image — decoding with limits, turning JPEGs upright
// by their EXIF orientation, cropping, resizing, padding and encoding — in [Transform]. It knows
// nothing of HTTP, caches or social networks.
//
// # Geometry
//
// Each component works on the result of the one before; w_/h_ fractions are relative to that
// current image, and dpr_ multiplies w_ and h_ (fractions included). A box w×h is derived as
// follows: a side that is not given keeps the current image's aspect ratio, or comes from ar_
// when ar_ is given with one side. ar_ alone (no w_, h_): c_scale keeps the width and sets the
// height to width/ar; c_crop, c_fill, c_lfill and c_thumb take the largest region of that ratio
// (placed by gravity, no scaling); c_pad, c_lpad and c_mpad pad to the smallest box of that ratio
// around the image; with c_fit, c_limit and c_mfit it is an error (it would do nothing).
//
//   - scale (the default): exactly w×h, aspect ratio not kept when both are given.
//   - fit: the largest size that fits inside w×h, keeping the ratio.
//   - limit: fit, but an image already inside the box is left as it is (never upscales).
//   - mfit: fit, but only when that enlarges the image; otherwise left as it is.
//   - fill, thumb: cover w×h keeping the ratio and cut the overflow by gravity; exactly w×h.
//     Implemented as: take the largest region of ratio w:h (by gravity) and resize it to w×h.
//     With only one side given there is nothing to cut: a resize keeping the ratio. c_thumb is
//     c_fill with compass gravity for now (face detection comes later).
//   - lfill: fill that never upscales: the box is first clipped to the image (min(w, image
//     width) × min(h, image height)), then filled. So 400×200 with w_800,h_100 gives 400×100
//     (cut from the middle, not scaled), as Cloudinary does; a source smaller than the box in
//     both sides is left as it is.
//   - pad: fit inside w×h, then pad to exactly w×h, the image placed by gravity. The padding is
//     b_, or transparent when b_ is not given (formats without alpha then flatten it onto the
//     chain's background, white by default, so JPEG padding is white).
//   - lpad: pad that never upscales: a small image keeps its size and is padded to w×h.
//   - mpad: pad that only upscales: an image that would have to shrink is left as it is.
//   - crop: cut a w×h region with no scaling, placed by gravity, or with its top-left corner at
//     x_,y_ (x_ and y_ need c_crop and no gravity other than north_west; a missing one is 0;
//     with neither w_ nor h_ the region runs to the image's edges). The region is clipped to the
//     image; a region entirely outside it is a KindBadParam error naming x_ or y_.
//
// Gravity (g_) is accepted only where it has an effect (fill, lfill, pad, lpad, mpad, crop,
// thumb); g_face, g_faces and g_auto only with crop, fill, lfill and thumb. Sizes are rounded
// to whole px, at least 1.
//
// Every result and intermediate result must fit in Limits.MaxOutputSide, else Transform returns
// KindOutputLimit naming the component (the empty chain on a larger source included).
//
// # Colours and formats
//
// b_ takes rgb:RGB, rgb:RRGGBB, rgb:RRGGBBAA (hex, canonical lower case; 3 digits are expanded,
// an opaque alpha is dropped) or a lower-case CSS name: transparent white black red green lime
// blue yellow orange purple pink brown gray (grey) silver cyan magenta navy teal maroon olive.
// The last b_ of the chain is also what JPEG output flattens alpha onto (default white).
// f_jpeg is accepted and printed as f_jpg. q_ sets JPEG quality (default and q_auto: 82); PNG,
// GIF and WebP (lossless) ignore it. Output never carries metadata.
//
// # Concurrency and GOMAXPROCS
//
// Transform is safe for concurrent use and keeps no state between calls.
//
// bild (github.com/anthonynsimon/bild) sets GOMAXPROCS to the number of CPUs in its init, which
// defeats Go's container-aware default. imageops does not import bild today (crops are
// sub-images, EXIF orientation is done here, resizing is imageops/internal/resize), but effects
// will; so this package's init restores the default with runtime.SetDefaultGOMAXPROCS, unless
// the GOMAXPROCS environment variable is set (which that function would ignore).
package imageops

import (
	"os"
	"runtime"
)

func init() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.SetDefaultGOMAXPROCS()
	}
}
