package imageops

import "strings"

// Expand returns the chain with every component that is exactly t_<name> replaced by the steps
// of named[name] (which may be several components, or none); t_<a>.<b> is t_<a>, then t_<b>. The result has no t_, so its
// canonical String is the expanded transformation. Errors are KindBadParam naming the t_
// parameter: t_ together with other parameters in one component (Cloudinary allows that; here a
// named transformation stands alone in its component), a name not in named, or a named chain
// that itself contains t_ (named transformations do not nest). A chain without t_ is returned
// as it is; otherwise the result shares no memory with c or named.
func (c Chain) Expand(named map[string]Chain) (Chain, error) {
	has := false
	for _, s := range c.Steps {
		if s.Named != "" {
			has = true
			break
		}
	}
	if !has {
		return c, nil
	}
	out := Chain{Steps: make([]Step, 0, len(c.Steps))}
	for _, s := range c.Steps {
		if s.Named == "" {
			out.Steps = append(out.Steps, s)
			continue
		}
		param := s.paramText(keyT)
		if s != (Step{Named: s.Named}) {
			return Chain{}, badParam(param, "a named transformation must be alone in its component (put the other parameters in a component of their own)")
		}
		for name := range strings.SplitSeq(s.Named, ".") { // t_a.b is t_a, then t_b
			n, ok := named[name]
			if !ok {
				return Chain{}, badParam(param, "unknown named transformation %q", name)
			}
			for _, ns := range n.Steps {
				if ns.Named != "" {
					return Chain{}, badParam(param, "named transformation %q contains %s: named transformations cannot contain t_", name, ns.paramText(keyT))
				}
			}
			out.Steps = append(out.Steps, n.Steps...)
		}
	}
	return out, nil
}
