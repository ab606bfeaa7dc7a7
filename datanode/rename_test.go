package datanode

import (
	"bytes"
	"strings"
	"testing"
)

func renameSubscribe(name string) string {
	if strings.EqualFold(name, "subscribe") {
		return "RN_SUBSCRIBE"
	}
	return name
}

func TestRewriteCommands(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"renamed", "*2\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n", "*2\r\n$12\r\nRN_SUBSCRIBE\r\n$18\r\n__sentinel__:hello\r\n", true},
		{"two commands, one renamed", "*1\r\n$4\r\nping\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n", "*1\r\n$4\r\nping\r\n*2\r\n$12\r\nRN_SUBSCRIBE\r\n$1\r\nc\r\n", true},
		{"argument named like a command", "*2\r\n$4\r\nping\r\n$9\r\nsubscribe\r\n", "*2\r\n$4\r\nping\r\n$9\r\nsubscribe\r\n", true},
		{"truncated", "*2\r\n$9\r\nsubscribe\r\n$18\r\n__sent", "", false},
		{"inline", "PING\r\n", "", false},
		{"bad length", "*1\r\n$x\r\nping\r\n", "", false},
		{"empty array", "*0\r\n", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := rewriteCommands([]byte(tc.in), renameSubscribe)
			if ok != tc.ok || string(got) != tc.want {
				t.Errorf("rewriteCommands(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzRewriteCommands(f *testing.F) {
	f.Add([]byte("*2\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n"))
	f.Add([]byte("*1\r\n$4\r\nping\r\n*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*1\r\n$99999999999\r\n"))
	f.Add([]byte("*3\r\n$0\r\n\r\n$1\r\n\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		same, ok := rewriteCommands(in, func(s string) string { return s })
		if ok && !bytes.Equal(same, in) {
			t.Fatalf("identity rename changed %q into %q", in, same)
		}
		out, ok2 := rewriteCommands(in, renameSubscribe)
		if ok != ok2 {
			t.Fatalf("acceptance depends on the rename table: %v vs %v", ok, ok2)
		}
		if !ok {
			return
		}
		again, ok := rewriteCommands(out, renameSubscribe)
		if !ok || !bytes.Equal(again, out) {
			t.Fatalf("output %q is not a stable command stream", out)
		}
	})
}
