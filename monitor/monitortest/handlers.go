package monitortest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

func (e *env) handleInit(a args) error {
	if e.core != nil {
		return errors.New("already started")
	}
	e.cfg.Timers = monitor.DefaultTimers()
	if v, ok := a.opts["myid"]; ok {
		e.cfg.MyID = v
	}
	e.raft = a.opts["raft"] == "1"
	if err := optUint(a, "epoch", &e.cfg.CurrentEpoch); err != nil {
		return err
	}
	if err := optUint(a, "seed", &e.seed); err != nil {
		return err
	}
	if err := optDuration(a, "desync", &e.cfg.Timers.MaxDesync); err != nil {
		return err
	}
	for key, dst := range map[string]*int{"max-replicas": &e.cfg.Limits.MaxReplicas, "max-sentinels": &e.cfg.Limits.MaxSentinels} {
		if v, ok := a.opts[key]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			*dst = n
		}
	}
	if v, ok := a.opts["announce"]; ok {
		ad, err := ParseAddr(v)
		if err != nil {
			return err
		}
		e.cfg.Announce = ad
	}
	t := &e.cfg.Timers
	for key, dst := range map[string]*time.Duration{
		"ping-period": &t.PingPeriod, "info-period": &t.InfoPeriod, "ask-period": &t.AskPeriod,
		"publish-period": &t.PublishPeriod, "tilt-trigger": &t.TiltTrigger, "tilt-period": &t.TiltPeriod,
		"slave-reconf-timeout": &t.SlaveReconfTimeout, "election-timeout": &t.ElectionTimeout,
		"min-link-reconnect-period": &t.MinLinkReconnectPeriod,
	} {
		if err := optDuration(a, key, dst); err != nil {
			return err
		}
	}
	return nil
}

func masterConfigFrom(a args) (monitor.MasterConfig, error) {
	var mc monitor.MasterConfig
	if len(a.pos) != 2 {
		return mc, errors.New("want <name> <host:port>")
	}
	mc.Name = a.pos[0]
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return mc, err
	}
	mc.Addr = addr
	for _, f := range []error{
		optInt(a, "quorum", &mc.Quorum),
		optDuration(a, "down-after", &mc.DownAfter),
		optDuration(a, "failover-timeout", &mc.FailoverTimeout),
		optInt(a, "parallel-syncs", &mc.ParallelSyncs),
		optDuration(a, "reboot-down-after", &mc.RebootDownAfter),
		optUint(a, "config-epoch", &mc.ConfigEpoch),
		optUint(a, "leader-epoch", &mc.LeaderEpoch),
	} {
		if f != nil {
			return mc, f
		}
	}
	mc.Leader = a.opts["leader"]
	if mc.KnownReplicas, err = parseAddrs(a.opts["replicas"]); err != nil {
		return mc, err
	}
	if s := a.opts["sentinels"]; s != "" {
		for _, w := range strings.Split(s, ",") {
			id, ad, ok := strings.Cut(w, "@")
			if !ok {
				return mc, fmt.Errorf("sentinel %q: want id@host:port", w)
			}
			addr, err := ParseAddr(ad)
			if err != nil {
				return mc, err
			}
			mc.KnownSentinels = append(mc.KnownSentinels, monitor.KnownSentinel{Addr: addr, RunID: id})
		}
	}
	return mc, nil
}

func (e *env) handleMaster(a args) error {
	mc, err := masterConfigFrom(a)
	if err != nil {
		return err
	}
	e.cfg.Masters = append(e.cfg.Masters, mc)
	return nil
}

func (e *env) handleStart(args) error {
	if e.cfg.Timers == (monitor.Timers{}) {
		e.cfg.Timers = monitor.DefaultTimers()
	}
	c, err := monitor.New(e.cfg, e.newRand())
	if err != nil {
		return err
	}
	if e.raft {
		c.EnableRaftMode()
	}
	e.core = c
	return nil
}

func parseOffset(s string) (time.Time, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, err
	}
	return Origin.Add(d), nil
}

func (e *env) step(in monitor.Input) {
	if err := e.core.Step(in); err != nil {
		e.printf("error: %v", err)
	}
}

func (e *env) handleTick(a args) error {
	if len(a.pos) == 1 {
		t, err := parseOffset(a.pos[0])
		if err != nil {
			return err
		}
		e.now = t
	}
	e.step(monitor.Tick{At: e.now})
	return nil
}

