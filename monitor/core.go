package monitor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// ErrBadInput is wrapped by every error Step returns: the input itself was
// malformed (no time, unknown reply kind, impossible fields).
var ErrBadInput = errors.New("monitor: malformed input")

// ErrBadConfig is wrapped by every error New returns.
var ErrBadConfig = errors.New("monitor: invalid configuration")

// Faster-than-Redis polling periods. They only make us notice sooner what
// Sentinel would notice anyway; no decision rule depends on them.
const (
	// promotionInfoPeriod polls the promoted replica (and replicas being
	// reconfigured) during a failover, instead of once a second.
	promotionInfoPeriod = 100 * time.Millisecond
	// demotedInfoPeriod polls a returning old master until it reports
	// role:slave, instead of every info-period.
	demotedInfoPeriod = 250 * time.Millisecond
	// replicaFastInfoPeriod is sentinel.c's hard-coded 1 s INFO period for
	// replicas of a master in ODOWN or failover, or with their link down.
	replicaFastInfoPeriod = time.Second
	// sdownInfoPeriod polls the replicas of a master we hold SDOWN (Redis:
	// 1 s from ODOWN on): the leader ranks them on INFO taken after the
	// master died, so it must be there when the election ends.
	sdownInfoPeriod = 250 * time.Millisecond
	// maxFreshInfoWait bounds how long SELECT_SLAVE waits for a live
	// replica's INFO to become fresh before applying Sentinel's rules.
	maxFreshInfoWait = time.Second
	// candidacyTurn and candidacyJitter space out the sentinels' failover
	// attempts after ODOWN (and after a split epoch), in run-id order.
	candidacyTurn   = 100 * time.Millisecond
	candidacyJitter = 20 * time.Millisecond
	// undecidedEpochWait is how long an epoch of ours with unknown votes
	// and no visible winner is given before we try a new one.
	undecidedEpochWait = 1500 * time.Millisecond
	// maxStateMachineSteps bounds how many failover states one input may
	// walk through (there are six).
	maxStateMachineSteps = 8
)

// Core is the deterministic Sentinel state machine. Not safe for concurrent
// use: one goroutine (monitor/supervisor) owns it.
type Core struct {
	myID         string
	currentEpoch uint64
	announce     Addr
	timers       Timers
	limits       Limits
	rng          *rand.Rand

	masters []*master // sorted by name
	// wake is NextWake's last answer, good until wakeStale is set.
	wake      time.Time
	wakeStale bool
	links     map[Addr]*link

	// views holds what the last Snapshot built per master, to share the
	// parts that did not change (snapshotbuild.go).
	views viewCache

	tilt      bool
	tiltSince time.Time
	tiltCount uint64
	prevTick  time.Time
	now       time.Time // time of the latest input or operator call

	actions []Action
	events  []Event
	flush   bool

	// announceHostnames: show host names as such (SetAnnounceHostnames).
	announceHostnames bool

	// raft is raft mode's state (monitor/raftseam.go); nil in vote mode.
	raft *raftSeam

	// paused maps a master to the end of its SENTINEL PAUSE (pause.go).
	paused map[string]time.Time
	// tiltDelta is the gap between ticks that caused the last TILT:
	// negative when the clock went back.
	tiltDelta time.Duration
}

// New builds a core from its configuration. rng supplies all randomness
// (the failover start desync); the caller seeds it. The first Ready holds
// a Watch action for every configured instance.
func New(cfg Config, rng *rand.Rand) (*Core, error) {
	if cfg.MyID == "" {
		return nil, fmt.Errorf("%w: empty myid", ErrBadConfig)
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random source", ErrBadConfig)
	}
	c := &Core{
		wakeStale:    true,
		myID:         cfg.MyID,
		currentEpoch: cfg.CurrentEpoch,
		announce:     cfg.Announce,
		timers:       withDefaultTimers(cfg.Timers),
		limits:       withDefaultLimits(cfg.Limits),
		rng:          rng,
		links:        make(map[Addr]*link),
	}
	c.announceHostnames = cfg.AnnounceHostnames
	for _, mc := range cfg.Masters {
		if problem := c.validateMaster(mc); problem != "" {
			return nil, fmt.Errorf("%w: master %q: %s", ErrBadConfig, mc.Name, problem)
		}
		m := c.addMaster(mc, time.Time{})
		for _, a := range mc.KnownReplicas {
			if validAddr(a) {
				c.addReplica(m, a, time.Time{})
			}
		}
		for _, ks := range mc.KnownSentinels {
			if validAddr(ks.Addr) && ks.RunID != "" && ks.RunID != c.myID && m.sentinelByAddr(ks.Addr) == nil {
				c.addSentinel(m, ks.Addr, ks.RunID, time.Time{})
			}
		}
	}
	return c, nil
}

