package fetch

// The identifier rules are checked on every request, so they are plain loops rather than regular
// expressions (a regexp match costs more than the rest of a cache hit's parsing).

// idOf reports whether s is min to max bytes long and every byte satisfies ok.
func idOf(s string, min, max int, ok func(byte) bool) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// isWordByte reports [A-Za-z0-9_], the alphabet of X screen names.
func isWordByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
