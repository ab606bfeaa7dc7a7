package resp

// Tail returns a copy of what was written after the first n buffered
// bytes (nil when nothing was), for a caller that must move a reply
// behind others it has still to write (Truncate, then Raw).
func (w *Writer) Tail(n int) []byte {
	if n < 0 || n >= len(w.buf) {
		return nil
	}
	return append([]byte(nil), w.buf[n:]...)
}
