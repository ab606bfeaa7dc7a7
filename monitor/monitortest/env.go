package monitortest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Origin is time zero of every script.
var Origin = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// env is the state of one running script.
type env struct {
	t      *testing.T
	cfg    monitor.Config
	seed   uint64
	core   *monitor.Core
	now    time.Time
	hidden map[string]bool
	// autoPong answers every Ping to these addresses with PONG at once.
	autoPong map[monitor.Addr]bool
	// autoPeer answers every AskPeer to these run ids: "down", "up", or
	// "vote" (down, and a vote for whoever asked for one).
	autoPeer map[string]string
	// raft starts the core in raft mode (init raft=1).
	raft bool
	out  []string
}

func newEnv(t *testing.T) *env {
	return &env{t: t, now: Origin, hidden: map[string]bool{}, autoPong: map[monitor.Addr]bool{}, autoPeer: map[string]string{}, cfg: monitor.Config{MyID: "me"}}
}

// args is a command line split into positional words and key=value options.
type args struct {
	pos  []string
	opts map[string]string
}

func splitArgs(line string) args {
	a := args{opts: map[string]string{}}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" && !strings.ContainsAny(k, ":@") {
			a.opts[k] = v
			continue
		}
		a.pos = append(a.pos, w)
	}
	return a
}

func (e *env) printf(format string, v ...any) { e.out = append(e.out, fmt.Sprintf(format, v...)) }

func (e *env) runBlock(cmds []string) string {
	e.out = nil
	for _, line := range cmds {
		if err := e.run(line); err != nil {
			e.printf("error: %v", err)
		}
		e.drain()
	}
	return strings.Join(e.out, "\n")
}

func (e *env) run(line string) error {
	a := splitArgs(line)
	if len(a.pos) == 0 {
		return errors.New("empty command")
	}
	cmd := a.pos[0]
	a.pos = a.pos[1:]
	if at, ok := a.opts["at"]; ok {
		d, err := time.ParseDuration(at)
		if err != nil {
			return fmt.Errorf("at: %w", err)
		}
		e.now = Origin.Add(d)
		delete(a.opts, "at")
	}
	h, ok := handlers[cmd]
	if !ok {
		return fmt.Errorf("unknown command %q", cmd)
	}
	if cmd != "init" && cmd != "master" && cmd != "start" && cmd != "hide" && cmd != "show" && cmd != "auto-pong" && cmd != "auto-peer" && e.core == nil {
		return errors.New("start the core first")
	}
	return h(e, a)
}

var handlers map[string]func(*env, args) error

func init() {
	handlers = map[string]func(*env, args) error{
		"init":               (*env).handleInit,
		"master":             (*env).handleMaster,
		"start":              (*env).handleStart,
		"tick":               (*env).handleTick,
		"ticks":              (*env).handleTicks,
		"ping":               (*env).handlePing,
		"info":               (*env).handleInfo,
		"hello":              (*env).handleHello,
		"peer":               (*env).handlePeer,
		"monitor":            (*env).handleMonitor,
		"remove":             (*env).handleRemove,
		"reset":              (*env).handleReset,
		"failover":           (*env).handleFailover,
		"ckquorum":           (*env).handleCKQuorum,
		"set":                (*env).handleSet,
		"is-master-down":     (*env).handleIsMasterDown,
		"failover-refused":   (*env).handleFailoverRefused,
		"promotion-not-sent": (*env).handlePromotionNotSent,
		"fenced":             (*env).handleFenced,
		"fencing-read":       (*env).handleFencingRead,
		"debug":              (*env).handleDebug,
		"hide":               (*env).handleHide,
		"show":               (*env).handleShow,
		"state":              (*env).handleState,
		"auto-pong":          (*env).handleAutoPong,
		"auto-peer":          (*env).handleAutoPeer,
		"raft-leader":        (*env).handleRaftLeader,
		"lease":              (*env).handleLease,
		"committed":          (*env).handleCommitted,
		"switch-failed":      (*env).handleSwitchFailed,
		"authority":          (*env).handleAuthority,
	}
}

