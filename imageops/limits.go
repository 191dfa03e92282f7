package imageops

// Default limits, used for the zero (or negative) fields of [Limits].
const (
	DefaultMaxOutputSide   = 2048
	DefaultMaxSourceBytes  = 16 << 20
	DefaultMaxSourcePixels = 50_000_000
	DefaultMaxComponents   = 10
)

// Limits bounds the work one transformation may do. A zero or negative field means its default
// (DefaultMaxOutputSide, DefaultMaxSourceBytes, DefaultMaxSourcePixels, DefaultMaxComponents);
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
	return l
}
