package configs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/settings"
)

// Validate checks every value and reports every problem at once, joined
// with errors.Join; each problem is a *FieldError whose text starts with
// the field path. It does no I/O.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.sentinel(&c.Sentinel)
	v.validateACL(&c.Sentinel)
	v.validateTLS(&c.Sentinel)
	v.validateMasterTLS(c)
	seen := make(map[string]int)
	for i := range c.Masters {
		v.master(i, &c.Masters[i], seen)
	}
	v.election(&c.Election)
	return errors.Join(v.problems...)
}

// validator collects Validate's problems.
type validator struct {
	c        *Config
	problems []error
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, v.c.fieldError(path, fmt.Sprintf(format, args...)))
}

// sentinel checks the process-wide settings.
func (v *validator) sentinel(s *Sentinel) {
	if s.ID != "" {
		if err := checkRunID(s.ID); err != nil {
			v.add("sentinel.id", "%v", err)
		}
	}
	if (s.Port < 1 && !s.tlsPortOnly()) || s.Port > 65535 {
		v.add("sentinel.port", "must be in 1..65535, got %d", s.Port)
	}
	if s.AnnouncePort < 0 || s.AnnouncePort > 65535 {
		v.add("sentinel.announce_port", "must be in 0..65535, got %d", s.AnnouncePort)
	}
	if err := CheckAnnounceIP(s.AnnounceIP); err != nil {
		v.add("sentinel.announce_ip", "%v", err)
	}
	for i, b := range s.Bind {
		if !validBind(b) {
			v.add(fmt.Sprintf("sentinel.bind[%d]", i), "must be an IP address, optionally prefixed by '-', got %q", b)
		}
	}
	switch s.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		v.add("sentinel.log_level", "must be debug, info, warn or error, got %q", s.LogLevel)
	}
	switch s.LogFormat {
	case "text", "json":
	default:
		v.add("sentinel.log_format", "must be text or json, got %q", s.LogFormat)
	}
	if s.Limits.MaxReplicasPerMaster < 1 {
		v.add("sentinel.limits.max_replicas_per_master", "must be >= 1, got %d", s.Limits.MaxReplicasPerMaster)
	}
	if s.Limits.MaxSentinelsPerMaster < 1 {
		v.add("sentinel.limits.max_sentinels_per_master", "must be >= 1, got %d", s.Limits.MaxSentinelsPerMaster)
	}
	if s.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(s.MetricsAddr); err != nil {
			v.add("sentinel.metrics_addr", "must be host:port, got %q", s.MetricsAddr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			v.add("sentinel.metrics_addr", "port must be in 0..65535, got %q", port)
		}
	}
	for i, raw := range s.Webhooks {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL may carry credentials: name the entry, not its text.
			v.add(fmt.Sprintf("sentinel.webhooks[%d]", i), "must be an http:// or https:// URL with a host")
		}
	}
}