// drain renders what the core produced, answering auto-pong PINGs (and
// rendering what those answers produced) until nothing is left.
func (e *env) drain() {
	if e.core == nil {
		return
	}
	for range 100 {
		rd := e.core.Ready()
		var answers []monitor.Input
		for _, act := range rd.Actions {
			if p, ok := act.(monitor.Ping); ok && e.autoPong[p.Target] {
				answers = append(answers, monitor.PingResult{At: e.now, Target: p.Target, Kind: monitor.ReplyPong})
			}
			if q, ok := act.(monitor.AskPeer); ok && e.autoPeer[q.PeerRunID] != "" {
				r := monitor.PeerReply{At: e.now, Master: q.Master, Peer: q.PeerRunID, LeaderRunID: "*"}
				switch e.autoPeer[q.PeerRunID] {
				case "down":
					r.Down = true
				case "vote":
					r.Down = true
					if q.RunID != "*" {
						r.LeaderRunID, r.LeaderEpoch = q.RunID, q.Epoch
					}
				}
				answers = append(answers, r)
			}
			kind, text := RenderAction(act)
			if e.hidden[kind] {
				continue
			}
			e.printf("action %s", text)
		}
		for _, ev := range rd.Events {
			e.printf("event %s %s", ev.Type, ev.Payload())
		}
		if len(answers) == 0 {
			return
		}
		for _, in := range answers {
			e.step(in)
		}
	}
}

// RenderAction gives an action's kind and its one-line rendering.
func RenderAction(a monitor.Action) (kind, text string) {
	switch a := a.(type) {
	case monitor.Watch:
		return "watch", fmt.Sprintf("watch %s %s %s", a.Target, a.Kind, a.Master)
	case monitor.Unwatch:
		return "unwatch", "unwatch " + a.Target.String()
	case monitor.Ping:
		return "ping", "ping " + a.Target.String()
	case monitor.Info:
		return "info", "info " + a.Target.String()
	case monitor.PublishHello:
		return "hello", fmt.Sprintf("hello %s epoch=%d master=%s@%s config-epoch=%d",
			a.Target, a.Hello.CurrentEpoch, a.Hello.MasterName, a.Hello.MasterAddr, a.Hello.MasterConfigEpoch)
	case monitor.AskPeer:
		return "ask", fmt.Sprintf("ask %s %s %s epoch=%d runid=%s", a.PeerRunID, a.Master, a.MasterAddr, a.Epoch, a.RunID)
	case monitor.ReplicaOf:
		if a.NoOne {
			return "replicaof", fmt.Sprintf("replicaof %s no one", a.Target)
		}
		return "replicaof", fmt.Sprintf("replicaof %s %s", a.Target, a.NewMaster)
	case monitor.FailoverTo:
		return "failover-to", fmt.Sprintf("failover-to %s to %s timeout %v", a.Target, a.To, a.Timeout)
	case monitor.ScriptKill:
		return "script-kill", "script-kill " + a.Target.String()
	case monitor.Reconnect:
		if a.PubSub {
			return "reconnect", fmt.Sprintf("reconnect %s pubsub", a.Target)
		}
		return "reconnect", "reconnect " + a.Target.String()
	case monitor.FlushConfig:
		return "flush", "flush-config"
	case monitor.RunClientReconfigScript:
		return "client-reconfig", fmt.Sprintf("client-reconfig %s %s %s %s %s", a.Master, a.Role, a.State, a.From, a.To)
	}
	if kind, text, ok := renderRaftAction(a); ok {
		return kind, text
	}
	if kind, text, ok := renderFencingAction(a); ok {
		return kind, text
	}
	return "unknown", fmt.Sprintf("unknown %T", a)
}

// ParseAddr parses "host:port".
func ParseAddr(s string) (monitor.Addr, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return monitor.Addr{}, fmt.Errorf("address %q: want host:port", s)
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return monitor.Addr{}, fmt.Errorf("address %q: %w", s, err)
	}
	return monitor.Addr{Host: strings.Trim(s[:i], "[]"), Port: p}, nil
}

func parseAddrs(s string) ([]monitor.Addr, error) {
	if s == "" {
		return nil, nil
	}
	var out []monitor.Addr
	for _, w := range strings.Split(s, ",") {
		a, err := ParseAddr(w)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// opt sets *dst to option key parsed by parse, when the option is given.
func opt[T any](a args, key string, dst *T, parse func(string) (T, error)) error {
	v, ok := a.opts[key]
	if !ok {
		return nil
	}
	x, err := parse(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	*dst = x
	return nil
}

func optDuration(a args, key string, dst *time.Duration) error {
	return opt(a, key, dst, time.ParseDuration)
}

func optInt(a args, key string, dst *int) error { return opt(a, key, dst, strconv.Atoi) }

func optUint(a args, key string, dst *uint64) error { return opt(a, key, dst, parseUint) }

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

func (e *env) newRand() *rand.Rand { return rand.New(rand.NewPCG(e.seed, e.seed^0x9e3779b97f4a7c15)) }
