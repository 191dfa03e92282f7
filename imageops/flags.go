package imageops

import (
	"strings"
)

// Flags is the set of fl_ flags of a component that change the answer. Cloudinary's other image
// flags are accepted and dropped when parsing (see flagTable): they cannot change an avatar.
type Flags uint16

// The flags a Step keeps (fl_ values).
const (
	// FlagAttachment (fl_attachment[:name]) answers with Content-Disposition: attachment, so
	// that a browser downloads the picture (Step.AttachmentName names the file).
	FlagAttachment Flags = 1 << iota
	// FlagIgnoreAspectRatio (fl_ignore_aspect_ratio): with only one of w_ and h_, the other side
	// keeps the image's size instead of its aspect ratio.
	FlagIgnoreAspectRatio
	// FlagImmutableCache (fl_immutable_cache) adds "immutable" to the answer's Cache-Control.
	FlagImmutableCache
	// FlagLossy (fl_lossy) writes a picture kept lossless (a PNG, GIF or lossless WebP original)
	// as lossy WebP, and makes f_auto choose among the lossy formats for it; PNG and GIF output
	// stay lossless.
	FlagLossy
	// FlagPNG24 (fl_png24): PNG output without an alpha channel (flattened onto b_, white by
	// default).
	FlagPNG24
	// FlagPNG8 (fl_png8): PNG output with a palette of at most 256 colours.
	FlagPNG8
)

// flagNames are the kept flags' names, in the order of the canonical form (alphabetical).
var flagNames = [...]struct {
	f    Flags
	name string
}{
	{FlagAttachment, "attachment"},
	{FlagIgnoreAspectRatio, "ignore_aspect_ratio"},
	{FlagImmutableCache, "immutable_cache"},
	{FlagLossy, "lossy"},
	{FlagPNG24, "png24"},
	{FlagPNG8, "png8"},
}

// flagKind says what parsing does with a flag that is not kept.
type flagKind uint8

const (
	flagNoOp  flagKind = iota + 1 // accepted, dropped: it cannot change an avatar
	flagVideo                     // refused: a flag of video or audio delivery
	flagRefused
)

// flagTable lists Cloudinary's flags that a Step does not keep, with why (the documented no-ops
// are listed in the package documentation).
var flagTable = map[string]flagKind{
	// What f_auto does anyway: it chooses among every acceptable format whatever the source's,
	// and keeps a picture with transparency on formats with alpha where one is acceptable.
	"any_format": flagNoOp, "preserve_transparency": flagNoOp,
	// Encoding details that change bytes, never the picture.
	"progressive": flagNoOp, "png32": flagNoOp, "force_icc": flagNoOp, "tiff8_lzw": flagNoOp,
	// Metadata: the output never carries any, whatever is asked to keep or to strip.
	"strip_profile": flagNoOp, "force_strip": flagNoOp, "keep_iptc": flagNoOp, "keep_attribution": flagNoOp,
	// Animation: GIF sources give their first frame, so there is no animation to keep.
	"animated": flagNoOp, "awebp": flagNoOp, "apng": flagNoOp,
	// Vector, layered and masked sources, which social networks never serve.
	"sanitize": flagNoOp, "rasterize": flagNoOp, "clip": flagNoOp, "clip_evenodd": flagNoOp,
	"ignore_mask_channels": flagNoOp,
	// Overlays and text, which this grammar has none of.
	"layer_apply": flagNoOp, "relative": flagNoOp, "region_relative": flagNoOp, "tiled": flagNoOp,
	"no_overflow": flagNoOp, "cutter": flagNoOp, "text_no_trim": flagNoOp, "text_disallow_overflow": flagNoOp,
	// Video and audio.
	"hlsv3": flagVideo, "keep_dar": flagVideo, "mono": flagVideo, "no_stream": flagVideo, "splice": flagVideo,
	"streaming_attachment": flagVideo, "truncate_ts": flagVideo, "waveform": flagVideo,
	// A JSON description instead of a picture.
	"getinfo": flagRefused,
}

