package resp

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Kind is the RESP type of a Value.
type Kind uint8

// Value kinds, one per RESP2/RESP3 type.
const (
	KindInvalid   Kind = iota
	KindSimple         // +
	KindError          // -
	KindInteger        // :
	KindBulk           // $
	KindNull           // _ (and RESP2 $-1 / *-1)
	KindArray          // *
	KindMap            // %
	KindSet            // ~
	KindPush           // >
	KindVerbatim       // =
	KindDouble         // ,
	KindBool           // #
	KindBigNumber      // (
)

// String names the kind for test failures.
func (k Kind) String() string {
	names := [...]string{"invalid", "simple", "error", "integer", "bulk", "null", "array", "map", "set", "push", "verbatim", "double", "bool", "bignumber"}
	if int(k) < len(names) {
		return names[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one RESP reply. Maps keep their pairs flattened in Elems
// (key, value, key, value ...), in wire order.
type Value struct {
	Kind   Kind
	Str    string  // simple, error, bulk, verbatim text, big number digits
	Format string  // verbatim format, e.g. "txt"
	Int    int64   // integer
	Float  float64 // double
	Bool   bool    // bool
	Elems  []Value // array, set, push, map (flattened pairs)
}

// WriteValue renders v for the writer's protocol version.
func (w *Writer) WriteValue(v Value) {
	switch v.Kind {
	case KindSimple:
		w.SimpleString(v.Str)
	case KindError:
		w.Error(v.Str)
	case KindInteger:
		w.Integer(v.Int)
	case KindBulk:
		w.BulkString(v.Str)
	case KindNull:
		w.Null()
	case KindArray, KindSet, KindPush:
		switch v.Kind {
		case KindArray:
			w.ArrayLen(len(v.Elems))
		case KindSet:
			w.SetLen(len(v.Elems))
		default:
			w.PushLen(len(v.Elems))
		}
		for _, e := range v.Elems {
			w.WriteValue(e)
		}
	case KindMap:
		w.MapLen(len(v.Elems) / 2)
		for _, e := range v.Elems[:len(v.Elems)/2*2] {
			w.WriteValue(e)
		}
	case KindVerbatim:
		w.Verbatim(v.Format, v.Str)
	case KindDouble:
		w.Double(v.Float)
	case KindBool:
		w.Bool(v.Bool)
	case KindBigNumber:
		if w.proto == RESP3 {
			w.line('(', v.Str)
		} else {
			w.BulkString(v.Str)
		}
	default:
		w.Null()
	}
}

// ValueReader reads replies (any RESP2/RESP3 type) from a stream. Tests
// use it as a minimal client; it is fuzzed like the command reader.
type ValueReader struct {
	lim Limits
	rd  *Reader // reuses the command reader's buffering and readLine
}

// NewValueReader returns a ValueReader over r.
func NewValueReader(r io.Reader, lim Limits) *ValueReader {
	rd := NewReader(r, lim)
	return &ValueReader{lim: rd.lim, rd: rd}
}

// ReadValue reads one complete reply.
func (vr *ValueReader) ReadValue() (Value, error) { return vr.read(0) }

func (vr *ValueReader) read(depth int) (Value, error) {
	if depth > vr.lim.MaxDepth {
		return Value{}, protoErr("nesting too deep")
	}
	line, err := vr.rd.readLine(vr.lim.MaxInlineLen, "too big header line")
	if err != nil {
		if depth > 0 {
			return Value{}, eofInside(1, err)
		}
		return Value{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return Value{}, protoErr("line without CRLF")
	}
	kind := line[0]
	body := string(line[1 : len(line)-2])
	if strings.IndexByte(body, '\r') >= 0 {
		return Value{}, protoErr("CR inside a line")
	}
	switch kind {
	case '+':
		return Value{Kind: KindSimple, Str: body}, nil
	case '-':
		return Value{Kind: KindError, Str: body}, nil
	case ':':
		n, ok := parseInt([]byte(body))
		if !ok {
			return Value{}, protoErr("invalid integer")
		}
		return Value{Kind: KindInteger, Int: n}, nil
	case '_':
		if body != "" {
			return Value{}, protoErr("invalid null")
		}
		return Value{Kind: KindNull}, nil
	case '#':
		switch body {
		case "t":
			return Value{Kind: KindBool, Bool: true}, nil
		case "f":
			return Value{Kind: KindBool, Bool: false}, nil
		}
		return Value{}, protoErr("invalid boolean")
	case ',':
		f, ok := parseDouble(body)
		if !ok {
			return Value{}, protoErr("invalid double")
		}
		return Value{Kind: KindDouble, Float: f}, nil
	case '(':
		if !isBigNumber(body) {
			return Value{}, protoErr("invalid big number")
		}
		return Value{Kind: KindBigNumber, Str: body}, nil
	case '$', '=':
		n, ok := parseInt([]byte(body))
		if !ok || n < -1 || n > int64(vr.lim.MaxBulkLen) || (n == -1 && kind == '=') {
			return Value{}, protoErr(reasonBulkLen)
		}
		if n == -1 {
			return Value{Kind: KindNull}, nil
		}
		buf := make([]byte, n+2)
		if err := vr.rd.readFull(buf); err != nil {
			return Value{}, eofInside(1, err)
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Value{}, protoErr(reasonBulkTerminator)
		}
		if kind == '$' {
			return Value{Kind: KindBulk, Str: string(buf[:n])}, nil
		}
		if n < 4 || buf[3] != ':' {
			return Value{}, protoErr("invalid verbatim string")
		}
		return Value{Kind: KindVerbatim, Format: string(buf[:3]), Str: string(buf[4:n])}, nil
	case '*', '%', '~', '>':
		n, ok := parseInt([]byte(body))
		if !ok || n < -1 || n > int64(vr.lim.MaxArgs) || (n == -1 && kind != '*') {
			return Value{}, protoErr(reasonMultibulkLen)
		}
		if n == -1 {
			return Value{Kind: KindNull}, nil
		}
		v := Value{Kind: map[byte]Kind{'*': KindArray, '%': KindMap, '~': KindSet, '>': KindPush}[kind]}
		count := n
		if kind == '%' {
			count = 2 * n
		}
		// Elements are appended as they arrive, so memory follows the
		// bytes actually received, not the declared count.
		v.Elems = make([]Value, 0, min(count, 64))
		for range count {
			e, err := vr.read(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		return v, nil
	default:
		return Value{}, protoErr(fmt.Sprintf("unexpected type byte '%c'", kind))
	}
}

func parseDouble(s string) (float64, bool) {
	switch s {
	case "inf", "+inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	case "nan":
		return math.NaN(), true
	}
	if s == "" || s[0] == ' ' {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isBigNumber(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
