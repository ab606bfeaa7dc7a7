package pubsub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// bufferConn is a net.Conn that records writes and never has input.
type bufferConn struct{ out bytes.Buffer }

func (c *bufferConn) Read([]byte) (int, error)    { return 0, io.EOF }
func (c *bufferConn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *bufferConn) Close() error                { return nil }
func (c *bufferConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 26379}
}
func (c *bufferConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}
func (c *bufferConn) SetDeadline(time.Time) error      { return nil }
func (c *bufferConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bufferConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzDispatch runs arbitrary argument vectors through the command table:
// no handler may panic, and whatever is written must be a sequence of
// well-formed RESP replies (at least one, unless CLIENT REPLY turned them
// off or QUIT closes).
func FuzzDispatch(f *testing.F) {
	seeds := []string{
		"PING", "PING\x00x", "HELLO\x003\x00AUTH\x00default\x00x\x00SETNAME\x00n", "HELLO\x00-1",
		"SENTINEL\x00MASTERS", "SENTINEL\x00master\x00mymaster", "SENTINEL\x00replicas\x00mymaster",
		"SENTINEL\x00sentinels\x00mymaster", "SENTINEL\x00set\x00mymaster\x00rename-command\x00a",
		"SENTINEL\x00set\x00mymaster\x00quorum\x0099999999999999999999", "SENTINEL\x00monitor\x00m\x00::1\x0065536\x001",
		"SENTINEL\x00is-master-down-by-addr\x00h\x00-1\x00-1\x00*", "SENTINEL\x00debug\x00ping-period",
		"SENTINEL\x00config\x00get\x00*", "SENTINEL\x00config\x00set\x00announce-port\x00-1", "SENTINEL\x00info-cache\x00mymaster",
		"SENTINEL\x00simulate-failure\x00help", "CLIENT\x00KILL\x00ID\x000", "CLIENT\x00LIST\x00ID\x00x",
		"CLIENT\x00SETINFO\x00LIB-NAME\x00a b", "COMMAND\x00INFO\x00sentinel|nosuch\x00|", "COMMAND\x00DOCS",
		"INFO\x00all", "SUBSCRIBE\x00a\x00a", "UNSUBSCRIBE\x00b", "PUNSUBSCRIBE", "PUBLISH\x00__sentinel__:hello\x00x",
		"SHUTDOWN\x00abort", "AUTH\x00a\x00b", "ROLE", "QUIT",
		"COMMAND\x00LIST\x00FILTERBY\x00PATTERN\x00[a-", "COMMAND\x00LIST\x00FILTERBY\x00ACLCAT\x00connection",
		"COMMAND\x00GETKEYS\x00client\x00kill", "COMMAND\x00GETKEYSANDFLAGS\x00client|kill\x00x", "COMMAND",
		"CLIENT\x00UNBLOCK\x001\x00x", "CLIENT\x00NO-EVICT\x00on", "CLIENT\x00TRACKINGINFO", "CLIENT\x00PAUSE\x0010",
		"SENTINEL\x00config\x00set\x00resolve-hostnames\x00maybe", "SENTINEL\x00debug\x00ping-period\x001000",
		"CLIENT\x00TRACKING\x00on\x00bcast\x00prefix\x00a\x00prefix\x00b\x00noloop", "CLIENT\x00TRACKING\x00on\x00redirect\x001\x00optin", "CLIENT\x00REPLY\x00SKIP", "CLIENT\x00REPLY\x00OFF",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	srv, err := New(Options{Addrs: []string{"127.0.0.1:0"}, Controller: newFakeController()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		for _, ln := range srv.listeners {
			_ = ln.Close()
		}
	})
	f.Fuzz(func(t *testing.T, in []byte) {
		args := bytes.Split(in, []byte{0})
		if len(args) > 16 {
			return
		}
		conn := &bufferConn{}
		c := newClient(srv, conn)
		ctx, cancel := context.WithCancel(context.Background())
		srv.dispatch(ctx, c, args)
		c.wmu.Lock()
		_ = c.wr.Flush()
		c.wmu.Unlock()
		c.unsubscribeAll()
		cancel()
		c.delivery.Wait()

		vr := resp.NewValueReader(bytes.NewReader(conn.out.Bytes()), resp.Limits{MaxBulkLen: 64 << 20})
		replies := 0
		for {
			_, err := vr.ReadValue()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%q produced malformed output %q: %v", args, conn.out.Bytes(), err)
			}
			replies++
		}
		if replies == 0 && !c.quitAfter && c.reply == replyOn {
			t.Fatalf("%q produced no reply", args)
		}
	})
}
