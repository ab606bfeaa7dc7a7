package configs

import (
	"errors"
	"strings"
)

// errUnbalancedQuotes is sdssplitargs's failure, with Redis's wording.
var errUnbalancedQuotes = errors.New("unbalanced quotes in configuration line")

// splitArgs splits one configuration line the way Redis's sdssplitargs
// does: whitespace separates arguments (space, \t, \n and \r end a bare
// word; \v and \f are skipped between arguments but kept inside one);
// "double quotes" take \xHH, \n, \r,
// \t, \b, \a and \<any> escapes; 'single quotes' take only \'; a closing
// quote must be followed by whitespace or the end of the line; a quote in
// the middle of a bare word opens a quoted section of that same word.
func splitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur strings.Builder
		inDouble, inSingle, done := false, false, false
		for !done {
			switch {
			case inDouble:
				if i >= len(line) {
					return nil, errUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur.WriteByte(hexVal(line[i+2])<<4 | hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(line[i])
					}
				case c == '"':
					// The closing quote must end the argument.
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errUnbalancedQuotes
					}
					done = true
				default:
					cur.WriteByte(c)
				}
			case inSingle:
				if i >= len(line) {
					return nil, errUnbalancedQuotes
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur.WriteByte('\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, errUnbalancedQuotes
					}
					done = true
				default:
					cur.WriteByte(c)
				}
			default:
				if i >= len(line) {
					done = true
					break
				}
				switch c := line[i]; {
				case c == ' ' || c == '\t' || c == '\n' || c == '\r':
					// Only these end a bare word: sdssplitargs skips
					// \v and \f between arguments (isspace) but keeps
					// them inside one, as redis-server does.
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					cur.WriteByte(c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, cur.String())
	}
}

// isSpace matches C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// quoteArg renders one argument so splitArgs reads it back unchanged:
// bare when it is a plain word, else double-quoted with sdscatrepr's
// escapes (\\, \", \n, \r, \t, \a, \b, \xHH).
func quoteArg(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			plain = false
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < ' ' || c >= 0x7f {
				const digits = "0123456789abcdef"
				b.WriteString(`\x`)
				b.WriteByte(digits[c>>4])
				b.WriteByte(digits[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// joinArgs quotes and joins arguments into one configuration line.
func joinArgs(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteArg(a)
	}
	return strings.Join(quoted, " ")
}