func (e *env) handleTicks(a args) error {
	if len(a.pos) != 3 {
		return errors.New("want <from> <to> <step>")
	}
	from, err := parseOffset(a.pos[0])
	if err != nil {
		return err
	}
	to, err := parseOffset(a.pos[1])
	if err != nil {
		return err
	}
	step, err := time.ParseDuration(a.pos[2])
	if err != nil || step <= 0 {
		return fmt.Errorf("bad step %q", a.pos[2])
	}
	for t := from; !t.After(to); t = t.Add(step) {
		e.now = t
		e.step(monitor.Tick{At: t})
		e.drain()
	}
	return nil
}

var replyKinds = map[string]monitor.ReplyKind{
	"pong": monitor.ReplyPong, "loading": monitor.ReplyLoading, "masterdown": monitor.ReplyMasterDown,
	"busy": monitor.ReplyBusy, "timeout": monitor.ReplyTimeout, "connerr": monitor.ReplyConnErr,
	"other": monitor.ReplyOther,
}

// addrAndKind parses the "<host:port> <kind>" arguments of ping and
// subscribe.
func addrAndKind(a args) (monitor.Addr, monitor.ReplyKind, error) {
	if len(a.pos) != 2 {
		return monitor.Addr{}, 0, errors.New("want <host:port> <kind>")
	}
	addr, err := ParseAddr(a.pos[0])
	if err != nil {
		return monitor.Addr{}, 0, err
	}
	k, ok := replyKinds[a.pos[1]]
	if !ok {
		return monitor.Addr{}, 0, fmt.Errorf("unknown reply kind %q", a.pos[1])
	}
	return addr, k, nil
}

func (e *env) handlePing(a args) error {
	addr, k, err := addrAndKind(a)
	if err != nil {
		return err
	}
	e.step(monitor.PingResult{At: e.now, Target: addr, Kind: k})
	return nil
}

func (e *env) handleInfo(a args) error {
	if len(a.pos) < 1 {
		return errors.New("want <host:port>")
	}
	addr, err := ParseAddr(a.pos[0])
	if err != nil {
		return err
	}
	in := monitor.InfoResult{At: e.now, Target: addr, Kind: monitor.ReplyPong}
	if len(a.pos) > 1 {
		k, ok := replyKinds[a.pos[1]]
		if !ok {
			return fmt.Errorf("unknown reply kind %q", a.pos[1])
		}
		in.Kind = k
	}
	ni := &in.Info
	ni.ReplicaPriority = 100
	ni.ReplicaAnnounced = true
	switch a.opts["role"] {
	case "master":
		ni.Role = monitor.RoleMaster
	case "slave":
		ni.Role = monitor.RoleReplica
	case "":
	default:
		return fmt.Errorf("unknown role %q", a.opts["role"])
	}
	ni.RunID = a.opts["runid"]
	lines, err := parseAddrs(a.opts["replicas"])
	if err != nil {
		return err
	}
	for _, l := range lines {
		ni.Replicas = append(ni.Replicas, monitor.ReplicaLine{Addr: l, State: "online"})
	}
	if v, ok := a.opts["master"]; ok {
		ma, err := ParseAddr(v)
		if err != nil {
			return err
		}
		ni.MasterHost, ni.MasterPort = ma.Host, ma.Port
		ni.MasterLinkUp = true
	}
	switch a.opts["link"] {
	case "down":
		ni.MasterLinkUp = false
	case "up":
		ni.MasterLinkUp = true
	}
	if err := optDuration(a, "link-down", &ni.MasterLinkDownSince); err != nil {
		return err
	}
	if err := optInt(a, "priority", &ni.ReplicaPriority); err != nil {
		return err
	}
	if v, ok := a.opts["offset"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		ni.ReplicaReplOffset = n
	}
	if v, ok := a.opts["master-offset"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return err
		}
		ni.MasterReplOffset = n
	}
	if err := optDuration(a, "uptime", &ni.Uptime); err != nil {
		return err
	}
	if a.opts["announced"] == "0" {
		ni.ReplicaAnnounced = false
	}
	in.Raw = "# Replication\r\nrole:" + ni.Role.String() + "\r\n"
	e.step(in)
	return nil
}

