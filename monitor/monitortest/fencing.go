package monitortest

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// renderFencingAction renders fencing's actions (monitor/fencing.go).
func renderFencingAction(a monitor.Action) (kind, text string, ok bool) {
	switch a := a.(type) {
	case monitor.SetFencing:
		return "fencing", fmt.Sprintf("set-fencing %s %s min-replicas=%d max-lag=%d", a.Target, a.Master, a.MinReplicas, a.MaxLag), true
	case monitor.ReadFencing:
		return "fencing", fmt.Sprintf("read-fencing %s %s", a.Target, a.Master), true
	case monitor.DropClients:
		return "fencing", fmt.Sprintf("drop-clients %s %s", a.Target, a.Master), true
	}
	return "", "", false
}

// handleFenced answers a SetFencing:
//
//	fenced <master> <host:port> [fail]
func (e *env) handleFenced(a args) error {
	if len(a.pos) < 2 || len(a.pos) > 3 || (len(a.pos) == 3 && a.pos[2] != "fail") {
		return errors.New("want <master> <host:port> [fail]")
	}
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return err
	}
	e.step(monitor.FencingResult{At: e.now, Master: a.pos[0], Target: addr, OK: len(a.pos) == 2})
	return nil
}

// handleFencingRead answers a ReadFencing:
//
//	fencing-read <master> <host:port> <min-replicas> <max-lag> | fail
func (e *env) handleFencingRead(a args) error {
	if len(a.pos) != 3 && len(a.pos) != 4 {
		return errors.New("want <master> <host:port> <min-replicas> <max-lag> | fail")
	}
	addr, err := ParseAddr(a.pos[1])
	if err != nil {
		return err
	}
	in := monitor.FencingResult{At: e.now, Master: a.pos[0], Target: addr, Read: true}
	if len(a.pos) == 4 {
		n, err1 := strconv.Atoi(a.pos[2])
		lag, err2 := strconv.Atoi(a.pos[3])
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		in.OK, in.Values = true, settings.FencingValues{MinReplicas: n, MaxLag: lag}
	} else if a.pos[2] != "fail" {
		return errors.New("want <min-replicas> <max-lag> or fail")
	}
	e.step(in)
	return nil
}
