package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// scaleNodes are the data nodes of a scale run: masters[i] has replicas[i],
// or, with -scale-replicas 0, replicas is nil and every master is alone.
// Both implementations monitor the same nodes, one after the other.
type scaleNodes struct {
	masters  []*datanodetest.Process
	replicas []*datanodetest.Process
	args     []string // extra redis-server arguments of every node (-scale-node-hz)
}

// replicasEach is how many replicas each master has: 1, or 0 for lone
// masters.
func (n *scaleNodes) replicasEach() int {
	if n.replicas == nil {
		return 0
	}
	return 1
}

// first returns the first k masters and their replicas.
func (n *scaleNodes) first(k int) *scaleNodes {
	sub := &scaleNodes{masters: n.masters[:k], args: n.args}
	if n.replicas != nil {
		sub.replicas = n.replicas[:k]
	}
	return sub
}

// launchParallel is how many redis-servers start at once: enough to start
// 500 in seconds, few enough not to starve a shared 2-core machine.
const launchParallel = 8

// launchScaleNodes starts n masters and, when replicas is 1, one replica
// of each, all with the extra redis-server arguments args, waits until
// every master reports its replica connected, and returns them. On error
// everything started is stopped.
func launchScaleNodes(ctx context.Context, n, replicas int, args []string, logger *slog.Logger) (*scaleNodes, error) {
	nodes := &scaleNodes{masters: make([]*datanodetest.Process, n), args: args}
	if replicas > 0 {
		nodes.replicas = make([]*datanodetest.Process, n)
	}
	err := forEachParallel(ctx, n, func(i int) error {
		m, err := datanodetest.LaunchRedis(ctx, datanodetest.RedisOptions{Args: nodes.args, Logger: logger})
		if err != nil {
			return fmt.Errorf("master %d: %w", i, err)
		}
		nodes.masters[i] = m
		if nodes.replicas == nil {
			return nil
		}
		r, err := datanodetest.LaunchRedis(ctx, datanodetest.RedisOptions{ReplicaOf: m.Addr(), Args: nodes.args, Logger: logger})
		if err != nil {
			return fmt.Errorf("replica of master %d: %w", i, err)
		}
		nodes.replicas[i] = r
		return nil
	})
	if err == nil {
		err = nodes.replicate(ctx, logger)
	}
	if err != nil {
		_ = nodes.Close()
		return nil, err
	}
	return nodes, nil
}

// replicate waits until every master lists its replica online. A replica
// that does not get there in 30 s is started again (on a shared machine
// another test can take its port between the pick and the bind), twice at
// most. Lone masters have nothing to wait for.
func (n *scaleNodes) replicate(ctx context.Context, logger *slog.Logger) error {
	if n.replicas == nil {
		return nil
	}
	for attempt := 0; ; attempt++ {
		pending := n.waitReplicated(ctx, 30*time.Second)
		if len(pending) == 0 {
			return nil
		}
		if attempt == 2 || ctx.Err() != nil {
			i := pending[0]
			return fmt.Errorf("%d masters still without an online replica (one is %s, replica %s)",
				len(pending), n.masters[i].Addr(), n.replicas[i].Addr())
		}
		for _, i := range pending {
			logger.Warn("replica not online, starting it again", "master", n.masters[i].Addr(), "replica", n.replicas[i].Addr())
			_ = n.replicas[i].Close()
			r, err := datanodetest.LaunchRedis(ctx, datanodetest.RedisOptions{ReplicaOf: n.masters[i].Addr(), Args: n.args, Logger: logger})
			if err != nil {
				n.replicas[i] = nil
				return fmt.Errorf("replica of master %d: %w", i, err)
			}
			n.replicas[i] = r
		}
	}
}

// waitReplicated waits up to timeout until every master lists its replica
// as online, and returns the indexes of those that do not.
func (n *scaleNodes) waitReplicated(ctx context.Context, timeout time.Duration) []int {
	pending := make(map[int]bool, len(n.masters))
	for i := range n.masters {
		pending[i] = true
	}
	_ = datanodetest.Poll(ctx, timeout, 200*time.Millisecond, func() bool {
		for i := range pending {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			info, err := n.masters[i].Client().Info(qctx, "replication").Result()
			cancel()
			if err == nil && strings.Contains(info, "state=online") {
				delete(pending, i)
			}
		}
		return len(pending) == 0
	})
	out := make([]int, 0, len(pending))
	for i := range pending {
		out = append(out, i)
	}
	return out
}

// Close stops every node.
func (n *scaleNodes) Close() error {
	var errs []error
	for _, group := range [][]*datanodetest.Process{n.replicas, n.masters} {
		for _, p := range group {
			if p != nil {
				errs = append(errs, p.Close())
			}
		}
	}
	return errors.Join(errs...)
}

// forEachParallel calls fn(0..n-1), launchParallel at a time, and returns
// the first error; after an error or the end of ctx no new call starts.
func forEachParallel(ctx context.Context, n int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range min(launchParallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

// restore puts back the topology a previous implementation's run may have
// changed (a spurious failover promotes a replica and demotes its master):
// every master REPLICAOF NO ONE, every replica REPLICAOF its master, then
// waits until every master lists its replica online. It returns how many
// nodes had to change. Lone masters are only made masters again.
func (n *scaleNodes) restore(ctx context.Context, logger *slog.Logger) (int, error) {
	changed := 0
	for i, m := range n.masters {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		role, err := m.Client().Do(qctx, "ROLE").Slice()
		if err == nil && (len(role) == 0 || role[0] != "master") {
			changed++
			err = m.Client().Do(qctx, "REPLICAOF", "NO", "ONE").Err()
		}
		if n.replicas == nil {
			cancel()
			if err != nil {
				return changed, fmt.Errorf("restore master %s: %w", m.Addr(), err)
			}
			continue
		}
		r := n.replicas[i]
		var reply string
		if err == nil {
			// "OK Already connected to specified master" when unchanged.
			reply, err = r.Client().Do(qctx, "REPLICAOF", m.Host(), m.Port()).Text()
		}
		cancel()
		if err != nil {
			return changed, fmt.Errorf("restore master %s / replica %s: %w", m.Addr(), r.Addr(), err)
		}
		if !strings.Contains(reply, "Already") {
			changed++
		}
	}
	return changed, n.replicate(ctx, logger)
}