func (e *env) handleHello(a args) error {
	via, err := ParseAddr(a.opts["via"])
	if err != nil {
		return err
	}
	id, from, ok := strings.Cut(a.opts["from"], "@")
	if !ok {
		return errors.New("from=<id>@<host:port>")
	}
	fromAddr, err := ParseAddr(from)
	if err != nil {
		return err
	}
	name, maddr, ok := strings.Cut(a.opts["master"], "@")
	if !ok {
		return errors.New("master=<name>@<host:port>")
	}
	masterAddr, err := ParseAddr(maddr)
	if err != nil {
		return err
	}
	h := monitor.Hello{SentinelAddr: fromAddr, RunID: id, MasterName: name, MasterAddr: masterAddr}
	if err := optUint(a, "epoch", &h.CurrentEpoch); err != nil {
		return err
	}
	if err := optUint(a, "config-epoch", &h.MasterConfigEpoch); err != nil {
		return err
	}
	e.step(monitor.HelloReceived{At: e.now, Via: via, Hello: h})
	return nil
}

func (e *env) handlePeer(a args) error {
	if len(a.pos) != 3 {
		return errors.New("want <master> <id> <down|up|fail>")
	}
	in := monitor.PeerReply{At: e.now, Master: a.pos[0], Peer: a.pos[1], LeaderRunID: "*"}
	switch a.pos[2] {
	case "down":
		in.Down = true
	case "up":
	case "fail":
		in.Kind = monitor.ReplyTimeout
	default:
		return fmt.Errorf("unknown opinion %q", a.pos[2])
	}
	if v, ok := a.opts["leader"]; ok {
		in.LeaderRunID = v
	}
	if err := optUint(a, "leader-epoch", &in.LeaderEpoch); err != nil {
		return err
	}
	e.step(in)
	return nil
}

func (e *env) result(err error) {
	if err != nil {
		e.printf("result -%v", err)
		return
	}
	e.printf("result OK")
}

func (e *env) handleMonitor(a args) error {
	mc, err := masterConfigFrom(a)
	if err != nil {
		return err
	}
	e.result(e.core.Monitor(e.now, mc))
	return nil
}

func (e *env) handleRemove(a args) error {
	if len(a.pos) != 1 {
		return errors.New("want <name>")
	}
	e.result(e.core.Remove(e.now, a.pos[0]))
	return nil
}

func (e *env) handleReset(a args) error {
	if len(a.pos) != 1 {
		return errors.New("want <pattern>")
	}
	e.printf("result %d", e.core.Reset(e.now, a.pos[0]))
	return nil
}

func (e *env) handleFailover(a args) error {
	if len(a.pos) < 1 || len(a.pos) > 2 || (len(a.pos) == 2 && a.pos[1] != "coordinated") {
		return errors.New("want <name> [coordinated]")
	}
	e.result(e.core.Failover(e.now, a.pos[0], len(a.pos) == 2))
	return nil
}

func (e *env) handlePromotionNotSent(a args) error {
	if len(a.pos) != 2 {
		return errors.New("want <master> <host:port>")
	}
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return err
	}
	e.step(monitor.PromotionNotSent{At: e.now, Master: a.pos[0], Target: addr})
	return nil
}

func (e *env) handleFailoverRefused(a args) error {
	if len(a.pos) != 2 {
		return errors.New("want <master> <host:port> [reason=...]")
	}
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return err
	}
	e.step(monitor.FailoverRefused{At: e.now, Master: a.pos[0], Target: addr, Reason: a.opts["reason"]})
	return nil
}

func (e *env) handleCKQuorum(a args) error {
	if len(a.pos) != 1 {
		return errors.New("want <name>")
	}
	n, err := e.core.CKQuorum(e.now, a.pos[0])
	if err != nil {
		e.result(err)
		return nil
	}
	e.printf("result OK %d usable Sentinels", n)
	return nil
}

// handleSet takes positional words (so option values may contain '=').
func (e *env) handleSet(a args) error {
	words := a.pos
	for k, v := range a.opts {
		return fmt.Errorf("set takes plain words, got %s=%s", k, v)
	}
	if len(words) < 1 {
		return errors.New("want <name> <opt> <val> [<opt> <val>]")
	}
	var settings []monitor.Setting
	for k := 1; k < len(words); {
		opt := words[k]
		n := 1
		if strings.EqualFold(opt, "rename-command") {
			n = 2
		}
		if k+n >= len(words) {
			return fmt.Errorf("option %q needs %d value(s)", opt, n)
		}
		settings = append(settings, monitor.Setting{Name: opt, Value: strings.Join(words[k+1:k+1+n], " ")})
		k += 1 + n
	}
	e.result(e.core.Set(e.now, words[0], settings))
	return nil
}

