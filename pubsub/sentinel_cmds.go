package pubsub

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
	"github.com/sentinelgo/sentinel/settings"
)

// masterOrReply looks the master up in snap and answers "No such master"
// when it is missing.
func masterOrReply(c *client, snap *monitor.Snapshot, name []byte) *monitor.MasterView {
	m := snap.Master(string(name))
	if m == nil {
		c.err(errNoSuchMaster)
	}
	return m
}

func cmdSentinelMasters(_ context.Context, c *client, _ [][]byte) {
	snap := c.srv.snapshot()
	proto := c.wr.Protocol()
	slot := &c.srv.mastersReply[proto&3]
	if r := slot.Load(); r != nil && r.snap.is(snap) {
		c.wr.Raw(r.b)
		return
	}
	var buf bytes.Buffer
	w := resp.NewWriter(&buf)
	w.SetProtocol(proto)
	shown := make([]*monitor.MasterView, 0, len(snap.Masters))
	for i := range snap.Masters {
		if !addrWithheld(snap, &snap.Masters[i]) {
			shown = append(shown, &snap.Masters[i])
		}
	}
	w.ArrayLen(len(shown))
	for _, m := range shown {
		writeFields(w, append(MasterFields(m, snap.At), RaftMasterFields(snap.Raft)...))
	}
	_ = w.Flush()
	slot.Store(&renderedReply{snap: refTo(snap), b: buf.Bytes()})
	c.wr.Raw(buf.Bytes())
}

// addrWithheld reports whether this sentinel answers clients as if it did
// not know m (issue 11): with fencing on and no majority of the sentinels
// reached, or in raft mode with no leader contact. GET-MASTER-ADDR-BY-NAME
// then answers null and SENTINEL MASTERS leaves m out, so clients that
// discover the master either way (go-redis and ioredis by the address,
// redis-py by SENTINEL MASTERS) ask the next sentinel. SENTINEL MASTER
// <name>, REPLICAS and SENTINELS still answer: they are the operator's
// view, and MASTER says why in its authority field.
func addrWithheld(snap *monitor.Snapshot, m *monitor.MasterView) bool {
	return monitor.Withheld(m, snap.At) || snap.Raft.Withholds()
}

func cmdSentinelMaster(_ context.Context, c *client, args [][]byte) {
	snap := c.srv.snapshot()
	if m := masterOrReply(c, snap, args[2]); m != nil {
		writeFields(c.wr, append(MasterFields(m, snap.At), RaftMasterFields(snap.Raft)...))
	}
}

func cmdSentinelReplicas(_ context.Context, c *client, args [][]byte) {
	writeInstances(c, args[2], VisibleReplicas, ReplicaFields)
}

func cmdSentinelSentinels(_ context.Context, c *client, args [][]byte) {
	raft := c.srv.snapshot().Raft
	if raft == nil {
		writeInstances(c, args[2], sentinelViews, SentinelFields)
		return
	}
	// Raft mode: the raft view after the stock fields (format_raft.go).
	writeInstances(c, args[2], sentinelViews, func(s *monitor.SentinelView, at time.Time) []Field {
		var peer *monitor.RaftPeerView
		if p, ok := raft.Peers[s.RunID]; ok {
			peer = &p
		}
		return append(SentinelFields(s, at), RaftSentinelFields(raft, peer)...)
	})
}

// writeInstances answers SENTINEL REPLICAS and SENTINELS: for the master
// called name, an array of one field map per instance list gives.
func writeInstances[V any](c *client, name []byte, list func(*monitor.MasterView) []V, fields func(V, time.Time) []Field) {
	snap := c.srv.snapshot()
	m := masterOrReply(c, snap, name)
	if m == nil {
		return
	}
	vs := list(m)
	c.wr.ArrayLen(len(vs))
	for _, v := range vs {
		writeFields(c.wr, fields(v, snap.At))
	}
}

func sentinelViews(m *monitor.MasterView) []*monitor.SentinelView {
	vs := make([]*monitor.SentinelView, len(m.Sentinels))
	for i := range m.Sentinels {
		vs[i] = &m.Sentinels[i]
	}
	return vs
}

