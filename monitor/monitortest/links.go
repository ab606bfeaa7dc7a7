package monitortest

import (
	"errors"

	"github.com/sentinelgo/sentinel/monitor"
)

// Link-state and host-name commands. Registered here, after env.go's init
// (files initialise in name order), to keep the command table of env.go
// untouched.
func init() {
	handlers["resolved"] = (*env).handleResolved
	handlers["subscribe"] = (*env).handleSubscribe
	handlers["announce-hostnames"] = (*env).handleAnnounceHostnames
	handlers["replies"] = (*env).handleReplies
}

// handleResolved: "resolved <host:port> <ip>", the driver reached that
// name at ip.
func (e *env) handleResolved(a args) error {
	if len(a.pos) != 2 {
		return errors.New("want <host:port> <ip>")
	}
	addr, err := ParseAddr(a.pos[0])
	if err != nil {
		return err
	}
	e.step(monitor.Resolved{At: e.now, Target: addr, IP: a.pos[1]})
	return nil
}

// handleSubscribe: "subscribe <host:port> <kind>", how the hello
// subscription attempt ended (pong: subscribed).
func (e *env) handleSubscribe(a args) error {
	addr, k, err := addrAndKind(a)
	if err != nil {
		return err
	}
	e.step(monitor.SubscribeResult{At: e.now, Target: addr, Kind: k})
	return nil
}

// handleAnnounceHostnames: "announce-hostnames yes|no".
func (e *env) handleAnnounceHostnames(a args) error {
	if len(a.pos) != 1 || (a.pos[0] != "yes" && a.pos[0] != "no") {
		return errors.New("want yes or no")
	}
	e.core.SetAnnounceHostnames(e.now, a.pos[0] == "yes")
	return nil
}

// handleReplies prints what SENTINEL MASTER / REPLICAS / SENTINELS and
// GET-MASTER-ADDR-BY-NAME would show: names, announced addresses, flags.
func (e *env) handleReplies(a args) error {
	s := e.core.Snapshot(e.now)
	for _, m := range s.Masters {
		if len(a.pos) == 1 && m.Name != a.pos[0] {
			continue
		}
		e.printf("reply master %s ip=%s port=%d flags=%s addr-by-name=%s", m.Name, m.ReplyAddr.Host, m.ReplyAddr.Port, m.Flags, m.CurrentReplyAddr)
		for _, r := range m.Replicas {
			e.printf("  reply replica %s ip=%s port=%d flags=%s", r.Name, r.ReplyAddr.Host, r.ReplyAddr.Port, r.Flags)
		}
		for _, p := range m.Sentinels {
			e.printf("  reply sentinel %s ip=%s port=%d flags=%s", p.Name, p.ReplyAddr.Host, p.ReplyAddr.Port, p.Flags)
		}
	}
	return nil
}