func withDefaultTimers(t Timers) Timers {
	d := DefaultTimers()
	set := orDefault[time.Duration]
	set(&t.PingPeriod, d.PingPeriod)
	set(&t.InfoPeriod, d.InfoPeriod)
	set(&t.AskPeriod, d.AskPeriod)
	set(&t.PublishPeriod, d.PublishPeriod)
	set(&t.DefaultDownAfter, d.DefaultDownAfter)
	set(&t.DefaultFailoverTimeout, d.DefaultFailoverTimeout)
	set(&t.TiltTrigger, d.TiltTrigger)
	set(&t.TiltPeriod, d.TiltPeriod)
	set(&t.SlaveReconfTimeout, d.SlaveReconfTimeout)
	set(&t.MinLinkReconnectPeriod, d.MinLinkReconnectPeriod)
	set(&t.ElectionTimeout, d.ElectionTimeout)
	set(&t.ScriptMaxRuntime, d.ScriptMaxRuntime)
	set(&t.ScriptRetryDelay, d.ScriptRetryDelay)
	if t.MaxDesync < 0 {
		t.MaxDesync = 0
	}
	return t
}

func withDefaultLimits(l Limits) Limits {
	d := DefaultLimits()
	orDefault(&l.MaxReplicas, d.MaxReplicas)
	orDefault(&l.MaxSentinels, d.MaxSentinels)
	return l
}

// orDefault sets *v to def when *v is unset (zero or less).
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func validAddr(a Addr) bool { return a.Host != "" && a.Port > 0 && a.Port <= 65535 }

// validateMaster checks a master definition and returns the problem in
// SENTINEL MONITOR's words (without the "ERR " code), or "" when valid.
func (c *Core) validateMaster(mc MasterConfig) string {
	quorumErr := settings.CheckQuorum(int64(mc.Quorum))
	switch {
	case mc.Name == "":
		return "Empty master name."
	case strings.ContainsAny(mc.Name, " \r\n,"):
		// The name travels in the comma-separated hello and in
		// space-separated event payloads.
		return "Master name must not contain spaces, commas or newlines."
	case quorumErr != nil:
		return quorumErr.Error()
	case mc.Addr.Host == "":
		return "Invalid IP address or hostname specified"
	case mc.Addr.Port <= 0 || mc.Addr.Port > 65535:
		return "Invalid port number."
	case c.masterByName(mc.Name) != nil:
		return "Duplicate master name."
	case mc.DownAfter < 0 || mc.FailoverTimeout < 0 || mc.ParallelSyncs < 0 || mc.RebootDownAfter < 0:
		return "Negative timer or parallel-syncs."
	}
	return ""
}

func (c *Core) addMaster(mc MasterConfig, now time.Time) *master {
	m := &master{
		name:           mc.Name,
		MasterSettings: mc.MasterSettings.Clone(),
		configEpoch:    mc.ConfigEpoch,
		leaderEpoch:    mc.LeaderEpoch,
		leader:         mc.Leader,
	}
	if m.RenameCommands == nil {
		m.RenameCommands = map[string]string{}
	}
	if m.DownAfter == 0 {
		m.DownAfter = c.timers.DefaultDownAfter
	}
	if m.FailoverTimeout == 0 {
		m.FailoverTimeout = c.timers.DefaultFailoverTimeout
	}
	if m.ParallelSyncs == 0 {
		m.ParallelSyncs = 1
	}
	m.inst = &instance{
		kind:             KindMaster,
		addr:             mc.Addr,
		m:                m,
		flags:            FlagMaster,
		roleReported:     RoleMaster,
		roleReportedTime: now,
		priority:         100,
		announced:        true,
	}
	i, _ := slices.BinarySearchFunc(c.masters, m.name, masterName)
	c.masters = slices.Insert(c.masters, i, m)
	c.acquireLink(m.inst, now)
	return m
}

func (c *Core) masterByName(name string) *master { return findSorted(c.masters, name, masterName) }

// masterName orders c.masters: by name.
func masterName(m *master, name string) int { return strings.Compare(m.name, name) }

