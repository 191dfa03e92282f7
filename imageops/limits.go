package imageops

import "time"

// Default limits, used for the zero (or negative) fields of [Limits].
const (
	DefaultMaxOutputSide   = 2048
	DefaultMaxSourceBytes  = 16 << 20
	DefaultMaxSourcePixels = 50_000_000
	DefaultMaxComponents   = 10
	DefaultMaxWorkBytes    = 128 << 20
	DefaultMaxCPU          = time.Second
)

// Limits bounds the work one transformation may do. A zero or negative field means its default
// (DefaultMaxOutputSide, DefaultMaxSourceBytes, DefaultMaxSourcePixels, DefaultMaxComponents,
// DefaultMaxWorkBytes, DefaultMaxCPU);
// see [Limits.WithDefaults].
type Limits struct {
	// MaxOutputSide is the largest width or height, in px after dpr_, of the result and of every
	// intermediate result of a chain. Default 2048.
	MaxOutputSide int
	// MaxSourceBytes is the largest encoded source accepted, checked before anything else.
	// Default 16 MiB.
	MaxSourceBytes int64
	// MaxSourcePixels is the largest width×height of a source, read from its header before it is
	// decoded. Default 50 000 000.
	MaxSourcePixels int64
	// MaxComponents is the most components a chain may have, named transformations expanded.
	// Each component can be a full resize, so this bounds the work of one URL. Default 10.
	MaxComponents int
	// MaxWorkBytes bounds the memory one transformation (or analysis) may allocate in all, as
	// [Estimate] reckons it from the source's header and the chain before decoding: the decoded
	// source, the intermediate images, the encoder. Work beyond it is refused up front
	// (KindWorkLimit). A cache sets it to its whole working-memory budget, so that no
	// transformation needs more than the budget can ever grant. Default 128 MiB.
	MaxWorkBytes int64
	// MaxCPU bounds the processor time one transformation (or analysis) may take, as [Estimate]
	// reckons it before decoding; work beyond it is refused up front (KindWorkLimit), so that no
	// single URL can hold a core for long. Default 1 s.
	MaxCPU time.Duration
}

// WithDefaults returns l with every zero or negative field replaced by its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxOutputSide <= 0 {
		l.MaxOutputSide = DefaultMaxOutputSide
	}
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = DefaultMaxSourceBytes
	}
	if l.MaxSourcePixels <= 0 {
		l.MaxSourcePixels = DefaultMaxSourcePixels
	}
	if l.MaxComponents <= 0 {
		l.MaxComponents = DefaultMaxComponents
	}
	if l.MaxWorkBytes <= 0 {
		l.MaxWorkBytes = DefaultMaxWorkBytes
	}
	if l.MaxCPU <= 0 {
		l.MaxCPU = DefaultMaxCPU
	}
	return l
}
