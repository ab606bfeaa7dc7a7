package datanode

import (
	"context"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Hellos that ride with a PING. The core marks a data node's hello that
// falls due with its PING (monitor.PublishHello.WithPing) and emits it just
// before that Ping; the target keeps it here, and the PING drain that runs
// next sends PING and PUBLISH in one write on the node's probe link
// (probelink.go): one round trip instead of two (decisions/0006). A hello
// that cannot ride (its announce address needs the command link's local
// address, not known yet) goes the usual way, on the command lane.

// pingPublisher is a nodeConn that can send a PING and PUBLISHes at once.
type pingPublisher interface {
	// pingAndPublish sends PING followed by one PUBLISH per payload. err
	// is the PING's, as ping returns it; publishErr is the first PUBLISH's
	// error, nil when they all went through; sent says whether the
	// PUBLISHes were handed to the connection at all. The deadline bounds
	// it; ctx only cancels.
	pingAndPublish(ctx context.Context, deadline time.Time, payloads []string) (sent bool, publishErr, err error)
	// knownLocalIP is the local address of the command link if it has
	// connected, else "" (it never dials).
	knownLocalIP() string
}

// holdHello keeps a hello for the next PING drain.
func (t *target) holdHello(a monitor.PublishHello) {
	t.mu.Lock()
	t.riding = append(t.riding, a)
	t.mu.Unlock()
}

// takeHellos returns the hellos held for this PING and forgets them.
func (t *target) takeHellos() []monitor.PublishHello {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.riding
	t.riding = nil
	return out
}

// ridingPayloads renders the held hellos that can ride (riders, in the
// order of payloads); the others are queued on the command lane instead.
func (t *target) ridingPayloads(hellos []monitor.PublishHello) (riders []monitor.PublishHello, payloads []string) {
	pp, ok := t.conn.(pingPublisher)
	for _, h := range hellos {
		hello := h.Hello
		if ok && hello.SentinelAddr.Host == "" {
			// The local address of the command link, as doPublishHello
			// uses; known once the link has connected.
			hello.SentinelAddr.Host = pp.knownLocalIP()
		}
		if !ok || hello.SentinelAddr.Host == "" {
			t.publishAlone(h)
			continue
		}
		riders = append(riders, h)
		payloads = append(payloads, hello.String())
	}
	return riders, payloads
}

// pingWith sends the PING, with the payloads riding along when there are
// any, and counts a refused PUBLISH as doPublishHello does. Payloads that
// did not go out (the lane answered with an earlier PING's late reply, or
// gave up before this one started) are queued on the command lane.
func (t *target) pingWith(ctx context.Context, deadline time.Time, riders []monitor.PublishHello, payloads []string) error {
	pp, ok := t.conn.(pingPublisher)
	if !ok {
		cctx, cancel := untilDeadline(ctx, deadline)
		defer cancel()
		return t.conn.ping(cctx)
	}
	sent, pubErr, err := pp.pingAndPublish(ctx, deadline, payloads)
	if pubErr != nil {
		t.commandFailed(cmdPublish, pubErr)
	}
	if !sent {
		for _, h := range riders {
			t.publishAlone(h)
		}
	}
	return err
}

// publishAlone queues a hello that could not ride on the command lane, as
// any other hello.
func (t *target) publishAlone(h monitor.PublishHello) {
	h.WithPing = false
	t.enqueue("publish-hello", h)
}

func (c *redisConn) knownLocalIP() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastLocalIP
}

// pingAndPublish sends the PING and the PUBLISHes in one write on a data
// node's probe link (probelink.go), with no context or timer of its own. A
// peer has no probe link, and its hellos never ride (the core marks only a
// data node's): it just PINGs, on go-redis under a context with the
// deadline.
func (c *redisConn) pingAndPublish(ctx context.Context, deadline time.Time, payloads []string) (sent bool, publishErr, err error) {
	if c.probe == nil {
		cctx, cancel := untilDeadline(ctx, deadline)
		defer cancel()
		return false, nil, c.ping(cctx)
	}
	r := c.probe.sendBy(ctx, deadline, payloads)
	return r.sent, r.publishErr, r.err
}