// cmdSentinelGetMasterAddr answers [ip, port], or a null array for an
// unknown name (go-redis then tries the next sentinel).
func cmdSentinelGetMasterAddr(_ context.Context, c *client, args [][]byte) {
	// Withheld (addrWithheld): with fencing on, a sentinel that reaches no
	// majority of its group answers as for an unknown master, so clients
	// ask the next sentinel (go-redis, redis-py and ioredis all do). In
	// raft mode, likewise while cut off from the raft majority.
	if snap := c.srv.ctrl.Snapshot(); snap != nil && !snap.At.IsZero() {
		// The replies rendered once per snapshot (addrreply.go).
		if b, _ := c.srv.addrReply(snap, args[2]); b != nil {
			c.wr.Raw(b)
		} else {
			c.wr.NullArray()
		}
		return
	}
	snap := c.srv.snapshot()
	m := snap.Master(string(args[2]))
	if m == nil || addrWithheld(snap, m) {
		c.wr.NullArray()
		return
	}
	c.wr.Raw(appendAddrReply(nil, masterReplyAddr(m)))
}

func cmdSentinelMyID(_ context.Context, c *client, _ [][]byte) {
	id := c.srv.snapshot().MyID
	if id == "" {
		id = c.srv.opts.RunID
	}
	c.wr.BulkString(id)
}

