package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// inboxSize bounds the adapters' queue into the owner loop. Adapters block
// (with their context) when it is full rather than drop an observation: a
// dropped PING reply would look like a dead node.
const inboxSize = 4096

// flushCoalesce bounds how long a state change that nothing depends on yet
// may wait for its write, while writes are quick. A write that took long
// (the state of hundreds of masters on a loaded machine: a start-up that
// discovers them all) widens the window to flushShare times its duration,
// up to maxFlushCoalesce, so coalesced writes never take more than about a
// tenth of the owner loop's time. At 250 masters the loop spent most of its
// start-up rewriting the state file every 100 ms, and the PONGs and INFO
// replies that settle the group waited behind it (docs/benchmarks.md).
const (
	flushCoalesce    = 100 * time.Millisecond
	maxFlushCoalesce = time.Second
	flushShare       = 10
)

// snapshotEvery bounds how stale the published snapshot may get while inputs
// keep arriving; any iteration that emitted an event (or served a call)
// refreshes it at once. Copying the state of hundreds of masters is the
// core loop's biggest cost, so routine refreshes stay rare.
const snapshotEvery = 100 * time.Millisecond

// idleSnapshotEvery replaces snapshotEvery while no reader has looked
// (ReaderSnapshot): with nobody asking, the routine refresh only ages the
// times in it (a PING reply, an INFO refresh), and building it was ~7 % of a
// settled sentinel's CPU at 100 masters. Every state change that emits an
// event, and every call, still publishes at once; a reader that comes after
// a quiet spell sees times at most this old (rendered relative to the
// snapshot's own time, so they stay consistent), then fresh ones.
const idleSnapshotEvery = time.Second

// readerLinger is how long after a publish that found a reader the routine
// refresh stays at snapshotEvery: a reader that polls (the status page
// every second, a client's periodic query) then finds snapshots at most
// snapshotEvery old, not idleSnapshotEvery. Without it each poll found the
// snapshot of the idle cadence (~1 s old) and the publish it caused
// served nobody.
const readerLinger = 3 * time.Second

// Executor performs the core's I/O actions (datanode.Pool in production).
// Do must not block.
type Executor interface {
	Do(a monitor.Action)
}

// EventSink receives every event the core emits, in order, from the owner
// goroutine (and notify's own script events from its goroutines, so it must
// be safe for concurrent use). It must not block.
type EventSink interface {
	Event(at time.Time, e monitor.Event)
}

// ScriptRunner runs client-reconfig-script jobs. Must not block.
type ScriptRunner interface {
	ClientReconfig(a monitor.RunClientReconfigScript)
}

// Persister writes the state (my id, epochs, votes, known instances and
// the monitored masters) durably. Called from the owner goroutine before any
// reply that depends on the state is sent.
type Persister interface {
	Persist(s *monitor.Snapshot) error
}

// Loop is the single owner of the core. Everything else talks to it through
// channels: adapters send inputs, the RESP server sends calls and reads the
// published snapshot.
type Loop struct {
	log         *slog.Logger
	core        *monitor.Core
	exec        Executor
	sink        EventSink
	scripts     ScriptRunner
	persist     Persister
	rng         *rand.Rand
	scriptsView func() monitor.ScriptsView
	// raftView fills the snapshot's raft view in raft mode (raft.go).
	raftView func() *monitor.RaftView

	inbox chan monitor.Input
	calls chan call

	snap     atomic.Pointer[monitor.Snapshot]
	lastSnap time.Time
	// read says a reader looked at the snapshot since it was published
	// (ReaderSnapshot): routine refreshes run at snapshotEvery, else at
	// idleSnapshotEvery.
	read atomic.Bool
	// lastRead is when a publish last found read set (owner goroutine
	// only): refreshes stay at snapshotEvery for readerLinger after it.
	lastRead time.Time
	// keepFresh holds routine refreshes at snapshotEvery whatever the
	// readers do (owner goroutine only): with fencing on, or in raft mode,
	// whether a client is told the master's address is decided from the
	// snapshot's own time (monitor.Withheld), so the first query after a
	// quiet spell must not read authority up to idleSnapshotEvery old.
	keepFresh bool

	// results holds the results of the calls of one turn (owner goroutine only).
	results []callResult

	// journal, when set, makes the votes of a turn durable without a
	// state write; turnVotes are the votes cast in the current turn and
	// journaled says this turn's votes went there (owner goroutine only).
	journal   VoteJournal
	turnVotes []VoteRecord
	journaled bool

	persistErrs atomic.Uint64
	// unpersisted is set while the last state write failed (owner goroutine only).
	unpersisted bool
	// dirty is set while a coalesced write is pending; lastFlush is when
	// the state was last written, and flushWindow how long a coalesced
	// write waits after it (owner goroutine only).
	dirty       bool
	lastFlush   time.Time
	flushWindow time.Duration
}

