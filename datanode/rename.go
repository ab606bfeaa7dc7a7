package datanode

import (
	"bytes"
	"net"
	"strconv"
)

// renamingConn applies rename-command to what go-redis writes on a pub/sub
// link. go-redis's PubSub sends SUBSCRIBE and PING under their own names,
// while Sentinel (sentinelReconnectInstance) maps them through the master's
// renamed-commands table; rewriting the command name in the outgoing RESP
// arrays gives the same wire behaviour without forking the client.
type renamingConn struct {
	net.Conn
	rename func(command string) string
}

// Write rewrites whole commands; a buffer that is not a sequence of
// complete RESP arrays of bulk strings is written unchanged.
func (c *renamingConn) Write(b []byte) (int, error) {
	out, ok := rewriteCommands(b, c.rename)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// maxArgs bounds the array length rewriteCommands accepts; the pub/sub link
// only ever sends a handful of arguments.
const maxArgs = 1 << 16

// rewriteCommands parses b as RESP arrays of bulk strings (what a client
// sends) and returns them with each command name passed through rename. It
// reports false, and returns nil, when b is anything else.
func rewriteCommands(b []byte, rename func(string) string) ([]byte, bool) {
	out := make([]byte, 0, len(b)+32)
	for len(b) > 0 {
		n, rest, ok := readLength(b, '*')
		if !ok || n < 1 || n > maxArgs {
			return nil, false
		}
		out = append(out, b[:len(b)-len(rest)]...)
		b = rest
		for i := range n {
			size, rest, ok := readLength(b, '$')
			if !ok || size > len(rest)-2 || rest[size] != '\r' || rest[size+1] != '\n' {
				return nil, false
			}
			end := len(b) - len(rest) + size + 2 // header, payload and CRLF
			if i == 0 {
				name := string(rest[:size])
				if to := rename(name); to != name {
					out = append(out, '$')
					out = strconv.AppendInt(out, int64(len(to)), 10)
					out = append(out, '\r', '\n')
					out = append(out, to...)
					out = append(out, '\r', '\n')
					b = b[end:]
					continue
				}
			}
			out = append(out, b[:end]...)
			b = b[end:]
		}
	}
	return out, true
}

// readLength parses "<prefix><decimal>\r\n" at the start of b.
func readLength(b []byte, prefix byte) (int, []byte, bool) {
	if len(b) < 4 || b[0] != prefix {
		return 0, nil, false
	}
	eol := bytes.IndexByte(b, '\n')
	if eol < 3 || eol > 12 || b[eol-1] != '\r' {
		return 0, nil, false
	}
	n := 0
	for _, d := range b[1 : eol-1] {
		if d < '0' || d > '9' {
			return 0, nil, false
		}
		n = n*10 + int(d-'0')
	}
	return n, b[eol+1:], true
}
