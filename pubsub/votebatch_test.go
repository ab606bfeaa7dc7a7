package pubsub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sentinelgo/sentinel/monitor"
)

// batchController is the fake controller with VoteBatcher: it records the
// size of each batch it answers.
type batchController struct {
	*fakeController
	mu      sync.Mutex
	batches []int
}

func (b *batchController) IsMasterDownByAddrs(ctx context.Context, reqs []monitor.IsMasterDownRequest) ([]monitor.IsMasterDownReply, error) {
	b.mu.Lock()
	b.batches = append(b.batches, len(reqs))
	b.mu.Unlock()
	out := make([]monitor.IsMasterDownReply, len(reqs))
	for i, r := range reqs {
		rep, err := b.IsMasterDownByAddr(ctx, r)
		if err != nil {
			return nil, err
		}
		out[i] = rep
	}
	return out, nil
}

func (b *batchController) sizes() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.batches...)
}

func startBatchServer(t *testing.T) (*testServer, *batchController) {
	t.Helper()
	bc := &batchController{fakeController: newFakeController()}
	ts := startServer(t, func(o *Options) { o.Controller = bc })
	return ts, bc
}

func voteCmd(port int, epoch int, runID string) string {
	return encode("SENTINEL", "is-master-down-by-addr", "10.0.0.1", fmt.Sprint(port), fmt.Sprint(epoch), runID)
}

// checkVoteReply checks one is-master-down-by-addr reply voting for runID.
func checkVoteReply(t *testing.T, r *rawConn, runID string, epoch int64) {
	t.Helper()
	v := r.read()
	if len(v.Elems) != 3 || v.Elems[0].Int != 1 || v.Elems[1].Str != runID || v.Elems[2].Int != epoch {
		t.Fatalf("reply %+v, want [1 %s %d]", v, runID, epoch)
	}
}

// TestVoteBatch_PipelinedVotesAnsweredTogether: votes pipelined by a
// peer are answered in one controller call (one state write), with every
// reply in request order, also around other commands of the batch.
func TestVoteBatch_PipelinedVotesAnsweredTogether(t *testing.T) {
	ts, bc := startBatchServer(t)
	r := dialRaw(t, ts.addr)
	cand := strings.Repeat("c", 40)
	r.send(encode("PING", "before") + voteCmd(6379, 1, cand) + voteCmd(6380, 2, cand) + voteCmd(6381, 3, cand) +
		encode("PING", "between") + voteCmd(6382, 4, cand) + voteCmd(6383, 5, "*"))
	if v := r.read(); v.Str != "before" {
		t.Fatalf("first reply %+v", v)
	}
	for i := range 3 {
		checkVoteReply(t, r, cand, int64(i+1))
	}
	if v := r.read(); v.Str != "between" {
		t.Fatalf("reply after three votes %+v, want the PING", v)
	}
	checkVoteReply(t, r, cand, 4)
	if v := r.read(); len(v.Elems) != 3 || v.Elems[1].Str != "*" {
		t.Fatalf("question reply %+v", v)
	}
	// The three votes went in one call; the next vote and the question,
	// the last command of the batch, in one more (or the question alone).
	got := bc.sizes()
	if len(got) == 0 || got[0] != 3 {
		t.Fatalf("batches %v, want the first three votes in one", got)
	}
	calls := bc.Calls()
	want := []string{"10.0.0.1:6379 " + cand, "10.0.0.1:6380 " + cand, "10.0.0.1:6381 " + cand, "10.0.0.1:6382 " + cand, "10.0.0.1:6383 *"}
	if len(calls) != len(want) {
		t.Fatalf("controller calls %v", calls)
	}
	for i, w := range want {
		if calls[i] != "is-master-down "+w {
			t.Fatalf("call %d %q, want %q", i, calls[i], w)
		}
	}
}

// TestVoteBatch_SplitBatchIsAnswered: votes whose batch ends in half a
// command are answered before the reader waits for the rest (the peer
// may be waiting for them before it sends more).
func TestVoteBatch_SplitBatchIsAnswered(t *testing.T) {
	ts, _ := startBatchServer(t)
	r := dialRaw(t, ts.addr)
	cand := strings.Repeat("d", 40)
	next := encode("PING", "after")
	r.send(voteCmd(6379, 1, cand) + voteCmd(6380, 2, cand) + next[:5])
	checkVoteReply(t, r, cand, 1)
	checkVoteReply(t, r, cand, 2)
	r.send(next[5:])
	if v := r.read(); v.Str != "after" {
		t.Fatalf("reply %+v", v)
	}
}

// TestVoteBatch_RefusedCommandAfterVotes: a vote-shaped command that is
// refused (a port that is no number) has its error after the replies of
// the votes queued before it.
func TestVoteBatch_RefusedCommandAfterVotes(t *testing.T) {
	bc := &batchController{fakeController: newFakeController()}
	ts := startServer(t, func(o *Options) { o.Controller = bc })
	r := dialRaw(t, ts.addr)
	cand := strings.Repeat("e", 40)
	r.send(voteCmd(6379, 1, cand) + voteCmd(6380, 2, cand) + encode("SENTINEL", "is-master-down-by-addr", "10.0.0.1", "x", "1", cand) + encode("PING"))
	checkVoteReply(t, r, cand, 1)
	checkVoteReply(t, r, cand, 2)
	if v := r.read(); !strings.HasPrefix(v.Str, "ERR") {
		t.Fatalf("third reply %+v, want the port error", v)
	}
	if v := r.read(); v.Str != "PONG" {
		t.Fatalf("last reply %+v", v)
	}
}
