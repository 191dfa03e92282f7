package avatarmw

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/avatarkit/avatarkit/imageops"
)

// Client hints: w_auto takes the width the picture will take on the screen from Sec-CH-Width (or
// the older Width), dpr_auto the device pixel ratio from Sec-CH-DPR (or DPR). Browsers send them
// to an origin that asked for them with Accept-CH (on the page, and on these answers); answers
// that depend on them say so in Vary, so that shared caches keep one copy per hint value.
// imageops.Chain.ResolveHints rounds the values to a few buckets, so a client cannot make more
// variants of a URL than the URL's step and five device pixel ratios allow.

// hintHeaders returns the Vary and Accept-CH headers of the answers to a transformation with
// f_auto (accept), w_auto (width) and dpr_auto (dpr); nil when there is none. The slices are
// shared by every answer and never modified.
func hintHeaders(accept, width, dpr bool) (vary, acceptCH []string) {
	return varyHeaders[b2i(accept)|b2i(width)<<1|b2i(dpr)<<2], acceptCHHeaders[b2i(width)|b2i(dpr)<<1]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// varyHeaders and acceptCHHeaders hold every combination, indexed by the bits of hintHeaders.
var varyHeaders, acceptCHHeaders = func() (vary [8][]string, ach [4][]string) {
	for i := range vary {
		var names []string
		if i&1 != 0 {
			names = append(names, "Accept")
		}
		if i&2 != 0 {
			names = append(names, "Sec-CH-Width", "Width")
		}
		if i&4 != 0 {
			names = append(names, "Sec-CH-DPR", "DPR")
		}
		if names != nil {
			vary[i] = []string{strings.Join(names, ", ")}
		}
	}
	for i := range ach {
		var names []string
		if i&1 != 0 {
			names = append(names, "Sec-CH-Width")
		}
		if i&2 != 0 {
			names = append(names, "Sec-CH-DPR")
		}
		if names != nil {
			ach[i] = []string{strings.Join(names, ", ")}
		}
	}
	return vary, ach
}()

// maxHintWidth bounds the Width hint read (ResolveHints caps it at the output limit anyway).
const maxHintWidth = 100_000

// hintsOf reads the client hints of r that chain uses; a missing or malformed hint reads as 0
// (not sent).
func hintsOf(r *http.Request, chain imageops.Chain) imageops.Hints {
	width, dpr := chain.UsesHints()
	var h imageops.Hints
	if dpr {
		if f, ok := hintNumber(r, "Sec-Ch-Dpr", "Dpr"); ok && f <= 16 {
			h.DPR = f
		}
	}
	if width {
		if f, ok := hintNumber(r, "Sec-Ch-Width", "Width"); ok && f >= 1 {
			h.Width = int(math.Min(math.Ceil(f), maxHintWidth))
		}
	}
	return h
}

// hintNumber returns the value of the first of the headers (canonical names) that r has, as a
// positive finite number.
func hintNumber(r *http.Request, names ...string) (float64, bool) {
	for _, name := range names {
		v := r.Header[name]
		if len(v) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v[len(v)-1]), 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}
