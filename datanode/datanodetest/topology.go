package datanodetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
)

// TopologyOptions describes a master with replicas.
type TopologyOptions struct {
	// Replicas is the number of replicas of the master (0 or more).
	Replicas int
	// Dir is the parent directory; each server gets its own sub-directory.
	// Empty creates temp dirs that Close removes.
	Dir string
	// RedisArgs are appended to every server's command line.
	RedisArgs []string
	// LinkTimeout bounds the wait for every replica's master_link_status:up;
	// 0 means 15 s.
	LinkTimeout time.Duration
	// Logger receives debug lines; nil discards.
	Logger *slog.Logger
}

// Topology is one master and its replicas, all on loopback.
type Topology struct {
	Master   *Process
	Replicas []*Process
}

// All returns the master followed by the replicas.
func (t *Topology) All() []*Process {
	return append([]*Process{t.Master}, t.Replicas...)
}

// Close kills every server and removes directories this package created.
func (t *Topology) Close() error {
	var errs []error
	for _, p := range t.All() {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// LaunchTopology starts a master and opts.Replicas replicas of it and waits
// until every replica reports master_link_status:up.
func LaunchTopology(ctx context.Context, opts TopologyOptions) (*Topology, error) {
	if opts.Replicas < 0 {
		return nil, fmt.Errorf("datanodetest: negative replica count %d", opts.Replicas)
	}
	subdir := func(name string) string {
		if opts.Dir == "" {
			return ""
		}
		return filepath.Join(opts.Dir, name)
	}
	topo := &Topology{}
	master, err := LaunchRedis(ctx, RedisOptions{Dir: subdir("master"), Args: opts.RedisArgs, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	topo.Master = master
	masterAddr := master.Addr()
	for i := range opts.Replicas {
		replica, err := LaunchRedis(ctx, RedisOptions{
			Dir:       subdir(fmt.Sprintf("replica%d", i+1)),
			ReplicaOf: masterAddr,
			Args:      opts.RedisArgs,
			Logger:    opts.Logger,
		})
		if err != nil {
			_ = topo.Close()
			return nil, err
		}
		topo.Replicas = append(topo.Replicas, replica)
	}
	linkTimeout := opts.LinkTimeout
	if linkTimeout <= 0 {
		linkTimeout = 15 * time.Second
	}
	for _, replica := range topo.Replicas {
		if err := WaitReplicaOf(ctx, replica, masterAddr, linkTimeout); err != nil {
			_ = topo.Close()
			return nil, err
		}
	}
	return topo, nil
}

// WaitReplicaOf waits until p's INFO replication says role:slave of
// masterAddr ("host:port") with master_link_status:up.
func WaitReplicaOf(ctx context.Context, p *Process, masterAddr string, timeout time.Duration) error {
	var last string
	err := Poll(ctx, timeout, 20*time.Millisecond, func() bool {
		ok, state := IsReplicaOf(ctx, p, masterAddr)
		last = state
		return ok
	})
	if err != nil {
		return fmt.Errorf("datanodetest: %s not a linked replica of %s (last seen: %s): %w", p.Addr(), masterAddr, last, err)
	}
	return nil
}

// IsReplicaOf reports whether p is a replica of masterAddr with its link up,
// and a short description of what INFO said, for error messages.
func IsReplicaOf(ctx context.Context, p *Process, masterAddr string) (bool, string) {
	rep, err := Replication(ctx, p)
	if err != nil {
		return false, "error: " + err.Error()
	}
	return rep.Role == "slave" && rep.MasterAddr == masterAddr && rep.LinkUp, rep.String()
}

// ReplicationInfo is the part of INFO replication the harness looks at.
type ReplicationInfo struct {
	Role       string // "master" or "slave", as INFO says
	MasterAddr string // "host:port" for a replica, "" for a master
	LinkUp     bool   // master_link_status:up
}

func (r ReplicationInfo) String() string {
	if r.Role != "slave" {
		return "role=" + r.Role
	}
	link := "down"
	if r.LinkUp {
		link = "up"
	}
	return fmt.Sprintf("role=slave master=%s link=%s", r.MasterAddr, link)
}

// Replication reads INFO replication from p (bounded to one second).
func Replication(ctx context.Context, p *Process) (ReplicationInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	info, err := p.Client().Info(ctx, "replication").Result()
	if err != nil {
		return ReplicationInfo{}, fmt.Errorf("datanodetest: INFO replication from %s: %w", p.Addr(), err)
	}
	rep := ReplicationInfo{Role: InfoValue(info, "role")}
	if rep.Role == "slave" {
		rep.MasterAddr = InfoValue(info, "master_host") + ":" + InfoValue(info, "master_port")
		rep.LinkUp = InfoValue(info, "master_link_status") == "up"
	}
	return rep, nil
}

// InfoValue returns the value of key in an INFO reply ("key:value" lines),
// or "" when the key is absent.
func InfoValue(info, key string) string {
	for line := range strings.Lines(info) {
		line = strings.TrimRight(line, "\r\n")
		k, v, found := strings.Cut(line, ":")
		if found && k == key {
			return v
		}
	}
	return ""
}