// cmdSentinelMonitor validates like sentinelCommand's MONITOR branch:
// quorum parses, port parses, quorum > 0, address is an IP (or, with
// resolve-hostnames, a name), port in range.
func cmdSentinelMonitor(ctx context.Context, c *client, args [][]byte) {
	quorum, ok := resp.ParseInt(string(args[5]))
	if !ok {
		c.err(errInvalidQuorum)
		return
	}
	port, ok := resp.ParseInt(string(args[4]))
	if !ok {
		c.err(errInvalidPort)
		return
	}
	if err := settings.CheckQuorum(quorum); err != nil {
		c.replyErr(err)
		return
	}
	host := string(args[3])
	if configs.CheckHost(host, c.srv.resolveHostnames(ctx)) != nil {
		c.err(errInvalidAddress)
		return
	}
	if port < 0 || port > 65535 {
		c.err(errInvalidPortNumber)
		return
	}
	if quorum > 1<<31-1 {
		c.err(errInvalidQuorum)
		return
	}
	err := c.srv.ctrl.Monitor(ctx, monitor.MasterConfig{
		Name:           string(args[2]),
		Addr:           monitor.Addr{Host: host, Port: int(port)},
		MasterSettings: settings.MasterSettings{Quorum: int(quorum)},
	})
	if err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

// resolveHostnames asks the controller for the resolve-hostnames setting.
func (s *Server) resolveHostnames(ctx context.Context) bool {
	settings, err := s.ctrl.ConfigGet(ctx, "resolve-hostnames")
	if err != nil {
		return false
	}
	for _, st := range settings {
		if st.Name == "resolve-hostnames" {
			return strings.EqualFold(st.Value, "yes")
		}
	}
	return false
}

func cmdSentinelRemove(ctx context.Context, c *client, args [][]byte) {
	if masterOrReply(c, c.srv.snapshot(), args[2]) == nil {
		return
	}
	if err := c.srv.ctrl.Remove(ctx, string(args[2])); err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

// cmdSentinelSet refuses a command with any bad option before applying
// one (Redis applies them one by one and can stop half way); the options,
// their rules and Redis's error texts are the core's (monitor.ParseSetArgs).
func cmdSentinelSet(ctx context.Context, c *client, args [][]byte) {
	name := string(args[2])
	if masterOrReply(c, c.srv.snapshot(), args[2]) == nil {
		return
	}
	settings, err := monitor.ParseSetArgs(stringArgs(args[3:]))
	if err != nil {
		c.replyErr(err)
		return
	}
	if err := c.srv.ctrl.Set(ctx, name, settings); err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

func stringArgs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func cmdSentinelReset(ctx context.Context, c *client, args [][]byte) {
	n, err := c.srv.ctrl.Reset(ctx, string(args[2]))
	if err != nil {
		c.replyErr(err)
		return
	}
	c.wr.Integer(int64(n))
}

func cmdSentinelFailover(ctx context.Context, c *client, args [][]byte) {
	// SENTINEL FAILOVER <name> [COORDINATED] (Valkey's planned
	// switchover). Any other extra argument gets 7.0's arity error, as
	// the table's arity (3) says.
	coordinated := len(args) == 4 && strings.EqualFold(string(args[3]), "COORDINATED")
	if len(args) > 4 || (len(args) == 4 && !coordinated) {
		c.err("ERR wrong number of arguments for 'sentinel|failover' command")
		return
	}
	if masterOrReply(c, c.srv.snapshot(), args[2]) == nil {
		return
	}
	if err := c.srv.ctrl.Failover(ctx, string(args[2]), coordinated); err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

func cmdSentinelCKQuorum(ctx context.Context, c *client, args [][]byte) {
	if masterOrReply(c, c.srv.snapshot(), args[2]) == nil {
		return
	}
	usable, err := c.srv.ctrl.CKQuorum(ctx, string(args[2]))
	if err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString(fmt.Sprintf(ckquorumOKFmt, usable))
}

func cmdSentinelFlushConfig(ctx context.Context, c *client, _ [][]byte) {
	if err := c.srv.ctrl.FlushConfig(ctx); err != nil {
		c.replyErr(err)
		return
	}
	c.wr.SimpleString("OK")
}

// cmdSentinelConfig answers SENTINEL CONFIG GET <pattern> and SET
// <parameter> <value>: one of each, as redis-sentinel 7.0 (7.2 takes
// several).
func cmdSentinelConfig(ctx context.Context, c *client, args [][]byte) {
	sub := strings.ToLower(string(args[2]))
	switch {
	case sub == "get" && len(args) == 4:
		settings, err := c.srv.ctrl.ConfigGet(ctx, string(args[3]))
		if err != nil {
			c.replyErr(err)
			return
		}
		c.wr.MapLen(len(settings))
		for _, st := range settings {
			c.wr.BulkString(st.Name)
			c.wr.BulkString(st.Value)
		}
	case sub == "set" && len(args) == 5:
		name, value := string(args[3]), string(args[4])
		// The parameters and their rules are the configuration's.
		if err := configs.CheckRuntimeSetting(name, value); err != nil {
			c.replyErr(err)
			return
		}
		if err := c.srv.ctrl.ConfigSet(ctx, []monitor.Setting{{Name: strings.ToLower(name), Value: value}}); err != nil {
			c.replyErr(err)
			return
		}
		c.wr.SimpleString("OK")
	default:
		c.err(errConfigUsage)
	}
}

func cmdSentinelDebug(ctx context.Context, c *client, args [][]byte) {
	// The timers and their rules are the core's.
	settings, err := monitor.ParseDebugArgs(stringArgs(args[2:]))
	if err != nil {
		c.replyErr(err)
		return
	}
	timers, err := c.srv.ctrl.Debug(ctx, settings)
	if err != nil {
		c.replyErr(err)
		return
	}
	if len(settings) > 0 {
		c.wr.SimpleString("OK") // as redis-sentinel: the list only without arguments
		return
	}
	c.wr.MapLen(len(timers))
	for _, t := range timers {
		c.wr.BulkString(strings.ToUpper(t.Name))
		c.wr.BulkString(t.Value)
	}
}

// cmdSentinelInfoCache answers [name, [[age-ms, info|null] ...]] per
// requested master that exists, the master's entry first, then its
// replicas'.
func cmdSentinelInfoCache(_ context.Context, c *client, args [][]byte) {
	snap := c.srv.snapshot()
	want := map[string]bool{}
	for _, a := range args[2:] {
		want[string(a)] = true
	}
	var masters []*monitor.MasterView
	for i := range snap.Masters {
		if want[snap.Masters[i].Name] {
			masters = append(masters, &snap.Masters[i])
		}
	}
	entry := func(v *monitor.InstanceView) {
		c.wr.ArrayLen(2)
		age, _ := strconv.ParseInt(msAgo(snap.At, v.InfoRefresh), 10, 64)
		c.wr.Integer(age)
		if v.InfoCache == "" {
			c.wr.Null()
		} else {
			c.wr.BulkString(v.InfoCache)
		}
	}
	c.wr.ArrayLen(2 * len(masters))
	for _, m := range masters {
		c.wr.BulkString(m.Name)
		c.wr.ArrayLen(1 + len(m.Replicas))
		entry(&m.InstanceView)
		for i := range m.Replicas {
			entry(&m.Replicas[i].InstanceView)
		}
	}
}

func cmdSentinelIsMasterDown(ctx context.Context, c *client, args [][]byte) {
	port, ok := resp.ParseInt(string(args[3]))
	epoch, eok := resp.ParseInt(string(args[4]))
	if !ok || port < 0 || port > 65535 || !eok || epoch < 0 {
		c.answerVotes() // the replies of the votes before this one come first
		c.err(errNotInteger)
		return
	}
	req := monitor.IsMasterDownRequest{
		Addr:         monitor.Addr{Host: string(args[2]), Port: int(port)},
		CurrentEpoch: uint64(epoch),
		RunID:        string(args[5]),
		ClientName:   c.name,
	}
	if c.deferVote(ctx, req) {
		return // answered with the rest of the batch (votebatch.go)
	}
	c.answerVotes()
	reply, err := c.srv.ctrl.IsMasterDownByAddr(ctx, req)
	if err != nil {
		c.replyErr(err)
		return
	}
	c.writeIsMasterDownReply(reply)
}

// cmdSentinelPendingScripts is empty until notify exposes its queue
// through the controller.
// cmdSentinelPendingScripts lists the script queue in the shape of
// sentinelPendingScriptsCommand: argv, flags, pid, run-time or run-delay
// (ms), retry-num.
func cmdSentinelPendingScripts(_ context.Context, c *client, _ [][]byte) {
	jobs := c.srv.snapshot().Scripts.Jobs
	c.wr.ArrayLen(len(jobs))
	for _, j := range jobs {
		c.wr.MapLen(5)
		c.wr.BulkString("argv")
		c.wr.ArrayLen(len(j.Args))
		for _, a := range j.Args {
			c.wr.BulkString(a)
		}
		c.wr.BulkString("flags")
		if j.Running {
			c.wr.BulkString("running")
		} else {
			c.wr.BulkString("scheduled")
		}
		c.wr.BulkString("pid")
		c.wr.Integer(int64(j.PID))
		if j.Running {
			c.wr.BulkString("run-time")
			c.wr.Integer(j.RunTime.Milliseconds())
		} else {
			c.wr.BulkString("run-delay")
			c.wr.Integer(j.RunDelay.Milliseconds())
		}
		c.wr.BulkString("retry-num")
		c.wr.Integer(int64(j.Retries))
	}
}

// cmdSentinelSimulateFailure answers HELP like Redis, and refuses the crash
// flags: crashing a production sentinel on purpose is not a feature we
// ship.
func cmdSentinelSimulateFailure(_ context.Context, c *client, args [][]byte) {
	refuse := false
	for _, a := range args[2:] {
		switch strings.ToLower(string(a)) {
		case "crash-after-election", "crash-after-promotion":
			refuse = true
		case "help":
			c.wr.ArrayLen(2)
			c.wr.BulkString("crash-after-election")
			c.wr.BulkString("crash-after-promotion")
			return
		default:
			c.err(errUnknownSimulation)
			return
		}
	}
	if refuse {
		c.err(errSimulationDisabled)
		return
	}
	c.wr.SimpleString("OK")
}

func cmdSentinelHelp(_ context.Context, c *client, _ [][]byte) {
	c.wr.ArrayLen(len(sentinelHelp))
	for _, l := range sentinelHelp {
		c.wr.SimpleString(l)
	}
}
