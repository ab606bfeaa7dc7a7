package datanode

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// Command labels of sentinel_datanode_command_errors_total for fencing.
const (
	cmdSetFencing  = "config-set-fencing"
	cmdReadFencing = "config-get-fencing"
	cmdDropClients = "client-kill-normal"
)

// fencingConn is the I/O of fencing's actions; redisConn has it, and a
// test fake without it answers every fencing action with a failure.
type fencingConn interface {
	setFencing(ctx context.Context, v settings.FencingValues) error
	readFencing(ctx context.Context) (settings.FencingValues, error)
	dropClients(ctx context.Context) error
}

var errNoFencing = errors.New("datanode: this link cannot run CONFIG")

// noFencing stands in for a link without fencingConn: setting and reading
// fail, dropping clients does nothing.
type noFencing struct{}

func (noFencing) setFencing(context.Context, settings.FencingValues) error { return errNoFencing }
func (noFencing) readFencing(context.Context) (settings.FencingValues, error) {
	return settings.FencingValues{}, errNoFencing
}
func (noFencing) dropClients(context.Context) error { return nil }

// doFencing runs SetFencing or ReadFencing and reports a FencingResult, or
// DropClients, which reports nothing.
func (t *target) doFencing(ctx, cctx context.Context, a monitor.Action) {
	fc, ok := t.conn.(fencingConn)
	if !ok {
		fc = noFencing{}
	}
	res := monitor.FencingResult{Target: t.addr}
	var err error
	cmd := cmdSetFencing
	switch a := a.(type) {
	case monitor.SetFencing:
		res.Master = a.Master
		err = fc.setFencing(cctx, settings.FencingValues{MinReplicas: a.MinReplicas, MaxLag: a.MaxLag})
	case monitor.ReadFencing:
		res.Master, res.Read = a.Master, true
		res.Values, err = fc.readFencing(cctx)
		cmd = cmdReadFencing
	case monitor.DropClients:
		if err := fc.dropClients(cctx); err != nil {
			t.commandFailed(cmdDropClients, err)
		}
		return
	default:
		return
	}
	if err != nil {
		t.commandFailed(cmd, err)
	}
	if ctx.Err() != nil {
		return
	}
	res.OK = err == nil
	res.At = time.Now()
	if err != nil {
		t.p.log.Warn("fencing command failed", "target", t.addr.String(), "err", err)
	}
	t.deliver(ctx, res)
}

// setFencing sets min-replicas-max-lag, then min-replicas-to-write (two
// commands: CONFIG SET of several parameters needs Redis 7), so a node
// that starts refusing writes does it with the new lag.
func (c *redisConn) setFencing(ctx context.Context, v settings.FencingValues) error {
	return c.onCmdLaneErr(ctx, func(ctx context.Context) error {
		config := c.rename("CONFIG")
		if err := c.do(ctx, config, "SET", "min-replicas-max-lag", strconv.Itoa(v.MaxLag)).Err(); err != nil {
			return fmt.Errorf("datanode: CONFIG SET min-replicas-max-lag: %w", err)
		}
		if err := c.do(ctx, config, "SET", "min-replicas-to-write", strconv.Itoa(v.MinReplicas)).Err(); err != nil {
			return fmt.Errorf("datanode: CONFIG SET min-replicas-to-write: %w", err)
		}
		return nil
	})
}

// readFencing reads both settings with CONFIG GET.
func (c *redisConn) readFencing(ctx context.Context) (settings.FencingValues, error) {
	var out settings.FencingValues
	err := c.onCmdLaneErr(ctx, func(ctx context.Context) error {
		config := c.rename("CONFIG")
		for _, p := range []struct {
			name string
			dst  *int
		}{{"min-replicas-to-write", &out.MinReplicas}, {"min-replicas-max-lag", &out.MaxLag}} {
			reply, err := c.do(ctx, config, "GET", p.name).Result()
			if err != nil {
				return fmt.Errorf("datanode: CONFIG GET %s: %w", p.name, err)
			}
			n, err := configInt(reply, p.name)
			if err != nil {
				return err
			}
			*p.dst = n
		}
		return nil
	})
	return out, err
}

// configInt finds parameter name in a CONFIG GET reply (a flat array in
// RESP2, a map in RESP3) and reads it as a non-negative int.
func configInt(reply any, name string) (int, error) {
	var value any
	found := false
	switch r := reply.(type) {
	case []any:
		for k := 0; k+1 < len(r); k += 2 {
			if s, ok := r[k].(string); ok && strings.EqualFold(s, name) {
				value, found = r[k+1], true
				break
			}
		}
	case map[any]any:
		for k, v := range r {
			if s, ok := k.(string); ok && strings.EqualFold(s, name) {
				value, found = v, true
				break
			}
		}
	}
	s, ok := value.(string)
	if !found || !ok {
		return 0, fmt.Errorf("datanode: CONFIG GET %s: no such parameter in the reply", name)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<31-1 {
		return 0, fmt.Errorf("datanode: CONFIG GET %s: %q is not a count", name, s)
	}
	return n, nil
}

// dropClients closes the node's normal client connections but ours
// (CLIENT KILL skips the calling connection).
func (c *redisConn) dropClients(ctx context.Context) error {
	return c.sendOnCmdLane(ctx, c.rename("CLIENT"), "KILL", "TYPE", "normal")
}
