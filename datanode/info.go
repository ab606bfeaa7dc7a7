package datanode

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// ErrNotInfo is wrapped by every ParseInfo error: the text is not an INFO
// reply at all.
var ErrNotInfo = errors.New("datanode: not an INFO reply")

// defaultReplicaPriority is Redis's replica-priority default, used when the
// field is absent (servers older than 2.6 or a trimmed capture).
const defaultReplicaPriority = 100

// maxSeconds is the largest whole number of seconds a time.Duration holds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// ParseInfo extracts the fields Sentinel acts on from the text of an INFO
// reply. The strings it returns are copies, not slices of text: the core
// keeps a run ID or a host for as long as it does not change, and a slice
// would keep that whole ~5 KB reply alive with it, one more per instance
// for every INFO whose run ID or host was kept. It is pure and tolerant, like sentinelRefreshInstanceInfo: unknown
// fields and sections are skipped, missing fields keep their zero value
// (slave_priority defaults to 100 and replica_announced to true), lines may
// end in CRLF or LF, and a malformed value of a known field is ignored rather
// than failing the whole reply. It returns an error wrapping ErrNotInfo only
// when the text holds no "field:value" line at all.
func ParseInfo(text string) (monitor.NodeInfo, error) {
	info := monitor.NodeInfo{
		ReplicaPriority:  defaultReplicaPriority,
		ReplicaAnnounced: true,
	}
	if strings.TrimSpace(text) == "" {
		return monitor.NodeInfo{}, fmt.Errorf("%w: empty text", ErrNotInfo)
	}
	fields := 0
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" {
			continue
		}
		fields++
		applyInfoField(&info, key, strings.TrimSpace(value))
	}
	if fields == 0 {
		return monitor.NodeInfo{}, fmt.Errorf("%w: no field:value lines in %d bytes", ErrNotInfo, len(text))
	}
	return info, nil
}

// applyInfoField stores one known field; unknown keys and unparsable values
// leave info unchanged.
func applyInfoField(info *monitor.NodeInfo, key, value string) {
	switch key {
	case "run_id":
		info.RunID = strings.Clone(value)
	case "role":
		switch value {
		case "master":
			info.Role = monitor.RoleMaster
		case "slave":
			info.Role = monitor.RoleReplica
		}
	case "uptime_in_seconds":
		if s, ok := parseSeconds(value); ok {
			info.Uptime = time.Duration(s) * time.Second
		}
	case "master_host":
		info.MasterHost = strings.Clone(value)
	case "master_port":
		if p, err := strconv.Atoi(value); err == nil && p >= 0 && p <= 65535 {
			info.MasterPort = p
		}
	case "master_link_status":
		info.MasterLinkUp = value == "up"
	case "master_link_down_since_seconds":
		// Redis reports -1 when the link has never been up; Sentinel then
		// stores a negative down time, which never excludes the replica.
		// We keep zero for that case, as the NodeInfo contract says.
		if s, ok := parseSeconds(value); ok {
			info.MasterLinkDownSince = time.Duration(s) * time.Second
		} else if n, err := strconv.ParseInt(value, 10, 64); err == nil && n < 0 {
			info.MasterLinkDownSince = 0
		}
	case "slave_priority", "replica_priority":
		if p, err := strconv.Atoi(value); err == nil && p >= 0 {
			info.ReplicaPriority = p
		}
	case "slave_repl_offset":
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			info.ReplicaReplOffset = n
		}
	case "replica_announced":
		switch value {
		case "0":
			info.ReplicaAnnounced = false
		case "1":
			info.ReplicaAnnounced = true
		}
	case "master_repl_offset":
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			info.MasterReplOffset = n
		}
	default:
		if isReplicaLineKey(key) {
			if r, ok := parseReplicaLine(value); ok {
				info.Replicas = append(info.Replicas, r)
			}
		}
	}
}

// parseSeconds parses a non-negative count of seconds that fits a
// time.Duration.
func parseSeconds(value string) (int64, bool) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 || n > maxSeconds {
		return 0, false
	}
	return n, true
}

// isReplicaLineKey reports whether key is "slave" followed by digits, the
// key of a master's per-replica line (Redis checks only the first digit;
// requiring all of them keeps slave_priority and friends out).
func isReplicaLineKey(key string) bool {
	digits, ok := strings.CutPrefix(key, "slave")
	if !ok || digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// parseReplicaLine parses "ip=..,port=..,state=..,offset=..,lag=..". Like
// Sentinel it needs ip and port and skips the line without them; the
// pre-2.8 positional format ("ip,port,state") is accepted too.
func parseReplicaLine(value string) (monitor.ReplicaLine, bool) {
	var r monitor.ReplicaLine
	if !strings.Contains(value, "=") {
		parts := strings.Split(value, ",")
		if len(parts) < 2 {
			return r, false
		}
		port, err := strconv.Atoi(parts[1])
		if err != nil || port < 1 || port > 65535 || parts[0] == "" {
			return r, false
		}
		r.Addr = monitor.Addr{Host: strings.Clone(parts[0]), Port: port}
		if len(parts) > 2 {
			r.State = parts[2]
		}
		return r, true
	}
	havePort := false
	for _, kv := range strings.Split(value, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "ip":
			r.Addr.Host = strings.Clone(v)
		case "port":
			p, err := strconv.Atoi(v)
			havePort = err == nil && p >= 1 && p <= 65535
			if havePort {
				r.Addr.Port = p
			} else {
				r.Addr.Port = 0
			}
		case "state":
			r.State = v
		case "offset":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				r.Offset = n
			}
		case "lag":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				r.Lag = n
			}
		}
	}
	if r.Addr.Host == "" || !havePort {
		return monitor.ReplicaLine{}, false
	}
	return r, true
}
