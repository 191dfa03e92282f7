// Package imageops is avatarkit's pixel layer: it parses a Cloudinary-style transformation
// (URL path components such as "c_fill,g_face,h_90,w_90/r_max") into a [Chain], prints its
// canonical form, and applies it to a source image — decoding with limits, turning JPEGs upright
// by their EXIF orientation, finding faces, cropping, resizing, padding, effects, rounded corners,
// borders, rotations and encoding — in [Transform] and [TransformWith]. It knows nothing of HTTP,
// caches or social networks.
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
//   - fill: cover w×h keeping the ratio and cut the overflow by gravity; exactly w×h.
//     Implemented as: take the largest region of ratio w:h (by gravity) and resize it to w×h.
//     With only one side given there is nothing to cut: a resize keeping the ratio.
//   - thumb: with compass gravity, fill. With g_face, g_faces or g_auto, a thumbnail of the
//     faces (see Faces): exactly w×h (a missing side keeps the image's ratio), scaled as needed.
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
//     image; a region entirely outside it is a KindBadParam error naming x_ or y_. With g_face,
//     g_faces or g_auto and neither w_ nor h_, the region is the faces with their margin (see
//     Faces).
//   - fill_pad: fill, except that when the largest region of the box's ratio cannot hold the
//     faces (grown by the margin c_thumb keeps, see Faces), the region of that ratio around the
//     faces is taken instead: it reaches beyond the image on one axis, and what is beyond is
//     padding (b_, b_auto, or transparent). It works with g_auto (given or not); without faces it
//     is fill with g_auto.
//   - auto (c_auto) is read as fill with g_auto (or the g_ given): c_auto,h_90,w_90 and
//     c_fill,g_auto,h_90,w_90 are one transformation.
//
// fl_ignore_aspect_ratio with only one of w_ and h_ keeps the image's other side as it is
// instead of its aspect ratio (c_scale,fl_ignore_aspect_ratio,w_100 of 400×200 is 100×200).
// a_auto_right and a_auto_left turn the image a quarter turn (clockwise, counter-clockwise)
// before the component's crop when the box asked for is landscape and the image portrait or the
// other way round (neither being square); without a box they do nothing.
//
// Gravity (g_) is accepted only where it has an effect (fill, lfill, pad, lpad, mpad, crop,
// thumb); g_face, g_faces and g_auto only with crop, fill, lfill, thumb and fill_pad. Sizes are
// rounded to whole px, at least 1.
//
// # Device pixel ratio and client hints
//
// dpr_ multiplies the w_ and h_ of its component. A component that holds only dpr_ (Cloudinary's
// url-gen writes c_fill,h_90,w_90/dpr_2.0) applies to every component with w_ or h_ and no dpr_
// of its own, wherever it stands; when there is none, it scales the image where it stands
// (r_max/dpr_2.0 is r_max/dpr_2.0,w_1.0). dpr_1.0 alone does nothing.
//
// dpr_auto and w_auto[:step[:fallback]] depend on the request: [Chain.ResolveHints] replaces them
// with the sizes the client hints give (see there), before the chain is transformed.
//
// Every result and intermediate result must fit in Limits.MaxOutputSide, else Transform returns
// KindOutputLimit naming the component (the empty chain on a larger source included).
//
// # Faces
//
// [Analyze] finds the faces of a source with the trained cascade of pigo (github.com/esimov/pigo,
// pure Go; embedded in imageops/internal/faces with its MIT licence, run by a loop of our own)
// on a grid of the picture's luma averaged down to a short side of 320 px (at most 320×960 px in
// all), whatever its aspect ratio: coarse scans propose candidates — the whole picture for faces
// from 1/8 of the short side up (on a square picture), its most detailed parts, within a bounded
// number of windows, for faces down to 1/16 of it — and fine searches around the best candidates
// decide (see analysis.go for the steps and their measured thresholds). On avatarkit's evaluation
// set of real photographs (internal/facephotos) it finds every face a careful full-resolution
// pigo run finds, and nothing in the photographs without people. It also measures where the
// picture's detail is (edge energy on a grid of 32 cells along the long side). Its [Analysis] is
// in the upright source's coordinates, and each component sees the faces where the components
// before it moved them (crops, scales, pads, borders, rotations; a face less than half of which
// is left is no longer seen).
//
//   - g_face keeps the largest face; g_faces the box around all faces; g_auto the box around all
//     faces, or, when there is none, the region with the most detail. g_face:auto and
//     g_auto:face are g_face with g_auto's fallback; g_faces:auto is g_faces with it;
//     g_face:center and g_faces:center are g_face and g_faces (the centre is their fallback).
//   - c_fill and c_lfill: the region (the largest of the box's ratio) is placed so that the face
//     box is as centred in it as the image allows.
//   - c_crop with w_/h_: a w×h region (clipped to the image) centred on the face box, no scaling.
//     x_ and y_ do not offset it (they cannot be combined with focal gravity: KindBadParam).
//   - c_thumb, and c_crop without w_ and h_: the head and a little shoulder — the face box grown
//     by 0.55 of its side on the left and right, 0.45 above and 0.85 below (2.1 face sides wide,
//     2.3 tall, the face 41 % of the way down) — grown to the box's aspect ratio (c_thumb; c_crop:
//     ar_ if given, else as it is), fitted into the image keeping that ratio, centred on the faces
//     so grown (moved inside the image), then scaled to w×h (c_thumb) or cut as it is (c_crop).
//   - z_ (c_thumb, and c_crop without w_ and h_; it needs focal gravity) divides that region's
//     size: z_2.0 is twice as close, z_0.5 keeps twice the surroundings (as far as the image
//     goes). Combined with w_ or h_ in c_crop it would do nothing: KindBadParam.
//   - e_pixelate_faces[:n] (1–200, default 5) and e_blur_faces[:n] (1–2000, default 100) hide
//     every face found, with a margin of a fifth of its side: n×n px blocks, or a Gaussian of
//     standard deviation n/1000 of the face's side (so a face is hidden alike at any size). Both
//     cost the same whatever n; without faces the picture is left as it is.
//
// When no face is found, g_face and g_faces fall back to the centre: the result is exactly that
// of g_center (c_crop without w_/h_: the whole image), except that z_ still zooms (into the
// centre). g_auto (and the :auto forms) without faces places the same region where the detail
// is: of the positions the region can take (33 along each free axis, and the centre), the one
// whose area holds the most edge energy, the one nearest the centre on a tie (so a picture
// without detail is cut in the middle).
//
// Analysing costs less than the previous analysis on a 160² copy did on a 1024² picture, and
// under twice that on a 1600×500 banner (BENCHMARKS.md); it needs a decode of 512 px on the
// short side only (a JPEG is decoded at 1/2, 1/4 or 1/8 for it), so a cold face thumbnail of a
// 1024² JPEG decodes once, at half its size. [Analysis.MarshalBinary] (under a kilobyte) lets a
// cache keep the analysis next to the original and pass it to every [TransformWith] of that
// original, so twenty sizes of one avatar detect faces once.
//
// # Finishing touches
//
// Within one component the order is: a_auto_right/a_auto_left, e_trim; crop, resize and pad;
// then e_ (e_outline and e_shadow after r_ and bo_, so that they follow the rounded, bordered
// shape); then r_; then bo_; then a_. (So "c_fill,h_90,w_90,r_max,bo_2px_solid_white" is a
// circle with a white ring, and a_ turns the rounded, bordered picture.) Components apply in
// turn, so put a step in a component of its own to change the order.
//
//   - r_<px>: all corners; r_a:b, r_a:b:c, r_a:b:c:d: per corner as in CSS border-radius —
//     top-left, top-right, bottom-right, bottom-left; two values are top-left and bottom-right,
//     then top-right and bottom-left; three are top-left, then top-right and bottom-left, then
//     bottom-right. Radii that do not fit a side are scaled down together (r_ of half the side
//     makes a square a circle). r_max is the ellipse inscribed in the image (a circle when
//     square). Edges are anti-aliased. Outside the shape the picture is transparent in PNG and
//     WebP, transparent in GIF where less than half covered (its 1-bit transparency), and the
//     chain's last b_ colour (default white) in JPEG.
//   - bo_<n>px_solid_<colour>: a border added outside the picture (each side grows by n px;
//     the output limit counts it). It follows the shape of r_ in the same component: its outer
//     edge is n px outside the rounded corners or the ellipse; a square corner stays square. It
//     is a ring: a transparent picture stays transparent inside it.
//   - a_<degrees>: any whole number, clockwise (negative: counter-clockwise). Quarter turns swap
//     width and height; other angles turn the picture about its centre onto the canvas of its
//     bounding box (planned before decoding, so the output limit counts it), filled with the
//     component's b_ (default transparent, so white in JPEG), sampled bilinearly (anti-aliased
//     edges). a_hflip, a_vflip: mirror left-right, top-bottom. Several joined by '.' compose in
//     the order written (a_hflip.90 mirrors, then turns); the canonical form is the composed
//     turn (a_-90 is a_270, a_90.hflip is a_hflip.270, a_0 and a_360 are nothing).
//   - a_exif is the default (a JPEG is turned upright by its EXIF orientation) and does nothing;
//     a_ignore takes the source as stored, its EXIF orientation undone.
//   - e_: bild (github.com/anthonynsimon/bild) does the work, on un-premultiplied colour with
//     alpha kept for the colour effects, on premultiplied pixels for blur and pixelate (so
//     transparent pixels do not darken their neighbours). Cloudinary's ranges, mapped:
//     grayscale: bild's Grayscale (0.3 R + 0.6 G + 0.1 B). negate: Invert. sepia[:n], 1–100,
//     default 80: bild's Sepia mixed with the original, n % of it. brightness:n, −99–100:
//     Brightness(n/100), each channel × (1 + n/100). contrast:n, −100–100: Contrast(n/100)
//     (−100 is flat grey, 100 doubles the distance from mid-grey). saturation:n, −100–100:
//     Saturation(n/100) (−100 is grey, 100 doubles the HSL saturation). blur[:n], 1–2000,
//     default 100: a Gaussian of standard deviation n/20 px (5 px by default, 100 px at most;
//     bild's Gaussian(r) up to σ √10, the smallest being σ ≈ 1.4 px, larger ones on a copy
//     reduced by σ/2 and enlarged back). pixelate[:n], 1–200, default 5: n×n px blocks from the
//     top-left corner, each the average of its pixels. sharpen[:n], 1–2000, default 100: bild's
//     UnsharpMask with radius 0.2 (a 3-tap blur) and amount n/200 (0.5 by default, 10 at most).
//   - The newer effects, each in time per pixel that does not depend on its strength (blurs are
//     three box blurs with running sums, distances an exact linear-time transform). Values
//     spelled out with their default are dropped from the canonical form (e_vibrance:20 is
//     e_vibrance):
//     blackwhite[:n], 0–100, default 50: black where the luminance is under n % of white,
//     else white. vibrance[:n], −100–100, default 20: each channel moved away from (negative:
//     towards) the luminance by a factor 1 + n/100·(1 − saturation), so dull colours gain the
//     most. unsharp_mask[:n], 1–2000, default 100: p + n/100·(p − blur(p)), blur σ 1 px.
//     vignette[:n], 0–100, default 20: darkening towards the edges, by up to n %, from 1 − n/100
//     of the way to the edge's middle outwards. auto_contrast[:blend], auto_color[:blend],
//     0–100, default 100: the darkest and lightest 0.5 % of the luminance (one table for the
//     three channels) or of each channel (a white balance too) stretched to black and white,
//     the gain at most 3×, blended with the original. auto_brightness[:blend]: the gamma (0.5–2)
//     that brings the mean luminance to mid-grey. improve[:indoor|outdoor][:blend]: each channel
//     stretched as by auto_color, the gain at most 2×; indoor balances the channels' means first
//     (grey world). tint[:equalize][:amount][:colour[:<n>p]]..., amount 0–100 default 60, up to
//     10 colours, default red: the colours make a gradient over the luminance (one colour c:
//     black, c, white at 0, 50, 100 %; several: spread evenly unless <n>p places them), which
//     each pixel takes by its luminance (equalized first with equalize), blended by amount.
//     colorize[:n], 0–100, default 100, colour co_ (default gray): each pixel blended with the
//     colour by n %.
//     outline[:mode][:width][:blur], co_ (default black), width 1–100 (default 5), blur 0–2000
//     (σ = blur/20 px): a line along the edge of the picture's shape (alpha ≥ ½), outside it
//     (outer), inside it (inner, the picture's edge counting as the shape's), both (the
//     default); fill and inner_fill also paint the shape itself. The modes that draw outside
//     enlarge the canvas by width + 2σ on every side. shadow[:n], 0–100, default 40, co_ (default
//     gray), offset x_,y_ (default 8,8, may be negative): the shape's alpha, blurred (σ 4 px),
//     in the colour at n % opacity, under the picture; the canvas grows to hold it.
//     trim[:tolerance][:colour], 0–100, default 10: the edge rows and columns whose pixels are
//     all within tolerance % of the top-left pixel's colour (or of the colour given; transparent
//     edges when it is transparent) are cut. e_trim comes first in its component, and what
//     follows is planned again from the trimmed size; before decoding, the untrimmed size is
//     what the output limit is checked against.
//   - AI effects (background_removal, gen_*, upscale, enhance, cartoonify, …) and b_gen_fill
//     are refused (KindBadParam) with a reason that says they need an AI service.
//
// # Colours and formats
//
// b_ and co_ take rgb:RGB, rgb:RRGGBB, rgb:RRGGBBAA (hex, canonical lower case; 3 digits are
// expanded, an opaque alpha is dropped) or a lower-case CSS name: transparent white black red
// green lime blue yellow orange purple pink brown gray (grey) silver cyan magenta navy teal
// maroon olive. The last b_ of the chain is also what JPEG output flattens alpha onto (default
// white). b_auto[:mode][:palette_<colour>_...] (pad modes only) pads with a colour taken from
// the picture: the most frequent colour (in bins of 16 levels a channel) of its edge pixels
// (border, the default) or of the whole picture (predominant); the _contrast modes take its
// complement; a palette picks its colour nearest to that. Gradient modes are refused.
//
// fl_ takes flags joined by '.'. Kept, because they change the answer: lossy (a lossless
// original written as lossy WebP, and chosen for among the lossy formats by f_auto), png8 (PNG output quantised to 216
// web-safe colours, dithered, plus transparent), png24 (PNG output flattened onto b_, no alpha),
// ignore_aspect_ratio (see Geometry), attachment[:name] and immutable_cache (how the answer is
// delivered: [Chain.WithoutDelivery] removes them from what a cache names). Accepted and
// dropped, because they cannot change an avatar: any_format and preserve_transparency (what f_auto
// does anyway), progressive[:semi|steep|none], png32,
// force_icc, tiff8_lzw, strip_profile, force_strip, keep_iptc, keep_attribution (the output
// never carries metadata), animated, awebp, apng (GIFs give their first frame), sanitize,
// rasterize, clip, clip_evenodd, ignore_mask_channels (sources are never vector, layered or
// masked), layer_apply, relative, region_relative, tiled, no_overflow, cutter, text_no_trim,
// text_disallow_overflow (there are no overlays). Video flags and getinfo are refused. A
// component left with nothing but such no-ops (fl_progressive, a_exif, dpr_1.0) goes away.
// f_jpeg is accepted and printed as f_jpg. Output never carries metadata.
//
// Output formats: JPEG (image/jpeg, baseline 4:2:0), PNG, GIF (first frame, 216 colours), WebP
// and AVIF. WebP is lossy (VP8) when the result is a photograph: a JPEG or lossy WebP source,
// fl_lossy, or q_auto on a picture with the colours of a photograph; otherwise (a PNG, GIF or
// lossless WebP source: drawings, logos, identicons) it is lossless (VP8L), as Cloudinary keeps
// it. AVIF is always lossy (8-bit 4:2:0, alpha at most 5/255 off). The lossy WebP and AVIF
// encoders are libwebp and libavif/libaom compiled to WebAssembly and run by wazero (pure Go, no
// cgo): see [WarmUp] for their one-time start-up, and BENCHMARKS.md for what each costs.
// Lossless WebP is nativewebp's, in Go.
//
// q_ (1–100, q_auto = q_auto:good, q_auto:best, q_auto:eco, q_auto:low) is on JPEG's scale in
// every lossy format: the levels are JPEG qualities 90, 80, 70 and 60, and WebP and AVIF are
// given the setting whose output has the same SSIM as that JPEG on photographs (measured; see
// [Quality]). Without q_, JPEG quality 82 and its equivalents. PNG, GIF and lossless WebP
// ignore q_. Encoders spend less effort on large outputs (libwebp method 4 up to 512², 2 up to
// 1024², 0 above; libaom speed 8 up to 512², 10 above) so that one encode of the largest
// output stays within about a second of CPU where the format allows it.
//
// f_auto (the chain's last f_) picks the format by the request: [Options].Accept lists the
// formats the client accepts, and the format that is smallest at the same visual quality is
// served, predicted from measurements rather than tried: AVIF (for results of 64² to 512²),
// then lossy WebP, then JPEG for a photograph (JPEG before WebP above quality 83, where WebP
// of the same SSIM is larger); PNG, then lossless WebP, for a picture kept lossless; GIF
// only when nothing else is acceptable, JPEG for a transparent result only when no format with
// alpha is. With an empty Accept the format is chosen as without f_.
//
// # Named transformations and default pictures
//
// [Chain.Expand] replaces t_<name> components by configured chains (t_a.b by a's, then b's);
// [Identicon] makes the built-in default picture. d_ only names a default picture: the layers
// above serve it, and it does nothing to the pixels. d_<name>.<ext>, as Cloudinary's SDKs write
// default images, is d_<name>.
//
// # Concurrency and GOMAXPROCS
//
// Transform, TransformWith and Analyze are safe for concurrent use and keep no state between
// calls; the only package-level state is the face cascade, unpacked once and then only read.
//
// bild (github.com/anthonynsimon/bild) sets GOMAXPROCS to the number of CPUs in the init of its
// package parallel, which defeats Go's container-aware default; this package imports bild (for
// e_), and its init restores the default with runtime.SetDefaultGOMAXPROCS, unless the GOMAXPROCS
// environment variable is set (which that function would ignore). Go runs the inits of imported
// packages first, so the restore always comes after bild's override.
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
