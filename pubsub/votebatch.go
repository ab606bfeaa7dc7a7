package pubsub

import (
	"bytes"
	"context"
	"fmt"

	"github.com/sentinelgo/sentinel/monitor"
)

// Votes in a pipelined batch. A candidate asks each peer for the votes of
// every master it runs an election for, pipelined on one link; each vote
// must be on disk before its reply leaves (a forgotten vote could be cast
// twice in an epoch after a restart). Answered one at a time, every vote
// of the batch costs a state write of its own and the last reply leaves
// only after all of them (issue 14: ten masters failing at once). So the
// replies of SENTINEL IS-MASTER-DOWN-BY-ADDR wait while more of the batch
// is buffered, and the requests are answered together, in one turn of the
// owner loop and one state write, before any other reply is written:
// replies stay in request order.

// VoteBatcher is implemented by a Controller that can answer several
// is-master-down-by-addr requests at once, writing the votes they cast
// once, before returning. Without it every request is answered on its own.
type VoteBatcher interface {
	IsMasterDownByAddrs(ctx context.Context, reqs []monitor.IsMasterDownRequest) ([]monitor.IsMasterDownReply, error)
}

// maxVoteBatch bounds the requests one connection answers together.
const maxVoteBatch = 64

// deferVote queues req for answerVotes when its reply may wait: more of
// the client's batch is buffered, replies are on (CLIENT REPLY), and no
// pub/sub message can be written in between (not subscribed). ctx is kept
// for the answer, which the serve goroutine gives within this batch.
func (c *client) deferVote(ctx context.Context, req monitor.IsMasterDownRequest) bool {
	if _, ok := c.srv.ctrl.(VoteBatcher); !ok {
		return false
	}
	if c.rd == nil || c.rd.Buffered() == 0 || c.reply != replyOn || c.sub != nil || len(c.votes) >= maxVoteBatch {
		return false
	}
	c.votes = append(c.votes, req)
	c.votesCtx = ctx
	return true
}

// answerVotes answers the queued requests, in order, into the reply
// buffer. Called (under wmu) before anything else is written: another
// command's reply, a flush, a protocol error.
func (c *client) answerVotes() {
	if len(c.votes) == 0 {
		return
	}
	reqs, ctx := c.votes, c.votesCtx
	c.votes, c.votesCtx = nil, nil
	vb, _ := c.srv.ctrl.(VoteBatcher) // deferVote checked it
	replies, err := vb.IsMasterDownByAddrs(ctx, reqs)
	if err == nil && len(replies) != len(reqs) {
		err = fmt.Errorf("%d replies to %d is-master-down-by-addr requests", len(replies), len(reqs))
	}
	for i := range reqs {
		if err != nil {
			c.replyErr(err)
			continue
		}
		c.writeIsMasterDownReply(replies[i])
	}
	clear(reqs)
	c.votes = reqs[:0]
}

// answerVotesBefore answers the queued requests ahead of what was written
// after mark (the error reply of a command refused before it ran).
func (c *client) answerVotesBefore(mark int) {
	if len(c.votes) == 0 {
		return
	}
	tail := c.wr.Tail(mark)
	c.wr.Truncate(mark)
	c.answerVotes()
	if tail != nil {
		c.wr.Raw(tail)
	}
}

// isVoteCommand says whether args is shaped like SENTINEL
// IS-MASTER-DOWN-BY-ADDR (or its IS-PRIMARY- alias), which may join the
// queued requests instead of answering them first.
func isVoteCommand(args [][]byte) bool {
	return len(args) == 6 && bytes.EqualFold(args[0], []byte("sentinel")) &&
		(bytes.EqualFold(args[1], []byte("is-master-down-by-addr")) || bytes.EqualFold(args[1], []byte("is-primary-down-by-addr")))
}

// writeIsMasterDownReply writes the 3-element reply: down, leader run id
// (or "*"), leader epoch.
func (c *client) writeIsMasterDownReply(reply monitor.IsMasterDownReply) {
	leader := reply.Leader
	if leader == "" {
		leader = "*"
	}
	c.wr.ArrayLen(3)
	if reply.Down {
		c.wr.Integer(1)
	} else {
		c.wr.Integer(0)
	}
	c.wr.BulkString(leader)
	c.wr.Integer(int64(reply.LeaderEpoch))
}
