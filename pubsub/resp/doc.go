// Package resp is the RESP2/RESP3 codec of the client-facing sentinel port.
//
// It owns:
//   - Reader: reads client commands, both multi-bulk arrays of bulk strings
//     and inline commands (the telnet / redis-cli form with quotes), under
//     explicit limits, and reports malformed input as *ProtocolError whose
//     text matches Redis's own ("Protocol error: invalid multibulk length").
//   - Writer: renders replies for the protocol version the client chose with
//     HELLO, downgrading RESP3 types to their RESP2 forms (map → flat array,
//     null → $-1 or *-1, push → array, bool → integer, double → bulk).
//   - Value and ReadValue: a generic reply reader, used by tests and by the
//     round-trip property (write a Value, read the same Value back).
//
// It must never: allocate memory proportional to a length the peer declared
// beyond the configured limits, panic on any input, do network I/O of its own
// (it only wraps the io.Reader / io.Writer it is given), or know anything
// about Sentinel commands.
//
// Usage:
//
//	rd := resp.NewReader(conn, resp.DefaultLimits())
//	wr := resp.NewWriter(conn)
//	for {
//		args, err := rd.ReadCommand()
//		if err != nil { ... } // *ProtocolError: reply pe.RESPError(), then close
//		wr.SimpleString("PONG")
//		if rd.Buffered() == 0 { wr.Flush() } // flush once per pipelined batch
//	}
package resp
