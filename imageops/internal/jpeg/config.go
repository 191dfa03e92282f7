package jpeg

import (
	"fmt"
	"image"
	"image/color"
)

// ColorSpace says how a JPEG's components are read, and so which image type Decode returns.
type ColorSpace uint8

// The color spaces of the JPEGs that Decode accepts.
const (
	// Gray is one component; Decode returns an *image.Gray.
	Gray ColorSpace = iota + 1
	// YCbCr is three components as JFIF defines them; Decode returns an *image.YCbCr with the
	// file's chroma subsampling.
	YCbCr
	// RGB is three components stored as red, green and blue: an Adobe APP14 marker with transform
	// 0, or component identifiers 'R', 'G', 'B', in a file without a JFIF marker. Decode returns
	// an *image.RGBA.
	RGB
	// CMYK is four components with an Adobe APP14 marker with transform 0 (Adobe's inverted
	// CMYK); Decode returns an *image.CMYK.
	CMYK
	// YCCK is four components with an Adobe APP14 marker with transform 1 or 2: YCbCr and black.
	// Decode returns an *image.CMYK.
	YCCK
)

func (c ColorSpace) String() string {
	switch c {
	case Gray:
		return "Gray"
	case YCbCr:
		return "YCbCr"
	case RGB:
		return "RGB"
	case CMYK:
		return "CMYK"
	case YCCK:
		return "YCCK"
	}
	return fmt.Sprintf("ColorSpace(%d)", uint8(c))
}

// Sampling is a component's horizontal and vertical sampling factors (1, 2 or 4), as in the
// frame header: luma 2×2 and chroma 1×1 is 4:2:0.
type Sampling struct{ H, V int }

// Config describes a JPEG file from its markers, before its first scan.
type Config struct {
	Width, Height int // in pixels, as stored (EXIF orientation is not applied)
	Components    int // 1, 3 or 4
	ColorSpace    ColorSpace
	// Progressive is true for a progressive file (SOF2), whose whole coefficients must be held
	// until its last scan; false for a sequential one (SOF0, SOF1), decoded block by block.
	Progressive bool
	// Sampling holds the sampling factors of the first Components components. A single component
	// is always 1×1 (T.81 A.2: its data are not interleaved, whatever the header says).
	Sampling [maxComponents]Sampling
}

// ScaledSize returns the size of the image Decode returns at the given scale (1, 2, 4 or 8):
// ⌈Width/scale⌉×⌈Height/scale⌉, as libjpeg rounds. Any other scale is taken as 1.
func (c Config) ScaledSize(scale int) (w, h int) {
	switch scale {
	case 2, 4, 8:
	default:
		scale = 1
	}
	return (c.Width + scale - 1) / scale, (c.Height + scale - 1) / scale
}

// SubsampleRatio returns the chroma subsampling of a YCbCr or RGB file as image.YCbCr names it
// (the ratio of the first component's sampling factors to the second's), and
// image.YCbCrSubsampleRatio444 for other files.
func (c Config) SubsampleRatio() image.YCbCrSubsampleRatio {
	if c.Components != 3 {
		return image.YCbCrSubsampleRatio444
	}
	return subsampleRatio(c.Sampling[0], c.Sampling[1])
}

func subsampleRatio(y, c Sampling) image.YCbCrSubsampleRatio {
	if c.H < 1 || c.V < 1 {
		return image.YCbCrSubsampleRatio444
	}
	switch (y.H/c.H)<<4 | y.V/c.V {
	case 0x12:
		return image.YCbCrSubsampleRatio440
	case 0x21:
		return image.YCbCrSubsampleRatio422
	case 0x22:
		return image.YCbCrSubsampleRatio420
	case 0x41:
		return image.YCbCrSubsampleRatio411
	case 0x42:
		return image.YCbCrSubsampleRatio410
	}
	return image.YCbCrSubsampleRatio444
}

// ColorModel returns the color model of the image Decode returns, as image/jpeg's DecodeConfig
// would.
func (c Config) ColorModel() color.Model {
	switch c.ColorSpace {
	case Gray:
		return color.GrayModel
	case YCbCr:
		return color.YCbCrModel
	case RGB:
		return color.RGBAModel
	}
	return color.CMYKModel
}

// String describes the file in one line, e.g. "4000×3000 progressive YCbCr 4:2:0".
func (c Config) String() string {
	mode := "baseline"
	if c.Progressive {
		mode = "progressive"
	}
	s := fmt.Sprintf("%d×%d %s %v", c.Width, c.Height, mode, c.ColorSpace)
	switch c.Components {
	case 3:
		r := c.SubsampleRatio().String()
		s += " " + r[len("YCbCrSubsampleRatio"):len(r)-2] + ":" + r[len(r)-2:len(r)-1] + ":" + r[len(r)-1:]
	case 4:
		s += fmt.Sprintf(" %dx%d,%dx%d,%dx%d,%dx%d", c.Sampling[0].H, c.Sampling[0].V, c.Sampling[1].H, c.Sampling[1].V,
			c.Sampling[2].H, c.Sampling[2].V, c.Sampling[3].H, c.Sampling[3].V)
	}
	return s
}

// ScaleFor returns the largest scale (8, 4, 2 or 1) at which the image is still at least w×h
// pixels: the cheapest decode that an output of that size can be made from without upscaling.
func ScaleFor(c Config, w, h int) int {
	for _, s := range [...]int{8, 4, 2} {
		if sw, sh := c.ScaledSize(s); sw >= w && sh >= h {
			return s
		}
	}
	return 1
}

// config describes the file from the markers read so far. It is called at the first SOS, by
// DecodeConfig and by makeImg, so that both see the same file.
func (d *decoder) config() (Config, error) {
	if d.nComp == 0 {
		return Config{}, FormatError("missing SOF marker")
	}
	c := Config{
		Width:       d.width,
		Height:      d.height,
		Components:  d.nComp,
		Progressive: d.progressive,
	}
	for i := range d.nComp {
		c.Sampling[i] = Sampling{d.comp[i].h, d.comp[i].v}
	}
	switch d.nComp {
	case 1:
		c.ColorSpace = Gray
	case 3:
		c.ColorSpace = YCbCr
		if d.isRGB() {
			c.ColorSpace = RGB
		}
	case 4:
		if !d.adobeTransformValid {
			return Config{}, errNoAdobe
		}
		// As in image/jpeg (and libjpeg's jdapimin.c), only a transform of 0 means CMYK.
		c.ColorSpace = CMYK
		if d.adobeTransform != adobeTransformUnknown {
			c.ColorSpace = YCCK
		}
	}
	return c, nil
}
