package datanodetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"
)

// ClusterOptions describes a master, its replicas and a group of sentinels
// monitoring it, all on loopback.
type ClusterOptions struct {
	// Replicas and Sentinels count the processes to start (Sentinels ≥ 1).
	Replicas  int
	Sentinels int
	// SentinelBinary defaults to "redis-sentinel"; set it to our binary
	// (for example "bin/sentinel") to run ours on the same sentinel.conf.
	SentinelBinary string
	// SentinelArgs are appended after the config path.
	SentinelArgs []string
	// SentinelArgsEach, when set, gives the i-th sentinel (from 0) more
	// arguments after SentinelArgs (a listen address of its own).
	SentinelArgsEach func(i int) []string
	// MasterName defaults to "mymaster".
	MasterName string
	// Quorum, DownAfter, FailoverTimeout and ParallelSyncs: see SentinelOptions.
	Quorum          int
	DownAfter       time.Duration
	FailoverTimeout time.Duration
	ParallelSyncs   int
	// SentinelConfText is appended to every sentinel.conf.
	SentinelConfText string
	// SentinelYAML, when set, gives the i-th sentinel (from 0) a YAML
	// configuration instead of sentinel.conf (see SentinelOptions.YAML),
	// built once the master runs at masterAddr. Used for raft mode.
	SentinelYAML func(i int, masterAddr string) string
	// RedisArgs are appended to every data server's command line.
	RedisArgs []string
	// Dir is the parent directory; empty creates temp dirs that Close removes.
	Dir string
	// Logger receives debug lines; nil discards.
	Logger *slog.Logger
}

// Cluster is a running topology plus the sentinels that monitor it.
type Cluster struct {
	MasterName string
	Topology   *Topology
	Sentinels  []*Process
}

// LaunchCluster starts the data servers (replicas linked), then the
// sentinels. It does not wait for the sentinels to discover each other; see
// WaitSettled.
func LaunchCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	if opts.Sentinels < 1 {
		return nil, fmt.Errorf("datanodetest: a cluster needs at least one sentinel, got %d", opts.Sentinels)
	}
	name := opts.MasterName
	if name == "" {
		name = "mymaster"
	}
	subdir := func(sub string) string {
		if opts.Dir == "" {
			return ""
		}
		return filepath.Join(opts.Dir, sub)
	}
	topo, err := LaunchTopology(ctx, TopologyOptions{
		Replicas:  opts.Replicas,
		Dir:       opts.Dir,
		RedisArgs: opts.RedisArgs,
		Logger:    opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	c := &Cluster{MasterName: name, Topology: topo}
	for i := range opts.Sentinels {
		args := opts.SentinelArgs
		if opts.SentinelArgsEach != nil {
			args = append(append([]string(nil), args...), opts.SentinelArgsEach(i)...)
		}
		var yaml string
		if opts.SentinelYAML != nil {
			yaml = opts.SentinelYAML(i, topo.Master.Addr())
		}
		s, err := LaunchRedisSentinel(ctx, SentinelOptions{
			Binary:          opts.SentinelBinary,
			Args:            args,
			Dir:             subdir(fmt.Sprintf("sentinel%d", i+1)),
			MasterName:      name,
			MasterAddr:      topo.Master.Addr(),
			Quorum:          opts.Quorum,
			DownAfter:       opts.DownAfter,
			FailoverTimeout: opts.FailoverTimeout,
			ParallelSyncs:   opts.ParallelSyncs,
			ConfText:        opts.SentinelConfText,
			YAML:            yaml,
			Logger:          opts.Logger,
		})
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.Sentinels = append(c.Sentinels, s)
	}
	return c, nil
}

// SentinelAddrs returns the sentinels' "host:port" addresses.
func (c *Cluster) SentinelAddrs() []string {
	addrs := make([]string, len(c.Sentinels))
	for i, s := range c.Sentinels {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Close kills the sentinels first (so they do not react to the data servers
// going away), then the data servers.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.Sentinels {
		errs = append(errs, s.Close())
	}
	if c.Topology != nil {
		errs = append(errs, c.Topology.Close())
	}
	return errors.Join(errs...)
}

// WaitSettled waits until every sentinel reports, in SENTINEL MASTER, all
// the replicas and all the other sentinels, and names the current master.
func (c *Cluster) WaitSettled(ctx context.Context, timeout time.Duration) error {
	wantReplicas := strconv.Itoa(len(c.Topology.Replicas))
	wantOthers := strconv.Itoa(len(c.Sentinels) - 1)
	var last string
	err := Poll(ctx, timeout, 50*time.Millisecond, func() bool {
		for _, s := range c.Sentinels {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			m, err := s.SentinelClient().Master(qctx, c.MasterName).Result()
			cancel()
			if err != nil {
				last = fmt.Sprintf("%s: %v", s.Addr(), err)
				return false
			}
			if m["num-slaves"] != wantReplicas || m["num-other-sentinels"] != wantOthers {
				last = fmt.Sprintf("%s: num-slaves=%s num-other-sentinels=%s", s.Addr(), m["num-slaves"], m["num-other-sentinels"])
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("datanodetest: sentinels did not settle (want %s replicas, %s other sentinels; last: %s): %w",
			wantReplicas, wantOthers, last, err)
	}
	return nil
}

// MasterAddrs asks every sentinel for the master's address and returns the
// answers in sentinel order ("" for a sentinel that did not answer).
func (c *Cluster) MasterAddrs(ctx context.Context) []string {
	out := make([]string, len(c.Sentinels))
	for i, s := range c.Sentinels {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		addr, err := s.SentinelClient().GetMasterAddrByName(qctx, c.MasterName).Result()
		cancel()
		if err == nil && len(addr) == 2 {
			out[i] = addr[0] + ":" + addr[1]
		}
	}
	return out
}

// AgreedMaster returns the master address when every sentinel reports the
// same one, and "" otherwise.
func (c *Cluster) AgreedMaster(ctx context.Context) string {
	addrs := c.MasterAddrs(ctx)
	for _, a := range addrs {
		if a == "" || a != addrs[0] {
			return ""
		}
	}
	return addrs[0]
}

// ProcessByAddr returns the data server listening on addr, or nil.
func (c *Cluster) ProcessByAddr(addr string) *Process {
	for _, p := range c.Topology.All() {
		if p.Addr() == addr {
			return p
		}
	}
	return nil
}