// findSorted returns the element of s, sorted by cmp, that cmp finds equal
// to key, or nil.
func findSorted[E any, K any](s []*E, key K, cmp func(*E, K) int) *E {
	i, ok := slices.BinarySearchFunc(s, key, cmp)
	if !ok {
		return nil
	}
	return s[i]
}

// act queues an action for Ready.
func (c *Core) act(a Action) { c.actions = append(c.actions, a) }

// flushConfig asks for the state to be persisted (sentinelFlushConfig);
// Ready puts one FlushConfig first.
func (c *Core) flushConfig() { c.flush = true }

func (c *Core) event(typ string, lvl Level, i *instance, extra string) {
	var ref *InstanceRef
	if i != nil {
		ref = c.ref(i)
	}
	c.events = append(c.events, Event{Type: typ, Level: lvl, Instance: ref, Extra: extra})
}

// rawEvent is an event whose payload is custom text (no "%@" prefix).
func (c *Core) rawEvent(typ string, lvl Level, text string) {
	c.events = append(c.events, Event{Type: typ, Level: lvl, Extra: text})
}

// masterEvent is a custom-payload event about master m.
func (c *Core) masterEvent(typ string, lvl Level, m *master, text string) {
	c.events = append(c.events, Event{Type: typ, Level: lvl, Extra: text, Master: m.name})
}

func (c *Core) newEpochEvent(m *master) {
	c.masterEvent(EventNewEpoch, LevelWarning, m, strconv.FormatUint(c.currentEpoch, 10))
}

// Ready drains the actions and events produced since the last call. A
// FlushConfig, when any state worth persisting changed, comes first.
func (c *Core) Ready() Ready {
	var rd Ready
	if c.flush {
		rd.Actions = append(rd.Actions, FlushConfig{})
		c.flush = false
	}
	rd.Actions = append(rd.Actions, c.actions...)
	rd.Events = c.events
	c.actions = nil
	c.events = nil
	return rd
}

// NextWake is the earliest moment a Tick has something to do that the
// driver's regular tick cadence would see late: a master's down-after
// deadline, a candidacy whose turn comes, the end of the wait for fresh
// replica INFO. Zero when nothing is due. A driver that ticks at
// min(its cadence, NextWake) turns each of them into an action within
// a millisecond or so; one that ignores it loses only that latency.
//
// It is cached between the inputs that can move it earlier (wakeStale):
// the owner loop asks after every turn, and walking every master for each
// PONG and hello was 8 % of a settled sentinel's CPU at 100 masters. A
// cached value can only be early (a deadline since cleared), which costs
// one tick.
func (c *Core) NextWake() time.Time {
	if !c.wakeStale {
		return c.wake
	}
	c.wakeStale = false
	c.wake = c.nextWake()
	return c.wake
}

// MarkWakeStale makes the next NextWake look again: the driver calls it
// after running calls on the core (operator commands, votes), which do
// not go through Step.
func (c *Core) MarkWakeStale() { c.wakeStale = true }

func (c *Core) nextWake() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if c.tilt {
		return next
	}
	// Each deadline is considered on its own: a PONG clears actPing without
	// marking the cache stale, which must never uncover an earlier one.
	for _, m := range c.masters {
		if l := m.inst.link; m.inst.flags&FlagSDown == 0 && l != nil && l.born && !l.actPing.IsZero() {
			consider(l.actPing.Add(m.DownAfter + time.Millisecond))
		}
		if !m.candidateAt.IsZero() {
			consider(m.candidateAt)
		}
		if m.failoverState == FailoverSelectReplica {
			consider(m.failoverStateSince.Add(c.freshInfoWait(m)))
		}
	}
	return next
}

// Step feeds one input. The error is only for malformed input, which
// changes nothing.
func (c *Core) Step(in Input) error {
	if in == nil {
		return fmt.Errorf("%w: nil input", ErrBadInput)
	}
	at := in.at()
	if at.IsZero() {
		return fmt.Errorf("%w: %T without a time", ErrBadInput, in)
	}
	if err := c.validateInput(in); err != nil {
		return err
	}
	c.now = at
	events := len(c.events)
	defer func() {
		// The hot inputs (a PONG, a hello, INFO, a vote) move NextWake
		// earlier only through what marks it (an event, a failover
		// state, a new down-after clock); anything else may.
		switch in.(type) {
		case PingResult, HelloReceived, InfoResult, PeerReply:
			if len(c.events) != events {
				c.wakeStale = true
			}
		default:
			c.wakeStale = true
		}
	}()
	switch in := in.(type) {
	case Tick:
		c.onTick(at)
	case PingResult:
		c.onPing(in)
	case Resolved:
		c.onResolved(in)
	case SubscribeResult:
		c.onSubscribe(in)
	case InfoResult:
		c.onInfo(in)
	case HelloReceived:
		c.onHello(in)
	case PeerReply:
		c.onPeerReply(in)
	case LinkBroken:
		c.onLinkBroken(in)
	case FailoverRefused:
		c.onFailoverRefused(in)
	case PromotionNotSent:
		c.onPromotionNotSent(in)
	case FencingResult:
		c.onFencingResult(in)
	default:
		c.stepRaft(in)
	}
	return nil
}

