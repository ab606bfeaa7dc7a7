package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// chunkReader hands out at most n bytes per Read, the way a socket
// delivers a stream in pieces.
type chunkReader struct {
	src []byte
	n   int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.src) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.src))
	copy(p, c.src[:k])
	c.src = c.src[k:]
	return k, nil
}

func pipelined(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(encodeArgs("SENTINEL", "get-master-addr-by-name", fmt.Sprintf("master-%d", i)))
	}
	return b.String()
}

func encodeArgs(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// An idle Reader holds only its small buffer: a pipelined batch moves it
// to the pooled one, and the end of the batch, or Release for a client
// that pipelines, gives that back.
func TestReaderReleasesPooledBufferAfterBatch(t *testing.T) {
	in := pipelined(64) // ~4 KB: more than the small buffer
	for _, chunk := range []int{1, 7, 100, smallReadBuf, 1000, 1 << 20} {
		rd := NewReader(&chunkReader{src: []byte(in), n: chunk}, Limits{})
		if rd.BufferSize() != smallReadBuf {
			t.Fatalf("new Reader buffer = %d, want %d", rd.BufferSize(), smallReadBuf)
		}
		sawBig := false
		for i := range 64 {
			args, err := rd.ReadCommand()
			if err != nil {
				t.Fatalf("chunk %d: command %d: %v", chunk, i, err)
			}
			if want := fmt.Sprintf("master-%d", i); string(args[2]) != want {
				t.Fatalf("chunk %d: command %d arg = %q, want %q", chunk, i, args[2], want)
			}
			sawBig = sawBig || rd.BufferSize() > smallReadBuf
		}
		// A client whose reads bring more than the small buffer holds
		// pipelines: the pooled buffer stays for its next batch, until
		// the connection goes idle (Release).
		keep := chunk > smallReadBuf
		if rd.Buffered() != 0 || (rd.BufferSize() != smallReadBuf) != keep {
			t.Fatalf("chunk %d: after the batch: %d buffered, buffer %d, want 0 and kept=%v", chunk, rd.Buffered(), rd.BufferSize(), keep)
		}
		rd.Release()
		if rd.BufferSize() != smallReadBuf {
			t.Fatalf("chunk %d: after Release: buffer %d, want %d", chunk, rd.BufferSize(), smallReadBuf)
		}
		// Reads that fill the small buffer mean more is coming: the
		// Reader moves to the big buffer rather than reading 256 bytes at a time.
		if chunk >= smallReadBuf && !sawBig {
			t.Errorf("chunk %d: a ~4 KB batch was read through the small buffer only", chunk)
		}
		if _, err := rd.ReadCommand(); !errors.Is(err, io.EOF) {
			t.Fatalf("chunk %d: after the batch: err = %v, want EOF", chunk, err)
		}
	}
}

// Lines and payloads larger than every buffer, arriving in pieces.
func TestReaderLargeInputInPieces(t *testing.T) {
	long := strings.Repeat("y", 40000) // > bigReadBuf, < MaxInlineLen
	bulk := strings.Repeat("b", 100000)
	in := "PING " + long + "\r\n" + encodeArgs("PUBLISH", "ch", bulk) + encodeArgs("PING")
	for _, chunk := range []int{3, 255, 256, 4096, 1 << 20} {
		got, err := readAllFrom(NewReader(&chunkReader{src: []byte(in), n: chunk}, Limits{}))
		if !errors.Is(err, io.EOF) {
			t.Fatalf("chunk %d: err = %v", chunk, err)
		}
		if len(got) != 3 || got[0][1] != long || got[1][2] != bulk || got[2][0] != "PING" {
			t.Fatalf("chunk %d: got %d commands", chunk, len(got))
		}
	}
}

func readAllFrom(rd *Reader) ([][]string, error) {
	var out [][]string
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			return out, err
		}
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, string(a))
		}
		out = append(out, cmd)
	}
}

// A line over the limit is refused as soon as the limit is passed, even
// when it arrives one byte at a time and never ends.
func TestReaderLineLimitInPieces(t *testing.T) {
	src := &chunkReader{src: bytes.Repeat([]byte("x"), 1<<20), n: 1}
	_, err := NewReader(src, Limits{MaxInlineLen: 1000}).ReadCommand()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Reason != reasonBigInline {
		t.Fatalf("err = %v, want %q", err, reasonBigInline)
	}
	if read := 1<<20 - len(src.src); read > 1001+smallReadBuf {
		t.Fatalf("read %d bytes before refusing a line limited to 1000", read)
	}
}