// master checks masters[i]; seen maps the names checked so far to their
// index.
func (v *validator) master(i int, m *Master, seen map[string]int) {
	p := masterPath(i, m.Name)
	if m.Name == "" {
		v.add(p+".name", "is required")
	} else if err := CheckMasterName(m.Name); err != nil {
		v.add(p+".name", "%v", err)
	}
	if first, dup := seen[m.Name]; dup && m.Name != "" {
		v.add(p+".name", "duplicate master name, already used by masters[%d]", first)
	} else {
		seen[m.Name] = i
	}
	if m.Addr.IsZero() {
		v.add(p+".address", "is required (host:port, or host and port)")
	} else {
		switch err := CheckHost(m.Addr.Host, v.c.Sentinel.ResolveHostnames); {
		case errors.Is(err, errHostNeedsResolve):
			v.add(p+".address", "host %q is not an IP address; set sentinel.resolve_hostnames to use host names", m.Addr.Host)
		case err != nil:
			v.add(p+".address", "%v", err)
		}
		if err := CheckPort(m.Addr.Port); err != nil {
			v.add(p+".address", "%v", err)
		}
	}
	if settings.CheckQuorum(int64(m.Quorum)) != nil {
		v.add(p+".quorum", "must be >= %d, got %d", settings.MinQuorum, m.Quorum)
	}
	v.millis(p+".down_after", m.DownAfter, false)
	v.millis(p+".failover_timeout", m.FailoverTimeout, false)
	v.millis(p+".master_reboot_down_after", m.RebootDownAfter, true)
	if m.ParallelSyncs < 1 {
		v.add(p+".parallel_syncs", "must be >= 1, got %d", m.ParallelSyncs)
	}
	if m.FencingSaved != "" {
		if _, err := settings.ParseFencingValues(m.FencingSaved); err != nil {
			v.add(p+".fencing_saved", "%q: %v", m.FencingSaved, err)
		}
	}
	renamed := make(map[string]string)
	for _, from := range sortedKeys(m.RenameCommands) {
		to := m.RenameCommands[from]
		if err := CheckRenameCommand(from, to); err != nil {
			v.add(p+".rename_commands", "%q: %q: %v", from, to, err)
		}
		if other, dup := renamed[strings.ToLower(from)]; dup {
			v.add(p+".rename_commands", "%q and %q rename the same command", other, from)
		}
		renamed[strings.ToLower(from)] = from
	}
	v.known(p, m)
	if err := checkLeader(m.Leader); err != nil {
		v.add(p+".leader", "%v", err)
	}
}

// millis checks a timer: positive (or zero when allowZero) and a whole
// number of milliseconds, which is all sentinel.conf can say.
func (v *validator) millis(path string, d time.Duration, allowZero bool) {
	switch {
	case d < 0 || (d == 0 && !allowZero):
		v.add(path, "must be positive, got %s", d)
	case d%time.Millisecond != 0:
		v.add(path, "must be a whole number of milliseconds, got %s", d)
	}
}

// known checks a master's learned replicas and peers.
func (v *validator) known(p string, m *Master) {
	replicas := make(map[Addr]bool)
	for j, r := range m.KnownReplicas {
		rp := fmt.Sprintf("%s.known_replicas[%d]", p, j)
		if !knownAddrOK(r) {
			v.add(rp, "bad address %q", r.String())
		}
		if replicas[r] {
			v.add(rp, "duplicate replica %s", r)
		}
		replicas[r] = true
	}
	runIDs := make(map[string]bool)
	for j, k := range m.KnownSentinels {
		kp := fmt.Sprintf("%s.known_sentinels[%d]", p, j)
		if !knownAddrOK(k.Addr) {
			v.add(kp+".address", "bad address %q", k.Addr.String())
		}
		if err := checkRunID(k.RunID); err != nil {
			v.add(kp+".run_id", "%v", err)
		} else if runIDs[k.RunID] {
			v.add(kp+".run_id", "duplicate sentinel run id %s", k.RunID)
		}
		runIDs[k.RunID] = true
	}
}

func isRunID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// knownAddrOK is the rule for a learned replica's or peer's address in
// the YAML state (which may hold names announced by replicas whatever
// resolve-hostnames says, as Redis's known-replica lines may).
func knownAddrOK(a Addr) bool { return CheckHost(a.Host, true) == nil && CheckPort(a.Port) == nil }

// validHost accepts an IP address or a DNS host name: labels of 1..63
// letters, digits, '-' (not at either end) and '_', at most 253 bytes, one
// trailing dot allowed; anything else (brackets, slashes, spaces) would
// not survive host:port formatting or the hello message. It is the rule
// of CheckHost, which SENTINEL MONITOR applies too.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func validBind(s string) bool {
	s = strings.TrimPrefix(s, "-")
	switch s {
	case "*", "::*":
		return true
	}
	return net.ParseIP(s) != nil
}
