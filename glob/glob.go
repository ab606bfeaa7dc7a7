package glob

// Match reports whether name matches a Redis glob pattern, with the
// semantics of Redis's stringmatchlen: '*' any run, '?' one byte, '[...]'
// a class with ranges and '^' negation, '\' escaping the next byte (an
// unterminated class runs to the end of the pattern, as in Redis).
//
// Unlike the recursive C version it runs in O(len(pattern)*len(name)) time
// (single backtrack point), so a hostile pattern cannot stall Publish.
func Match(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, -1
	for n < len(name) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starN = p, n
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				if next, ok := matchClass(pattern, p, name[n]); ok {
					p = next
					n++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == name[n] {
						p += 2
						n++
						continue
					}
				} else if name[n] == '\\' {
					p++
					n++
					continue
				}
			default:
				if pattern[p] == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the class starting at pattern[p] == '['
// and returns the index after the class. An unterminated class runs to
// the end of the pattern, as in stringmatchlen.
func matchClass(pattern string, p int, c byte) (int, bool) {
	p++
	negate := false
	if p < len(pattern) && pattern[p] == '^' {
		negate = true
		p++
	}
	matched := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			if pattern[p] == c {
				matched = true
			}
			p++
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				matched = true
			}
			p += 3
		default:
			if pattern[p] == c {
				matched = true
			}
			p++
		}
	}
	if p < len(pattern) {
		p++ // the closing ']'
	}
	if negate {
		matched = !matched
	}
	return p, matched
}