func (e *env) handleIsMasterDown(a args) error {
	if len(a.pos) != 3 {
		return errors.New("want <host:port> <epoch> <runid> [name=<client name>]")
	}
	addr, err := ParseAddr(a.pos[0])
	if err != nil {
		return err
	}
	ep, err := parseUint(a.pos[1])
	if err != nil {
		return err
	}
	r := e.core.IsMasterDownByAddr(e.now, monitor.IsMasterDownRequest{Addr: addr, CurrentEpoch: ep, RunID: a.pos[2], ClientName: a.opts["name"]})
	down := 0
	if r.Down {
		down = 1
	}
	e.printf("result %d %s %d", down, r.Leader, r.LeaderEpoch)
	return nil
}

func (e *env) handleDebug(a args) error {
	var settings []monitor.Setting
	for k := 0; k+1 < len(a.pos); k += 2 {
		settings = append(settings, monitor.Setting{Name: a.pos[k], Value: a.pos[k+1]})
	}
	if err := e.core.Debug(settings); err != nil {
		e.result(err)
		return nil
	}
	var parts []string
	for _, s := range e.core.DebugValues() {
		parts = append(parts, s.Name+"="+s.Value)
	}
	e.printf("result %s", strings.Join(parts, " "))
	return nil
}

func (e *env) handleHide(a args) error {
	for _, w := range a.pos {
		for _, k := range strings.Split(w, ",") {
			e.hidden[k] = true
		}
	}
	return nil
}

func (e *env) handleShow(a args) error {
	for _, w := range a.pos {
		for _, k := range strings.Split(w, ",") {
			delete(e.hidden, k)
		}
	}
	return nil
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).String()
}

func (e *env) handleState(a args) error {
	s := e.core.Snapshot(e.now)
	e.printf("state epoch=%d tilt=%v tilt-count=%d", s.CurrentEpoch, s.Tilt, s.TiltCount)
	for _, m := range s.Masters {
		if len(a.pos) == 1 && m.Name != a.pos[0] {
			continue
		}
		leader := m.Leader
		if leader == "" {
			leader = "-"
		}
		e.printf("master %s %s flags=%s current=%s failover=%s config-epoch=%d leader=%s/%d quorum=%d",
			m.Name, m.Addr, m.Flags, m.CurrentAddr, m.FailoverState, m.ConfigEpoch, leader, m.LeaderEpoch, m.Quorum)
		for _, r := range m.Replicas {
			runID := r.RunID
			if runID == "" {
				runID = "-"
			}
			e.printf("  replica %s flags=%s runid=%s role=%s master=%s:%d link-up=%v prio=%d offset=%d",
				r.Addr, r.Flags, runID, r.RoleReported, r.MasterHost, r.MasterPort, r.MasterLinkUp, r.Priority, r.ReplOffset)
		}
		for _, p := range m.Sentinels {
			v := p.VotedLeader
			if v == "" {
				v = "?"
			}
			e.printf("  sentinel %s %s flags=%s voted=%s/%d last-hello=%s", p.Name, p.Addr, p.Flags, v, p.VotedLeaderEpoch, ago(s.At, p.LastHello))
		}
	}
	return nil
}

// handleAutoPong: "auto-pong h:p,h:p" adds, "auto-pong -h:p" removes,
// "auto-pong off" clears.
func (e *env) handleAutoPong(a args) error {
	for _, w := range a.pos {
		if w == "off" {
			clear(e.autoPong)
			continue
		}
		for _, s := range strings.Split(w, ",") {
			remove := strings.HasPrefix(s, "-")
			addr, err := ParseAddr(strings.TrimPrefix(s, "-"))
			if err != nil {
				return err
			}
			if remove {
				delete(e.autoPong, addr)
			} else {
				e.autoPong[addr] = true
			}
		}
	}
	return nil
}

// handleAutoPeer: "auto-peer s2=down s3=vote", "auto-peer s2=off".
func (e *env) handleAutoPeer(a args) error {
	for id, mode := range a.opts {
		switch mode {
		case "down", "up", "vote":
			e.autoPeer[id] = mode
		case "off":
			delete(e.autoPeer, id)
		default:
			return fmt.Errorf("auto-peer %s=%s: want down, up, vote or off", id, mode)
		}
	}
	return nil
}