type call struct {
	fn    func(now time.Time) (any, error)
	reply chan callResult
	// mustPersist fails the call when the state it changed could not be
	// written: a vote must never leave the process unless it is on disk.
	mustPersist bool
	// votesOnly says fn only answers is-master-down-by-addr requests and
	// records the votes it casts in Loop.turnVotes: the vote journal can
	// make them durable instead of a state write (votejournal.go).
	votesOnly bool
}

type callResult struct {
	v   any
	err error
}

// LoopOptions wires a Loop.
type LoopOptions struct {
	Logger  *slog.Logger
	Core    monitor.Config
	Exec    Executor
	Sink    EventSink
	Scripts ScriptRunner
	Persist Persister
	// Seed seeds the core's randomness (failover desync); 0 picks one.
	Seed uint64
	// ScriptsView, when set, reports the script queue for published snapshots.
	ScriptsView func() monitor.ScriptsView
	// Journal, when set, keeps the votes of turns that only voted, so
	// that they need no state write before the reply (votejournal.go).
	Journal VoteJournal
}

// NewLoop builds the core. It does not start anything.
func NewLoop(o LoopOptions) (*Loop, error) {
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	core, err := monitor.New(o.Core, rng)
	if err != nil {
		return nil, fmt.Errorf("supervisor: core: %w", err)
	}
	l := &Loop{
		log:         o.Logger,
		core:        core,
		exec:        o.Exec,
		sink:        o.Sink,
		scripts:     o.Scripts,
		persist:     o.Persist,
		rng:         rng,
		scriptsView: o.ScriptsView,
		journal:     o.Journal,
		inbox:       make(chan monitor.Input, inboxSize),
		calls:       make(chan call),
		flushWindow: flushCoalesce,
	}
	l.publish(time.Now())
	return l, nil
}

// Deliver hands an input to the owner loop. It blocks while the inbox is
// full, until ctx ends.
func (l *Loop) Deliver(ctx context.Context, in monitor.Input) {
	select {
	case l.inbox <- in:
	case <-ctx.Done():
	}
}

// Snapshot returns the latest published state. Never blocks.
func (l *Loop) Snapshot() *monitor.Snapshot { return l.snap.Load() }

// ReaderSnapshot is Snapshot for what shows the state to someone (clients'
// queries, the status page, metrics): it keeps routine refreshes at
// snapshotEvery while they read. The sentinel's own lookups (credentials,
// renamed commands, scripts) use Snapshot and read only settings.
func (l *Loop) ReaderSnapshot() *monitor.Snapshot {
	if !l.read.Load() {
		l.read.Store(true)
	}
	return l.snap.Load()
}

// anyFencing says whether some master of s has fencing on.
func anyFencing(s *monitor.Snapshot) bool {
	for i := range s.Masters {
		if s.Masters[i].Fencing {
			return true
		}
	}
	return false
}

// snapshotDue says whether a routine refresh is due at now.
func (l *Loop) snapshotDue(now time.Time) bool {
	every := idleSnapshotEvery
	if l.keepFresh || l.read.Load() || now.Sub(l.lastRead) < readerLinger {
		every = snapshotEvery
	}
	return now.Sub(l.lastSnap) >= every
}

// ErrStopped is returned by calls made after the loop has stopped.
var ErrStopped = errors.New("supervisor: stopped")

// Invoke runs fn on the owner goroutine with the core to itself, then lets
// the loop perform the resulting actions (persisting state first) before
// returning fn's result. This is the one door through which operator
// commands and vote requests reach the core; the core validates their
// arguments as it validates every input.
func Invoke[T any](ctx context.Context, l *Loop, fn func(now time.Time, core *monitor.Core) (T, error)) (T, error) {
	return invoke(ctx, l, false, fn)
}

