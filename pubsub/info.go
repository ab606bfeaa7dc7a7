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

func (s *Server) infoServer() string {
	now := time.Now()
	uptime := int64(now.Sub(s.started) / time.Second)
	exe, _ := os.Executable()
	var b infoBuilder
	b.WriteString("# Server\r\n")
	b.field("redis_version", redisVersion)
	b.field("sentinelgo_version", s.opts.Version)
	b.field("redis_git_sha1", "00000000")
	b.field("redis_git_dirty", "0")
	b.field("redis_build_id", "0")
	b.field("redis_mode", "sentinel")
	b.field("os", runtime.GOOS+" "+runtime.GOARCH)
	b.field("arch_bits", strconv.Itoa(strconv.IntSize))
	b.field("monotonic_clock", "go")
	b.field("multiplexing_api", "go-netpoll")
	b.field("go_version", runtime.Version())
	b.field("process_id", strconv.Itoa(os.Getpid()))
	b.field("process_supervised", "no")
	b.field("run_id", s.opts.RunID)
	b.field("tcp_port", strconv.Itoa(s.opts.Port))
	b.field("server_time_usec", itoa64(now.UnixMicro()))
	b.field("uptime_in_seconds", itoa64(uptime))
	b.field("uptime_in_days", itoa64(uptime/86400))
	b.field("hz", "10")
	b.field("configured_hz", "10")
	b.field("executable", exe)
	b.field("config_file", s.opts.ConfigFile)
	b.field("io_threads_active", "0")
	return b.String()
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
	b.field("tracking_clients", "0")
	b.field("clients_in_timeout_table", "0")
	return b.String()
}

func (s *Server) infoStats() string {
	channels, patterns := s.bus.counts()
	var b infoBuilder
	b.WriteString("# Stats\r\n")
	b.field("total_connections_received", itoa64(s.stats.connections.Load()))
	b.field("total_commands_processed", itoa64(s.stats.commands.Load()))
	b.field("instantaneous_ops_per_sec", "0")
	b.field("total_net_input_bytes", itoa64(s.stats.netIn.Load()))
	b.field("total_net_output_bytes", itoa64(s.stats.netOut.Load()))
	b.field("total_net_repl_input_bytes", "0")
	b.field("total_net_repl_output_bytes", "0")
	b.field("rejected_connections", itoa64(s.stats.rejected.Load()))
	b.field("expired_keys", "0")
	b.field("evicted_keys", "0")
	b.field("keyspace_hits", "0")
	b.field("keyspace_misses", "0")
	b.field("pubsub_channels", strconv.Itoa(channels))
	b.field("pubsub_patterns", strconv.Itoa(patterns))
	b.field("total_error_replies", itoa64(s.stats.errorReplies.Load()))
	b.field("sentinelgo_slow_subscribers_disconnected", itoa64(s.stats.slowSubscriber.Load()))
	return b.String()
}

func infoCPU() string {
	sys, user := cpuTimes()
	var b infoBuilder
	b.WriteString("# CPU\r\n")
	b.field("used_cpu_sys", strconv.FormatFloat(sys, 'f', 6, 64))
	b.field("used_cpu_user", strconv.FormatFloat(user, 'f', 6, 64))
	b.field("used_cpu_sys_children", "0.000000")
	b.field("used_cpu_user_children", "0.000000")
	return b.String()
}
