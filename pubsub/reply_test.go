package pubsub

import "testing"

// TestClientReply: OFF drops every reply until ON, SKIP the next
// command's only; pipelined replies before them are kept.
func TestClientReply(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	c.send(encode("PING", "kept") + encode("CLIENT", "REPLY", "OFF") + encode("PING", "a") + encode("NOSUCH") +
		encode("CLIENT", "REPLY", "ON") + encode("CLIENT", "REPLY", "SKIP") + encode("PING", "b") + encode("PING", "c"))
	for _, want := range []string{"kept", "OK", "c"} {
		if v := c.read(); v.Str != want {
			t.Fatalf("reply = %+v, want %q", v, want)
		}
	}
	if got := errText(t, c.do("CLIENT", "REPLY", "maybe")); got != "ERR syntax error" {
		t.Errorf("CLIENT REPLY maybe = %q", got)
	}
}
