// Package sdsargs is Redis's argument syntax, shared by the two readers of
// it: sentinel.conf lines (configs) and inline commands on the client port
// (pubsub/resp). Split reads a line the way Redis's sdssplitargs does;
// Quote writes an argument the way sdscatrepr does, so that Split reads it
// back unchanged.
//
// It imports only the standard library, so configs (which imports no other
// project package) and the RESP codec can both use it. It never allocates
// beyond the arguments it returns, and never panics.
package sdsargs

import "strings"

// Split splits line into arguments the way Redis's sdssplitargs does:
//
//   - white space separates arguments; space, \t, \n and \r end a bare
//     word, while \v and \f are skipped between arguments but kept inside
//     one (redis-server 7.0.15 answers ECHO a<VT>b with "a\vb");
//   - "double quotes" take \xHH, \n, \r, \t, \b, \a and \<any byte>;
//   - 'single quotes' take only \';
//   - a quote in the middle of a bare word opens a quoted part of that
//     same word (ab"c d" is one argument, abc d);
//   - a closing quote must be followed by white space or the end of the
//     line, and an unterminated quote is an error.
//
// Argument bytes are appended to arena and the end offset of each argument
// to ends (callers reuse both across lines); ok is false for unbalanced
// quotes. A NUL byte is an ordinary byte here: the C function would stop
// there, but redis-server never hands it such a line (an inline command
// with a NUL waits for more input).
func Split(arena []byte, ends []int, line []byte) (_ []byte, _ []int, ok bool) {
	p, n := 0, len(line)
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p == n {
			return arena, ends, true
		}
		var quote byte // 0 outside quotes, else the open quote
		for done := false; !done; p++ {
			if p == n {
				if quote != 0 {
					return arena, ends, false
				}
				break
			}
			c := line[p]
			switch {
			case quote == 0:
				switch c {
				case ' ', '\t', '\n', '\r':
					done = true
				case '"', '\'':
					quote = c
				default:
					arena = append(arena, c)
				}
			case c == quote:
				// The closing quote must end the argument.
				if p+1 < n && !isSpace(line[p+1]) {
					return arena, ends, false
				}
				done = true
			case c != '\\':
				arena = append(arena, c)
			case quote == '\'':
				// Single quotes take only \'.
				if p+1 < n && line[p+1] == '\'' {
					p++
				}
				arena = append(arena, line[p])
			case p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
				arena = append(arena, unhex(line[p+2])<<4|unhex(line[p+3]))
				p += 3
			case p+1 < n:
				p++
				arena = append(arena, unescape(line[p]))
			default:
				arena = append(arena, c) // a backslash at the end: unterminated
			}
		}
		ends = append(ends, len(arena))
	}
}

// Strings is Split for one line of text, returning the arguments as
// strings; ok is false for unbalanced quotes.
func Strings(line string) (args []string, ok bool) {
	arena, ends, ok := Split(nil, nil, []byte(line))
	if !ok {
		return nil, false
	}
	start := 0
	for _, end := range ends {
		args = append(args, string(arena[start:end]))
		start = end
	}
	return args, true
}

// unescape is the byte a backslash escape inside double quotes stands for.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Quote renders one argument so that Split reads it back unchanged: bare
// when it is a plain printable word, else double-quoted with sdscatrepr's
// escapes (\\, \", \n, \r, \t, \a, \b, \xHH).
func Quote(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\'
	}
	if plain {
		return s
	}
	const digits = "0123456789abcdef"
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

// Join quotes each argument and joins them with single spaces: one line
// Split reads back as args.
func Join(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = Quote(a)
	}
	return strings.Join(quoted, " ")
}