// InvokePersisted is Invoke for results that may leave the process only
// once the state they depend on is on disk (a vote): when the write fails
// the error wraps ErrNotPersisted and the result must not be sent.
func InvokePersisted[T any](ctx context.Context, l *Loop, fn func(now time.Time, core *monitor.Core) (T, error)) (T, error) {
	return invoke(ctx, l, true, fn)
}

// ErrNotPersisted is returned by InvokePersisted when the state could not
// be written; the caller must not send the result anywhere.
var ErrNotPersisted = errors.New("supervisor: state not persisted")

func invoke[T any](ctx context.Context, l *Loop, persist bool, fn func(now time.Time, core *monitor.Core) (T, error)) (T, error) {
	return invokeCall(ctx, l, call{mustPersist: persist}, fn)
}

// invokeVotes answers is-master-down-by-addr requests in one call whose
// votes the journal may keep (see call.votesOnly).
func invokeVotes(ctx context.Context, l *Loop, reqs []monitor.IsMasterDownRequest) ([]monitor.IsMasterDownReply, error) {
	return invokeCall(ctx, l, call{mustPersist: true, votesOnly: true}, func(now time.Time, core *monitor.Core) ([]monitor.IsMasterDownReply, error) {
		out := make([]monitor.IsMasterDownReply, len(reqs))
		for i, req := range reqs {
			out[i] = core.IsMasterDownByAddr(now, req)
			l.recordVote(req, out[i])
		}
		return out, nil
	})
}

func invokeCall[T any](ctx context.Context, l *Loop, c call, fn func(now time.Time, core *monitor.Core) (T, error)) (T, error) {
	c.fn = func(now time.Time) (any, error) { return fn(now, l.core) }
	c.reply = make(chan callResult, 1)
	v, err := l.call(ctx, c)
	out, _ := v.(T) // v is always a T or nil: fn is the only producer
	return out, err
}

