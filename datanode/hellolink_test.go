package datanode

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

func TestHelloConnRead(t *testing.T) {
	tests := []struct {
		name, in string
		want     helloMsg
		err      error // errors.Is target; nil: no error
		redisErr bool
	}{
		{"message", "*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n", helloMsg{"message", "__sentinel__:hello", "hello"}, nil, false},
		{"subscribe", "*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n", helloMsg{"subscribe", "__sentinel__:hello", "1"}, nil, false},
		{"pong", "*2\r\n$4\r\npong\r\n$0\r\n\r\n", helloMsg{kind: "pong"}, nil, false},
		{"nil bulk", "*3\r\n$7\r\nmessage\r\n$-1\r\n$1\r\nx\r\n", helloMsg{"message", "", "x"}, nil, false},
		{"extra elements dropped", "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\nc\r\n$1\r\np\r\n", helloMsg{"pmessage", "*", "c"}, nil, false},
		{"status", "+OK\r\n", helloMsg{}, nil, false},
		{"error reply", "-NOPERM no\r\n", helloMsg{}, nil, true},
		{"nested array", "*1\r\n*1\r\n+PONG\r\n", helloMsg{}, errBadHelloReply, false},
		{"bad length", "*x\r\n", helloMsg{}, errBadHelloReply, false},
		{"empty line", "\r\n", helloMsg{}, errBadHelloReply, false},
		{"long error line", "-ERR " + strings.Repeat("x", 3000) + "\r\n", helloMsg{}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &helloConn{r: bufio.NewReaderSize(strings.NewReader(tc.in), linkReadBufferSize)}
			got, err := h.read()
			var re respError
			switch {
			case tc.redisErr:
				if !errors.As(err, &re) {
					t.Fatalf("read() error %v, want an error reply", err)
				}
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("read() error %v, want %v", err, tc.err)
				}
			case err != nil:
				t.Fatalf("read() error %v", err)
			case got != tc.want:
				t.Fatalf("read() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(appendCommand(nil, "RN_SUBSCRIBE", "__sentinel__:hello"))
	want := "*2\r\n$12\r\nRN_SUBSCRIBE\r\n$18\r\n__sentinel__:hello\r\n"
	if got != want {
		t.Fatalf("appendCommand = %q, want %q", got, want)
	}
}
