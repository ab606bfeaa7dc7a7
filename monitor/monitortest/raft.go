package monitortest

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sentinelgo/sentinel/monitor"
)

// Raft-mode commands (monitor/raftseam.go):
//
//	init ... raft=1                       start the core in raft mode
//	raft-leader <true|false> [term=N]     RaftLeadership
//	lease <master> <epoch> granted [predecessor=ID]   LeaseGranted
//	lease <master> <epoch> denied [highest=N] [held-until=T] [reason=R]   LeaseDenied
//	committed <master> <h:p> epoch=N      ConfigCommitted
//	switch-failed <master> <epoch>        SwitchFailed

func (e *env) handleRaftLeader(a args) error {
	if len(a.pos) != 1 {
		return errors.New("want <true|false>")
	}
	leader, err := strconv.ParseBool(a.pos[0])
	if err != nil {
		return err
	}
	in := monitor.RaftLeadership{At: e.now, Leader: leader}
	if err := optUint(a, "term", &in.Term); err != nil {
		return err
	}
	e.step(in)
	return nil
}

func (e *env) handleLease(a args) error {
	if len(a.pos) != 3 {
		return errors.New("want <master> <epoch> <granted|denied>")
	}
	epoch, err := parseUint(a.pos[1])
	if err != nil {
		return fmt.Errorf("epoch: %w", err)
	}
	switch a.pos[2] {
	case "granted":
		e.step(monitor.LeaseGranted{At: e.now, Master: a.pos[0], Epoch: epoch, Predecessor: a.opts["predecessor"]})
	case "denied":
		in := monitor.LeaseDenied{At: e.now, Master: a.pos[0], Epoch: epoch, Reason: a.opts["reason"]}
		if err := optUint(a, "highest", &in.HighestEpoch); err != nil {
			return err
		}
		if err := opt(a, "held-until", &in.HeldUntil, parseOffset); err != nil {
			return err
		}
		e.step(in)
	default:
		return fmt.Errorf("unknown lease answer %q", a.pos[2])
	}
	return nil
}

func (e *env) handleCommitted(a args) error {
	if len(a.pos) != 2 {
		return errors.New("want <master> <host:port> epoch=N")
	}
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return err
	}
	in := monitor.ConfigCommitted{At: e.now, Master: a.pos[0], Addr: addr}
	if err := optUint(a, "epoch", &in.Epoch); err != nil {
		return err
	}
	e.step(in)
	return nil
}

func (e *env) handleSwitchFailed(a args) error {
	if len(a.pos) != 2 {
		return errors.New("want <master> <epoch>")
	}
	epoch, err := parseUint(a.pos[1])
	if err != nil {
		return fmt.Errorf("epoch: %w", err)
	}
	e.step(monitor.SwitchFailed{At: e.now, Master: a.pos[0], Epoch: epoch, Reason: a.opts["reason"]})
	return nil
}

// renderRaftAction renders the raft-mode actions.
func renderRaftAction(a monitor.Action) (kind, text string, ok bool) {
	switch a := a.(type) {
	case monitor.RequestLease:
		return "request-lease", fmt.Sprintf("request-lease %s epoch=%d", a.Master, a.Epoch), true
	case monitor.ProposeSwitch:
		return "propose-switch", fmt.Sprintf("propose-switch %s %s epoch=%d", a.Master, a.Addr, a.Epoch), true
	}
	return "", "", false
}
