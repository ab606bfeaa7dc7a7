package datanode

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/monitor"
)

// Questions to a peer sentinel go out pipelined. When many masters fail
// at once the core asks each peer about all of them within a few
// milliseconds (issue 14); sent one at a time on the peer's single link,
// each question waited for the previous reply, and each reply that
// carries a vote for the peer's state write, so the last vote arrived
// only after one write per master. The questions queued behind the one
// that was in flight are sent together instead (one write, replies in
// order), and the peer answers them together, writing their votes once
// (pubsub/votebatch.go). Redis pipelines every command of its link too.

// maxAskBatch bounds the questions sent in one pipeline.
const maxAskBatch = 64

// askPeersConn is a nodeConn that can pipeline questions; test fakes
// without it are asked one question at a time.
type askPeersConn interface {
	askPeers(ctx context.Context, as []monitor.AskPeer) []askResult
}

// askResult is one question's reply or error.
type askResult struct {
	reply any
	err   error
}

// askQueued sends first together with every AskPeer queued right behind
// it, as one pipeline under cctx, and delivers their replies; it reports
// false, taking nothing from the queue, when first is alone (or the link
// cannot pipeline). A queued action of another kind ends the batch and is
// executed right after it, so the order of the queue is kept.
func (t *target) askQueued(ctx, cctx context.Context, first monitor.AskPeer) bool {
	pc, ok := t.conn.(askPeersConn)
	if !ok || len(t.commands) == 0 {
		return false
	}
	batch, next := drainQueued(t, first, maxAskBatch)
	t.askBatch(ctx, cctx, pc, batch)
	if next != nil {
		t.execute(ctx, next)
	}
	return true
}

// askBatch sends batch as one pipeline and delivers a PeerReply per
// question, as doAskPeer does for one.
func (t *target) askBatch(ctx, cctx context.Context, pc askPeersConn, batch []monitor.AskPeer) {
	delivered := 0
	defer func() {
		if !t.survived("AskPeer", recover()) {
			return
		}
		// Answer what the core waits for with a failure.
		for _, a := range batch[delivered:] {
			t.deliver(ctx, monitor.PeerReply{At: time.Now(), Master: a.Master, Peer: a.PeerRunID, Kind: monitor.ReplyConnErr})
		}
	}()
	results := pc.askPeers(cctx, batch)
	if ctx.Err() != nil {
		return
	}
	at := time.Now()
	for i, a := range batch {
		r := askResult{err: errLinkClosed}
		if i < len(results) {
			r = results[i]
		}
		t.deliver(ctx, t.peerReply(a, r.reply, r.err, at))
		delivered++
	}
}

// peerReply turns the reply (or error) to question a into the core's input.
func (t *target) peerReply(a monitor.AskPeer, reply any, err error, at time.Time) monitor.PeerReply {
	res := monitor.PeerReply{At: at, Master: a.Master, Peer: a.PeerRunID, Kind: Classify(err)}
	if err != nil {
		t.commandFailed(cmdAskPeer, err)
	} else if r, perr := parseIsMasterDownReply(reply); perr != nil {
		res.Kind = t.unparsable(cmdAskPeer, "malformed is-master-down-by-addr reply", "peer", perr)
	} else {
		res.Down, res.LeaderRunID, res.LeaderEpoch = r.Down, r.Leader, r.LeaderEpoch
	}
	return res
}

// askPeers sends the questions in one pipeline on the command lane. Every
// question gets a result: the pipeline's error when it failed as a whole.
func (c *redisConn) askPeers(ctx context.Context, as []monitor.AskPeer) []askResult {
	out := make([]askResult, len(as))
	v, err := c.onCmdLane(ctx, func(ctx context.Context) (any, error) {
		return c.pipelineAsks(ctx, as)
	})
	cmds, _ := v.([]*redis.Cmd)
	for i := range out {
		switch {
		case i < len(cmds) && cmds[i] != nil:
			out[i].reply, out[i].err = cmds[i].Result()
		case err != nil:
			out[i].err = err
		default:
			out[i].err = errLinkClosed
		}
	}
	return out
}

// pipelineAsks runs on the lane: one write of every question, their
// replies read in order.
func (c *redisConn) pipelineAsks(ctx context.Context, as []monitor.AskPeer) (cmds []*redis.Cmd, err error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	defer func() {
		if perr := c.recovered("is-master-down-by-addr pipeline", recover()); perr != nil {
			cmds, err = nil, perr
			c.dropIfBroken(cl, err)
		}
	}()
	cmds = make([]*redis.Cmd, len(as))
	_, err = cl.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, a := range as {
			cmds[i] = pipe.Do(ctx, "SENTINEL", "is-master-down-by-addr",
				a.MasterAddr.Host, strconv.Itoa(a.MasterAddr.Port),
				strconv.FormatUint(a.Epoch, 10), a.RunID)
		}
		return nil
	})
	// A refusal of one question (an error reply) is that question's
	// answer, not a broken link.
	linkErr := err
	for _, cmd := range cmds {
		if cmd.Err() == nil {
			linkErr = nil
			break
		}
	}
	c.dropIfBroken(cl, linkErr)
	c.markProven(cl, linkErr)
	return cmds, err
}