// progressiveModes are the modes fl_progressive takes.
var progressiveModes = map[string]bool{"semi": true, "steep": true, "none": true}

// parseFlags parses an fl_ value: flags joined by '.', each a name, "attachment:<name>" or
// "progressive:<mode>". It returns the kept flags, the attachment's name, whether some flag was
// accepted as a no-op, and "" or what is wrong.
func parseFlags(val string) (f Flags, attachment string, noop bool, msg string) {
	for item := range strings.SplitSeq(val, ".") {
		name, arg, hasArg := strings.Cut(item, ":")
		if item == "" {
			return 0, "", false, "empty flag (two dots in a row, or a dot at an end)"
		}
		switch name {
		case "attachment":
			if hasArg && !validName(arg) {
				return 0, "", false, "the attachment's file name must be letters, digits, _ and - (at most 128)"
			}
			attachment = arg
		case "progressive":
			if hasArg && !progressiveModes[arg] {
				return 0, "", false, "fl_progressive takes semi, steep or none"
			}
			noop = true
			continue
		default:
			if hasArg {
				return 0, "", false, "flag " + name + " takes no value"
			}
		}
		kept := false
		for _, fn := range flagNames {
			if fn.name == name {
				if f&fn.f != 0 {
					return 0, "", false, "flag " + name + " given twice"
				}
				f |= fn.f
				kept = true
				break
			}
		}
		if kept {
			continue
		}
		switch flagTable[name] {
		case flagNoOp:
			noop = true
		case flagVideo:
			return 0, "", false, "flag " + name + " is for video and audio, not images"
		case flagRefused:
			return 0, "", false, "flag " + name + " answers with a description of the image, not an image: not supported"
		default:
			return 0, "", false, "unknown flag " + name
		}
	}
	if f&FlagPNG8 != 0 && f&FlagPNG24 != 0 {
		return 0, "", false, "fl_png8 and fl_png24 ask for two different PNGs"
	}
	return f, attachment, noop, ""
}

// format returns the canonical fl_ value: the kept flags in alphabetical order, joined by '.',
// the attachment with its name when it has one.
func (f Flags) format(attachment string) string {
	var parts []string
	for _, fn := range flagNames {
		if f&fn.f == 0 {
			continue
		}
		if fn.f == FlagAttachment && attachment != "" {
			parts = append(parts, fn.name+":"+attachment)
			continue
		}
		parts = append(parts, fn.name)
	}
	return strings.Join(parts, ".")
}

// String returns the canonical fl_ value of the flags (an attachment without its name).
func (f Flags) String() string { return f.format("") }

// Flags returns the union of the flags of every component of the chain.
func (c Chain) Flags() Flags {
	var f Flags
	for _, s := range c.Steps {
		f |= s.Flags
	}
	return f
}

// Attachment reports whether the chain asks for fl_attachment, and the file name it gives (the
// last one; "" when none).
func (c Chain) Attachment() (name string, ok bool) {
	for _, s := range c.Steps {
		if s.Flags&FlagAttachment != 0 {
			ok = true
			if s.AttachmentName != "" {
				name = s.AttachmentName
			}
		}
	}
	return name, ok
}

// WithoutDelivery returns the chain without the flags that change only how the answer is
// delivered (fl_attachment, fl_immutable_cache), and without the components that held nothing
// else: the pixels do not depend on them, so a cache names the variant without them. A chain
// without such flags is returned as it is.
func (c Chain) WithoutDelivery() Chain {
	const delivery = FlagAttachment | FlagImmutableCache
	if c.Flags()&delivery == 0 {
		return c
	}
	out := Chain{Steps: make([]Step, 0, len(c.Steps))}
	for _, s := range c.Steps {
		s.Flags &^= delivery
		s.AttachmentName = ""
		if s != (Step{}) {
			out.Steps = append(out.Steps, s)
		}
	}
	return out
}
