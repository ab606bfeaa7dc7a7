package pubsub

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// infoSections are INFO's sections in redis-sentinel's order.
var infoSections = []string{"server", "clients", "stats", "cpu", "sentinel"}

// cmdInfo answers INFO [section ...]. No argument, "all", "default" and
// "everything" give every section; unknown sections give nothing (an empty
// bulk string), as redis-sentinel does. The reply is a bulk string in
// RESP3 too: redis-sentinel 7.0 does not use a verbatim string here.
func cmdInfo(_ context.Context, c *client, args [][]byte) {
	want := map[string]bool{}
	if len(args) == 1 {
		for _, s := range infoSections {
			want[s] = true
		}
	}
	for _, a := range args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "all", "default", "everything":
			for _, s := range infoSections {
				want[s] = true
			}
		default:
			want[s] = true
		}
	}
	c.wr.BulkString(c.srv.info(want))
}

func (s *Server) info(want map[string]bool) string {
	var parts []string
	for _, sec := range infoSections {
		if !want[sec] {
			continue
		}
		switch sec {
		case "server":
			parts = append(parts, s.infoServer())
		case "clients":
			parts = append(parts, s.infoClients())
		case "stats":
			parts = append(parts, s.infoStats())
		case "cpu":
			parts = append(parts, infoCPU())
		case "sentinel":
			parts = append(parts, InfoSentinelSection(s.snapshot()))
		}
	}
	return strings.Join(parts, "\r\n")
}

type infoBuilder struct{ strings.Builder }

func (b *infoBuilder) field(name, value string) {
	b.WriteString(name)
	b.WriteByte(':')
	b.WriteString(value)
	b.WriteString("\r\n")
}

// The sections below have redis-sentinel 7.0.15's fields in its order;
// our own fields (sentinelgo_*, go_version) close their section. A field
// Redis fills from something a sentinel without a dataset does not have
// (keys, forks, replication, defrag, tracking) is the constant Redis
// shows; docs/compatibility.md lists them.

func (s *Server) infoServer() string {
	now := time.Now()
	uptime := int64(now.Sub(s.started) / time.Second)
	exe, _ := os.Executable()
	var b infoBuilder
	b.WriteString("# Server\r\n")
	b.field("redis_version", redisVersion)
	b.field("redis_git_sha1", "00000000")
	b.field("redis_git_dirty", "0")
	b.field("redis_build_id", "0")
	b.field("redis_mode", "sentinel")
	b.field("os", osName())
	b.field("arch_bits", strconv.Itoa(strconv.IntSize))
	b.field("monotonic_clock", "POSIX clock_gettime") // what Go's runtime reads
	b.field("multiplexing_api", multiplexingAPI())
	b.field("atomicvar_api", "sync-atomic")
	b.field("gcc_version", "0.0.0") // Redis's value when not built by GCC
	b.field("process_id", strconv.Itoa(os.Getpid()))
	b.field("process_supervised", "no")
	b.field("run_id", s.opts.RunID)
	b.field("tcp_port", strconv.Itoa(s.opts.Port))
	b.field("server_time_usec", itoa64(now.UnixMicro()))
	b.field("uptime_in_seconds", itoa64(uptime))
	b.field("uptime_in_days", itoa64(uptime/86400))
	b.field("hz", "10")
	b.field("configured_hz", "10")
	b.field("lru_clock", itoa64(now.Unix()&(1<<24-1))) // Redis: seconds, 24 bits
	b.field("executable", exe)
	b.field("config_file", s.opts.ConfigFile)
	b.field("io_threads_active", "0")
	b.field("sentinelgo_version", s.opts.Version)
	b.field("go_version", runtime.Version())
	return b.String()
}

// multiplexingAPI names the poller Go's network poller uses here.
func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly", "ios":
		return "kqueue"
	case "solaris", "illumos":
		return "evport"
	}
	return "go-netpoll"
}

func (s *Server) infoClients() string {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	var b infoBuilder
	b.WriteString("# Clients\r\n")
	b.field("connected_clients", strconv.Itoa(n))
	b.field("cluster_connections", "0")
	b.field("maxclients", strconv.Itoa(s.opts.MaxClients))
	b.field("client_recent_max_input_buffer", "0")
	b.field("client_recent_max_output_buffer", "0")
	b.field("blocked_clients", "0")
	b.field("tracking_clients", strconv.Itoa(s.trackingClients()))
	b.field("clients_in_timeout_table", "0")
	return b.String()
}

func (s *Server) infoStats() string {
	channels, patterns := s.bus.counts()
	st := &s.stats
	ops, inKbps, outKbps := st.rates.rates(time.Now(), st)
	kbps := func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
	var b infoBuilder
	b.WriteString("# Stats\r\n")
	b.field("total_connections_received", itoa64(st.connections.Load()))
	b.field("total_commands_processed", itoa64(st.commands.Load()))
	b.field("instantaneous_ops_per_sec", itoa64(int64(ops)))
	b.field("total_net_input_bytes", itoa64(st.netIn.Load()))
	b.field("total_net_output_bytes", itoa64(st.netOut.Load()))
	b.field("total_net_repl_input_bytes", "0")
	b.field("total_net_repl_output_bytes", "0")
	b.field("instantaneous_input_kbps", kbps(inKbps))
	b.field("instantaneous_output_kbps", kbps(outKbps))
	b.field("instantaneous_input_repl_kbps", "0.00")
	b.field("instantaneous_output_repl_kbps", "0.00")
	b.field("rejected_connections", itoa64(st.rejected.Load()))
	zeros(&b, "sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys")
	b.field("expired_stale_perc", "0.00")
	zeros(&b, "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients",
		"total_eviction_exceeded_time", "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses")
	b.field("pubsub_channels", strconv.Itoa(channels))
	b.field("pubsub_patterns", strconv.Itoa(patterns))
	zeros(&b, "pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets",
		"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
		"active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time",
		"tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "unexpected_error_replies")
	b.field("total_error_replies", itoa64(st.errorReplies.Load()))
	b.field("dump_payload_sanitizations", "0")
	b.field("total_reads_processed", itoa64(st.reads.Load()))
	b.field("total_writes_processed", itoa64(st.writes.Load()))
	zeros(&b, "io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands")
	b.field("sentinelgo_slow_subscribers_disconnected", itoa64(st.slowSubscriber.Load()))
	return b.String()
}

func zeros(b *infoBuilder, names ...string) {
	for _, n := range names {
		b.field(n, "0")
	}
}

func infoCPU() string {
	sys, user := cpuTimes()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	var b infoBuilder
	b.WriteString("# CPU\r\n")
	b.field("used_cpu_sys", f(sys))
	b.field("used_cpu_user", f(user))
	b.field("used_cpu_sys_children", f(0))
	b.field("used_cpu_user_children", f(0))
	// Goroutines have no main thread: the process's time, as Redis
	// shows when it has no I/O threads.
	b.field("used_cpu_sys_main_thread", f(sys))
	b.field("used_cpu_user_main_thread", f(user))
	return b.String()
}
