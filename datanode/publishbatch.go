package datanode

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
)

// Hellos queued together go out pipelined (issue 14). The core publishes
// a hello through every peer sentinel once per master every publish
// period, and the hellos of all masters fall due in the same tick: at 250
// masters, 250 PUBLISH commands for each peer's single link at once. Sent
// one at a time, each waited for the previous reply (a write, a wake-up
// and a read per hello, ~15 % of a settled sentinel's CPU went to hello
// publishes). The hellos queued behind the one at the head of the queue
// are sent with it in one pipeline instead: one write, the replies read in
// order. Redis pipelines the commands of its links too.

// maxPublishBatch bounds the hellos sent in one pipeline.
const maxPublishBatch = 128

// peerQueueFactor sizes a peer sentinel's command queue: Options.QueueSize
// times this. A peer's queue takes a hello per master it shares with us
// every publish period, all at once, where a data node's takes one.
const peerQueueFactor = 32

// publishConn is a nodeConn that can pipeline hellos; test fakes without
// it publish one hello at a time.
type publishConn interface {
	publishAll(ctx context.Context, payloads []string) error
}

// publishQueued publishes first together with every PublishHello queued
// right behind it, as one pipeline under cctx; it reports false, taking
// nothing from the queue, when first is alone (or the link cannot
// pipeline). A queued action of another kind ends the batch and is
// executed right after it, so the order of the queue is kept.
func (t *target) publishQueued(ctx, cctx context.Context, first monitor.PublishHello) bool {
	pc, ok := t.conn.(publishConn)
	if !ok || len(t.commands) == 0 {
		return false
	}
	batch, next := drainQueued(t, first, maxPublishBatch)
	t.publishBatch(cctx, pc, batch)
	if next != nil {
		t.execute(ctx, next)
	}
	return true
}

// drainQueued returns first with every action of its type queued right
// behind it on t.commands, at most limit in all. A queued action of
// another kind ends the batch and is returned as next, for the caller to
// execute right after the batch, so the order of the queue is kept.
func drainQueued[A monitor.Action](t *target, first A, limit int) (batch []A, next monitor.Action) {
	batch = []A{first}
	for len(batch) < limit {
		select {
		case a := <-t.commands:
			same, ok := a.(A)
			if !ok {
				return batch, a
			}
			batch = append(batch, same)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// publishBatch renders the hellos (with the link's local address where
// the core left the host empty, as doPublishHello does) and sends them.
// Like a single PUBLISH, failures are only counted and logged: the next
// publish period sends them again.
func (t *target) publishBatch(cctx context.Context, pc publishConn, batch []monitor.PublishHello) {
	payloads := make([]string, 0, len(batch))
	localIP := ""
	for _, a := range batch {
		h := a.Hello
		if h.SentinelAddr.Host == "" {
			if localIP == "" {
				ip, err := t.conn.localIP(cctx)
				if err != nil {
					t.commandFailed(cmdPublish, err)
					return
				}
				localIP = ip
			}
			h.SentinelAddr.Host = localIP
		}
		payloads = append(payloads, h.String())
	}
	if err := pc.publishAll(cctx, payloads); err != nil {
		t.commandFailed(cmdPublish, err)
	}
}

// publishAll sends one PUBLISH per payload in one pipeline on the command
// lane. The error is the first one: the link's, or a refused PUBLISH.
func (c *redisConn) publishAll(ctx context.Context, payloads []string) error {
	return c.onCmdLaneErr(ctx, func(ctx context.Context) error { return c.pipelinePublish(ctx, payloads) })
}

// pipelinePublish runs on the lane: one write of every PUBLISH, their
// replies read in order.
func (c *redisConn) pipelinePublish(ctx context.Context, payloads []string) (err error) {
	cl, err := c.client()
	if err != nil {
		return err
	}
	defer func() {
		if perr := c.recovered("publish pipeline", recover()); perr != nil {
			err = perr
			c.dropIfBroken(cl, err)
		}
	}()
	publish := c.rename("PUBLISH")
	cmds, err := cl.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, p := range payloads {
			pipe.Do(ctx, publish, monitor.HelloChannel, p)
		}
		return nil
	})
	// A refused PUBLISH (an error reply) is not a broken link: any reply
	// proves the link up.
	linkErr := err
	for _, cmd := range cmds {
		if cmd.Err() == nil {
			linkErr = nil
			break
		}
	}
	c.dropIfBroken(cl, linkErr)
	c.markProven(cl, linkErr)
	return err
}

// queueSize is the command queue capacity of a target of kind.
func queueSize(base int, kind monitor.InstanceKind) int {
	if kind == monitor.KindSentinel {
		return base * peerQueueFactor
	}
	return base
}
