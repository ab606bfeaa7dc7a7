package pubsub

import (
	"context"

	"github.com/sentinelgo/sentinel/monitor"
)

// Controller is what the client-facing server needs from the running
// sentinel. monitor/supervisor implements it. Errors that implement
// interface{ RESPError() string } (or are *monitor.CommandError) are sent
// verbatim as RESP errors; any other error is sent as "ERR <text>".
type Controller interface {
	// Snapshot returns the latest state; cheap, never blocks on the core.
	Snapshot() *monitor.Snapshot

	Monitor(ctx context.Context, m monitor.MasterConfig) error
	Remove(ctx context.Context, name string) error
	Set(ctx context.Context, name string, settings []monitor.Setting) error
	Reset(ctx context.Context, pattern string) (int, error)
	// Failover forces a failover; coordinated has the master hand over
	// itself (SENTINEL FAILOVER <name> COORDINATED).
	Failover(ctx context.Context, name string, coordinated bool) error
	CKQuorum(ctx context.Context, name string) (usable int, err error)
	IsMasterDownByAddr(ctx context.Context, req monitor.IsMasterDownRequest) (monitor.IsMasterDownReply, error)
	FlushConfig(ctx context.Context) error
	// ConfigGet returns the global parameters matching a glob pattern
	// (announce-ip, announce-port, announce-hostnames, resolve-hostnames,
	// sentinel-user, sentinel-pass, loglevel).
	ConfigGet(ctx context.Context, pattern string) ([]monitor.Setting, error)
	ConfigSet(ctx context.Context, settings []monitor.Setting) error
	// Debug applies the settings (if any) and returns all timers.
	Debug(ctx context.Context, settings []monitor.Setting) ([]monitor.Setting, error)
	// Hello hands a hello payload PUBLISHed to us on __sentinel__:hello.
	Hello(ctx context.Context, payload string) error
	// Shutdown stops the sentinel (SHUTDOWN), after flushing its state.
	Shutdown(ctx context.Context) error
}