func (l *Loop) call(ctx context.Context, c call) (any, error) {
	select {
	case l.calls <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tickInterval mirrors Sentinel's re-randomised hz (10–19 Hz), but faster:
// 50–75 ms, so a down-after deadline is noticed within a few tens of ms.
func (l *Loop) tickInterval() time.Duration {
	return 50*time.Millisecond + time.Duration(l.rng.Int64N(int64(25*time.Millisecond)))
}

// Run drives the core until ctx ends. It is the only goroutine that touches
// the core.
func (l *Loop) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	// timerAt is when the timer fires; NextWake may pull it earlier.
	timerAt := time.Now()
	// Persist at once: a generated run id must be on disk before any peer
	// hears of it.
	_ = l.flush(time.Now())
	// pending holds the calls served in this turn: every call already
	// waiting is taken with the first, so votes asked at the same moment
	// (over several connections, or a batch from one) share one write.
	var pending []call
	for {
		var now time.Time
		pending = pending[:0]
		select {
		case <-ctx.Done():
			// A last flush so nothing learned since the last one is lost.
			_ = l.flush(time.Now())
			if c, ok := l.journal.(io.Closer); ok {
				_ = c.Close()
			}
			return nil
		case <-timer.C:
			now = time.Now()
			if fellBehind(now, timerAt) {
				// A loop that fell behind (a starved process, thousands of
				// links) applies the replies already waiting before it
				// judges down-after against them; on time, a tick goes
				// first as it always has.
				l.drainInbox(len(l.inbox))
				now = time.Now()
			}
			l.step(monitor.Tick{At: now})
			timerAt = now.Add(l.tickInterval())
			timer.Reset(timerAt.Sub(now))
		case in := <-l.inbox:
			now = time.Now()
			l.step(in)
			// Drain what else is already queued before dispatching, so a
			// burst of replies costs one dispatch.
			l.drainInbox(256)
		case c := <-l.calls:
			now = time.Now()
			pending = l.takeCalls(append(pending, c))
			l.core.MarkWakeStale() // calls change the core outside Step
		}
		l.results, l.turnVotes, l.journaled = l.results[:0], l.turnVotes[:0], false
		mustPersist, votesOnly := false, len(pending) > 0
		for i := range pending {
			var res callResult
			res.v, res.err = pending[i].fn(now)
			l.results = append(l.results, res)
			mustPersist = mustPersist || pending[i].mustPersist
			votesOnly = votesOnly && pending[i].votesOnly
		}
		events, flushErr := l.dispatch(now, len(pending) > 0, votesOnly)
		if mustPersist && flushErr == nil && !l.journaled && (l.unpersisted || l.dirty && l.journal == nil) {
			// An earlier write failed: what this reply depends on (a vote
			// cast then) may still be only in memory.
			flushErr = l.flush(now)
		}
		// Publish before replying: a client that reads right after an
		// operator command returned must see its effect.
		if events > 0 || len(pending) > 0 || l.snapshotDue(now) {
			l.publish(now)
		}
		if wake := l.core.NextWake(); !wake.IsZero() && wake.Before(timerAt) {
			// A deadline the core cares about (down-after, a candidacy's
			// turn) comes before the next regular tick.
			timerAt = wake
			timer.Reset(max(time.Until(wake), time.Millisecond))
		}
		for i := range pending {
			res := l.results[i]
			if flushErr != nil && pending[i].mustPersist && res.err == nil {
				res = callResult{err: fmt.Errorf("%w: %w", ErrNotPersisted, flushErr)}
			}
			pending[i].reply <- res
			pending[i] = call{}
			l.results[i] = callResult{}
		}
	}
}

// maxCallsPerTurn bounds the calls one turn of the owner loop serves.
const maxCallsPerTurn = 64

// takeCalls adds to pending the calls already waiting, without blocking:
// they run one after another on the core, and their state changes are
// written once (a batch of votes costs one fsync, not one each).
func (l *Loop) takeCalls(pending []call) []call {
	for len(pending) < maxCallsPerTurn {
		select {
		case c := <-l.calls:
			pending = append(pending, c)
		default:
			return pending
		}
	}
	return pending
}

// publish makes a fresh snapshot the one readers see.
func (l *Loop) publish(now time.Time) {
	s := l.core.Snapshot(now)
	if l.scriptsView != nil {
		s.Scripts = l.scriptsView()
	}
	if l.raftView != nil {
		s.Raft = l.raftView()
	}
	if l.read.Swap(false) {
		l.lastRead = now
	}
	l.snap.Store(s)
	l.lastSnap = now
	l.keepFresh = s.Raft != nil || anyFencing(s)
}

// behindAfter is how late a tick must fire for the loop to count as
// behind: a whole tick interval at the fastest rate (tickInterval).
const behindAfter = 50 * time.Millisecond

// fellBehind says whether a tick meant for timerAt and firing at now is
// late enough that replies may be waiting in the inbox unapplied: then the
// tick drains them first, so a PONG that arrived in time is never judged
// missing (spurious +sdown at 1,000 masters on a starved machine, issue
// 14). An on-time tick keeps the old order, which the any-moment failover
// figures were measured with.
func fellBehind(now, timerAt time.Time) bool {
	return now.Sub(timerAt) >= behindAfter
}

// drainInbox steps up to n inputs already queued, without waiting.
func (l *Loop) drainInbox(n int) {
	for range n {
		select {
		case in := <-l.inbox:
			l.step(in)
		default:
			return
		}
	}
}

func (l *Loop) step(in monitor.Input) {
	if err := l.core.Step(in); err != nil {
		l.log.Warn("core rejected input", "input", fmt.Sprintf("%T", in), "err", err)
	}
}

// dispatch performs the core's outputs. State is flushed first, so a vote
// or an epoch is on disk before any message that depends on it leaves —
// except raft mode's proposals (RequestLease, ProposeSwitch), whose epoch
// the raft log itself makes durable; they are queued before the flush.
//
// Not every change needs the disk before the next message: learning a
// replica or a peer does not. Those writes are coalesced (at most one per
// flushCoalesce, or longer after a slow write), because rewriting the state of 250 masters costs
// milliseconds and a start-up discovers hundreds of instances. A write is
// immediate when anything else in the same Ready depends on it — a vote
// request, a REPLICAOF, a script — and for operator calls.
func (l *Loop) dispatch(now time.Time, call, votesOnly bool) (int, error) {
	rd := l.core.Ready()
	var flushErr error
	wantFlush, urgent, urgentAction := false, call, false
	for _, a := range rd.Actions {
		switch a := a.(type) {
		case monitor.FlushConfig:
			wantFlush = true
		case monitor.Watch, monitor.Unwatch, monitor.Ping, monitor.Info, monitor.PublishHello, monitor.Reconnect:
		case monitor.RequestLease, monitor.ProposeSwitch:
			// Raft mode: the raft log holds their epoch and
			// configuration durably (BoltDB, fsync), so they wait for no
			// state-file write: they go out now, and commit while the
			// state file is written.
			l.exec.Do(a)
		case monitor.AskPeer:
			urgentAction = urgentAction || a.RunID != "*"
		default:
			urgentAction = true
		}
	}
	urgent = urgent || urgentAction
	if votesOnly && !urgentAction && !wantFlush && l.journal != nil && !l.unpersisted {
		// Questions, or votes cast before. Each reply reveals its master's
		// vote as it is now; a vote cast in an earlier turn is in the
		// journal or the state, unless a coalesced write is pending (our
		// own vote, cast on a tick with no vote request going out): then
		// the replies' votes go to the journal first, or the state is
		// written.
		urgent = l.dirty && len(l.turnVotes) > 0 && !l.journalVotes()
	}
	switch {
	case urgent && wantFlush && votesOnly && !urgentAction && l.journalVotes():
		// Only votes changed, and they are in the journal: the state is
		// written with the next coalesced write.
		l.dirty = true
	case urgent && (wantFlush || l.dirty || l.unpersisted):
		// Earlier coalesced (or failed) changes go along: they are about
		// to be acted on.
		flushErr = l.flush(now)
	case wantFlush:
		l.dirty = true
	}
	// A turn of votes and questions replies first (with a journal): the
	// next turn writes.
	if l.dirty && !(votesOnly && l.journal != nil) && now.Sub(l.lastFlush) >= l.flushWindow {
		flushErr = l.flush(now)
	}
	for _, e := range rd.Events {
		l.sink.Event(now, e)
	}
	for _, a := range rd.Actions {
		switch a := a.(type) {
		case monitor.FlushConfig, monitor.RequestLease, monitor.ProposeSwitch:
			// done above
		case monitor.AskPeer:
			if a.RunID != "*" && flushErr != nil {
				// Our epoch and our vote for ourselves are not on disk: do
				// not ask for votes on them. The core asks again next
				// period, and an election that gets no votes times out.
				continue
			}
			l.exec.Do(a)
		case monitor.RunClientReconfigScript:
			if l.scripts != nil {
				l.scripts.ClientReconfig(a)
			}
		default:
			l.exec.Do(a)
		}
	}
	return len(rd.Events), flushErr
}

func (l *Loop) flush(now time.Time) error {
	l.lastFlush = now
	if l.persist == nil {
		l.dirty = false
		return nil
	}
	start := time.Now()
	err := l.persist.Persist(l.core.Snapshot(now))
	l.flushWindow = min(max(flushShare*time.Since(start), flushCoalesce), maxFlushCoalesce)
	if err != nil {
		l.persistErrs.Add(1)
		l.unpersisted = true
		l.dirty = true // retried by the next timed or urgent write
		l.log.Error("cannot persist state", "err", err)
		return err
	}
	l.unpersisted = false
	l.dirty = false
	if l.journal != nil {
		// The state now holds every journaled vote.
		if err := l.journal.Reset(); err != nil {
			l.log.Warn("cannot empty the vote journal", "err", err)
		}
	}
	return nil
}

// journalVotes appends the votes of this turn to the journal; false when
// there is none, nothing to append, an earlier state write failed, or the
// append fails (the caller then writes the state).
func (l *Loop) journalVotes() bool {
	if l.journal == nil || len(l.turnVotes) == 0 || l.unpersisted || l.persist == nil {
		return false
	}
	if err := l.journal.Append(l.turnVotes); err != nil {
		l.persistErrs.Add(1)
		l.log.Error("cannot journal votes, writing the state instead", "err", err)
		return false
	}
	l.journaled = true
	return true
}

// recordVote notes, for the journal, the vote state of the master a
// request asked about. Called by vote calls, on the owner goroutine.
func (l *Loop) recordVote(req monitor.IsMasterDownRequest, rep monitor.IsMasterDownReply) {
	if l.journal == nil || rep.Master == "" || req.RunID == "*" || req.RunID == "" {
		return
	}
	l.turnVotes = append(l.turnVotes, VoteRecord{Master: rep.Master, Leader: rep.Leader, LeaderEpoch: rep.LeaderEpoch, CurrentEpoch: l.core.CurrentEpoch()})
}