// recordWriter counts Write calls and fails them when fail is set.
type recordWriter struct {
	calls int
	out   bytes.Buffer
	fail  error
}

func (w *recordWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.fail != nil {
		return 0, w.fail
	}
	return w.out.Write(p)
}

// No reply, however large, reaches the stream before Flush: the caller
// sets the write deadline in Flush's place, and nothing may bypass it.
func TestWriterWritesOnlyInFlush(t *testing.T) {
	rw := &recordWriter{}
	w := NewWriter(rw)
	big := bytes.Repeat([]byte("e"), 1<<20)
	w.Raw(big)
	w.Bulk(big)
	w.BulkString(string(big))
	if rw.calls != 0 {
		t.Fatalf("%d writes before Flush", rw.calls)
	}
	if w.Buffered() < 3<<20 {
		t.Fatalf("Buffered = %d, want every byte accounted", w.Buffered())
	}
	if err := w.Flush(); err != nil || rw.calls != 1 || rw.out.Len() < 3<<20 {
		t.Fatalf("Flush: err %v, %d calls, %d bytes", err, rw.calls, rw.out.Len())
	}
	if w.Buffered() != 0 || w.buf != nil {
		t.Fatalf("after Flush the Writer still holds %d bytes / a buffer of %d", w.Buffered(), cap(w.buf))
	}
}

// After one failed write the Writer is dead: every Flush returns the
// error, including one with nothing buffered, and nothing more is written.
func TestWriterErrorIsSticky(t *testing.T) {
	boom := errors.New("boom")
	rw := &recordWriter{fail: boom}
	w := NewWriter(rw)
	w.SimpleString("OK")
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("first Flush = %v, want boom", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush with nothing buffered = %v, want the sticky error", err)
	}
	rw.fail = nil
	w.SimpleString("again")
	if err := w.Flush(); !errors.Is(err, boom) || !errors.Is(w.Err(), boom) {
		t.Fatalf("Flush after the writer recovered = %v, want the sticky error", err)
	}
	if rw.calls != 1 || w.buf != nil {
		t.Fatalf("%d writes (want 1), buffer held: %v", rw.calls, w.buf != nil)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestWriterShortWriteIsAnError(t *testing.T) {
	w := NewWriter(shortWriter{})
	w.SimpleString("OK")
	if err := w.Flush(); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("Flush = %v, want io.ErrShortWrite", err)
	}
}

// FuzzReadCommandChunked checks that how the stream is cut into reads
// never changes what is parsed: the same commands and the same final
// error as when the whole input arrives at once.
func FuzzReadCommandChunked(f *testing.F) {
	for _, s := range []string{
		pipelined(20), "PING " + strings.Repeat("a", 300) + "\r\nPING\r\n",
		encodeArgs("PUBLISH", "c", strings.Repeat("m", 700)) + "*1\r\n$4\r\nPING\r\n",
		"*2\r\n$4\r\nPING\r\n$300\r\n" + strings.Repeat("z", 300) + "\r\n", "*1\r\n$4\r\nPINGxx\r\n",
		strings.Repeat("x", 200), "*3\r\n$1\r\na\r\n", "\r\n\r\n*0\r\nPING\r\n",
	} {
		for _, n := range []uint16{1, 2, 255, 256, 257, 4096} {
			f.Add([]byte(s), n)
		}
	}
	lim := Limits{MaxBulkLen: 1 << 12, MaxArgs: 64, MaxInlineLen: 512}
	f.Fuzz(func(t *testing.T, in []byte, n uint16) {
		if n == 0 {
			n = 1
		}
		whole, errWhole := readAllFrom(NewReader(bytes.NewReader(in), lim))
		rd := NewReader(&chunkReader{src: in, n: int(n)}, lim)
		pieces, errPieces := readAllFrom(rd)
		if fmt.Sprint(whole) != fmt.Sprint(pieces) {
			t.Fatalf("chunks of %d: %q, whole input: %q", n, pieces, whole)
		}
		if errClass(errWhole) != errClass(errPieces) {
			t.Fatalf("chunks of %d end with %v, whole input with %v", n, errPieces, errWhole)
		}
		if rd.BufferSize() > max(bigReadBuf, 2*lim.MaxInlineLen+2) {
			t.Fatalf("buffer grew to %d", rd.BufferSize())
		}
	})
}

func errClass(err error) string {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return fmt.Sprint(err)
}