// validateInput rejects malformed input before anything changes.
func (c *Core) validateInput(in Input) error {
	switch in := in.(type) {
	case Tick, LinkBroken, FailoverRefused, PromotionNotSent, FencingResult:
	case PingResult:
		return checkReplyKind("ping", in.Kind)
	case InfoResult:
		if err := checkReplyKind("info", in.Kind); err != nil {
			return err
		}
		if in.Kind == ReplyPong && in.Info.Role > RoleReplica {
			return fmt.Errorf("%w: info role %d", ErrBadInput, in.Info.Role)
		}
	case HelloReceived:
		h := in.Hello
		if h.RunID == "" || h.MasterName == "" || !validAddr(h.SentinelAddr) || !validAddr(h.MasterAddr) {
			return fmt.Errorf("%w: hello %q", ErrBadInput, h.String())
		}
	case PeerReply:
		return checkReplyKind("peer", in.Kind)
	case Resolved:
		return in.validate()
	case SubscribeResult:
		return in.validate()
	default:
		return c.validateRaftInput(in)
	}
	return nil
}

func checkReplyKind(what string, k ReplyKind) error {
	if k > ReplyOther {
		return fmt.Errorf("%w: %s reply kind %d", ErrBadInput, what, k)
	}
	return nil
}

// onTick is sentinelTimer: TILT check, then every master with its replicas
// and peers, in name order.
func (c *Core) onTick(now time.Time) {
	c.checkTilt(now)
	if c.tilt && now.Sub(c.tiltSince) >= c.timers.TiltPeriod {
		c.tilt = false
		c.rawEvent(EventTiltExited, LevelWarning, "#tilt mode exited")
	}
	// Held-back hellos first: applying one may switch a master or drop a
	// peer everywhere, which must happen before this tick sends anything
	// to the links involved.
	for _, m := range c.masters {
		c.applyDeferredHello(m, now)
		c.raftApplyDeferred(m, now)
	}
	// A switch changes the masters' fields, never c.masters itself, so
	// ranging over it is safe.
	for _, m := range c.masters {
		c.handleMaster(m, now)
	}
}

// checkTilt is sentinelCheckTiltCondition: a tick that comes too late (the
// process stalled) or goes back in time (the clock jumped) means our timers
// cannot be trusted for a while.
func (c *Core) checkTilt(now time.Time) {
	if !c.prevTick.IsZero() {
		delta := now.Sub(c.prevTick)
		if delta < 0 || delta > c.timers.TiltTrigger {
			c.tilt = true
			c.tiltSince = now
			c.tiltCount++
			c.tiltDelta = delta
			c.events = append(c.events, Event{Type: EventTilt, Level: LevelWarning, Extra: "#tilt mode entered",
				Detail: TiltCause(delta, c.timers.TiltTrigger)})
		}
	}
	c.prevTick = now
}

// handleMaster is sentinelHandleRedisInstance for the master, then its
// replicas and peers, as sentinelHandleDictOfRedisInstances orders it.
func (c *Core) handleMaster(m *master, now time.Time) {
	c.periodic(m.inst, now)
	if !c.tilt {
		c.checkSDown(m.inst, now)
		c.checkODown(m, now)
		if c.startFailoverIfNeeded(m, now) {
			c.askPeers(m, now, true)
		}
		c.runFailover(m, now)
		c.askPeers(m, now, false)
		c.handleFencing(m, now)
	}
	// Nothing below switches the master, so m.replicas is stable here.
	for _, r := range m.replicas {
		c.periodic(r, now)
		if !c.tilt {
			c.checkSDown(r, now)
		}
	}
	for _, s := range m.sentinels {
		c.periodic(s, now)
		if !c.tilt {
			c.checkSDown(s, now)
		}
	}
	if !c.tilt {
		c.forgetGone(m, now)
	}
}
