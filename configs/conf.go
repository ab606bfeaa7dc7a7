package configs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LineError is a problem on one sentinel.conf line.
type LineError struct {
	File string
	Line int
	// Directive is what the line set, e.g. "sentinel monitor" or "port".
	Directive string
	Msg       string
}

// Error returns "file:line: directive: message".
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Directive, e.Msg)
}

// preMonitorDirectives are applied before any "sentinel monitor" line and
// the monitor lines before everything else, whatever their order in the
// file (Redis's preMonitorCfgName, the fix for redis/redis#8271).
var preMonitorDirectives = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// LoadConf reads a Redis sentinel.conf. It understands every directive
// Redis 7.0 Sentinel accepts, with Redis's quoting and load order; server
// directives we parse but do not act on are listed in Config.Unsupported.
// Errors name the file and line (*LineError), all of them joined.
// Config.Path is made absolute (Redis keeps the absolute path of its
// config file for the rewrite, whatever directory it moves to).
func LoadConf(path string) (*Config, error) {
	abs, err := absPath(path)
	if err != nil {
		return nil, err
	}
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	cfg, err := ParseConf(data, path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	cfg.Path = abs
	return cfg, nil
}

// sentinelLine is one queued "sentinel ..." directive.
type sentinelLine struct {
	line int
	name string // lower-cased sub-directive, e.g. "monitor"
	args []string
}

// ParseConf parses sentinel.conf text; name is used in error messages.
// Like redis-sentinel, which chdirs into each dir directive as it reads
// it, a relative dir is taken against the process's working directory (or
// the previous dir) and must exist; Sentinel.Dir ends as the absolute
// last dir, or the process's working directory without one. Relative
// logfile and pidfile paths are resolved against it; script paths are
// kept as written (they are state: SENTINEL SET changes them and the
// rewrite writes them back) and resolved against Dir when used
// (Config.WorkDir). It reads no other file except to check that dirs
// exist and scripts are executable, as Redis does.
func ParseConf(data []byte, name string) (*Config, error) {
	if err := checkSize(len(data)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg := Default()
	cfg.Source = SourceConf
	cfg.Path = name
	// Redis's Sentinel turns protected mode off unless the file says yes
	// (initSentinelConfig).
	cfg.Sentinel.ProtectedMode = false
	cfg.lines = make(map[string]int)

	p := &confParser{cfg: cfg, file: name}
	var pre, monitors, post []sentinelLine
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		text := strings.Trim(raw, " \t\r\n")
		if text == "" || text[0] == '#' {
			continue
		}
		args, err := splitArgs(text)
		if err != nil {
			p.fail(lineNo, "", "%v", err)
			continue
		}
		if len(args) == 0 {
			continue
		}
		directive := strings.ToLower(args[0])
		if directive == "sentinel" {
			if len(args) == 1 {
				continue // the bare word only switches Redis into sentinel mode
			}
			sl := sentinelLine{line: lineNo, name: strings.ToLower(args[1]), args: args[2:]}
			switch {
			case sl.name == "monitor":
				monitors = append(monitors, sl)
			case preMonitorDirectives[sl.name]:
				pre = append(pre, sl)
			default:
				post = append(post, sl)
			}
			continue
		}
		p.server(lineNo, directive, args[1:])
	}
	if cfg.Sentinel.Dir == "" {
		// No dir: redis-sentinel stays where it was started.
		dir, err := applyDir("", ".")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cfg.Sentinel.Dir = dir
	}
	// redis-sentinel opens both after every dir is applied.
	cfg.Sentinel.LogFile = ResolvePath(cfg.Sentinel.Dir, cfg.Sentinel.LogFile)
	cfg.Sentinel.PidFile = ResolvePath(cfg.Sentinel.Dir, cfg.Sentinel.PidFile)
	for _, group := range [][]sentinelLine{pre, monitors, post} {
		for _, sl := range group {
			p.sentinel(sl)
		}
	}
	if len(p.problems) > 0 {
		return nil, errors.Join(p.problems...)
	}
	if err := cfg.Validate(); err != nil {
		var out []error
		for _, e := range unjoin(err) {
			out = append(out, fmt.Errorf("%s: %w", name, e))
		}
		return nil, errors.Join(out...)
	}
	return cfg, nil
}

type confParser struct {
	cfg      *Config
	file     string
	problems []error
}

func (p *confParser) fail(line int, directive, format string, args ...any) {
	if directive == "" {
		directive = "(line)"
	}
	p.problems = append(p.problems, &LineError{File: p.file, Line: line, Directive: directive, Msg: fmt.Sprintf(format, args...)})
}

// server handles one non-sentinel directive.
func (p *confParser) server(line int, name string, args []string) {
	s := &p.cfg.Sentinel
	want := func(n int) bool {
		if len(args) != n {
			p.fail(line, name, "wrong number of arguments (want %d, got %d)", n, len(args))
			return false
		}
		return true
	}
	yesNo := func(dst *bool) {
		if !want(1) {
			return
		}
		v, ok := parseYesNo(args[0])
		if !ok {
			p.fail(line, name, "argument must be 'yes' or 'no', got %q", args[0])
			return
		}
		*dst = v
	}
	switch name {
	case "port":
		if !want(1) {
			return
		}
		port, err := strconv.Atoi(args[0])
		if err != nil || port < 0 || port > 65535 {
			p.fail(line, name, "invalid port %q", args[0])
			return
		}
		s.Port = port
		p.cfg.lines["sentinel.port"] = line
	case "bind":
		if len(args) == 0 {
			p.fail(line, name, "wrong number of arguments (want at least 1)")
			return
		}
		s.Bind = append([]string(nil), args...)
	case "dir":
		if !want(1) {
			return
		}
		dir, err := applyDir(s.Dir, args[0])
		if err != nil {
			p.fail(line, name, "%v", err)
			return
		}
		s.Dir = dir
	case "logfile":
		if want(1) {
			s.LogFile = args[0]
		}
	case "pidfile":
		if want(1) {
			s.PidFile = args[0]
		}
	case "loglevel":
		if !want(1) {
			return
		}
		level, ok := redisLogLevels[strings.ToLower(args[0])]
		if !ok {
			p.fail(line, name, "must be debug, verbose, notice or warning, got %q", args[0])
			return
		}
		s.LogLevel = level
	case "daemonize":
		yesNo(&s.Daemonize)
	case "protected-mode":
		yesNo(&s.ProtectedMode)
	case "requirepass":
		if want(1) {
			s.RequirePass = Secret(args[0])
		}
	case "include":
		// Following includes would make the rewrite ambiguous (which file
		// gets the state lines?), so we refuse them rather than ignore
		// masters defined elsewhere.
		p.fail(line, name, "include is not supported; put the included lines into this file")
	default:
		if !redisServerDirectives[name] {
			p.fail(line, name, "bad directive or wrong number of arguments")
			return
		}
		p.cfg.Unsupported = append(p.cfg.Unsupported, Directive{Line: line, Name: name, Args: append([]string{}, args...)})
	}
}

// redisLogLevels maps Redis's loglevel words onto slog's levels.
var redisLogLevels = map[string]string{
	"debug":   "debug",
	"verbose": "debug",
	"notice":  "info",
	"warning": "warn",
	"nothing": "error", // Redis 7.2; closest is errors only
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

// sentinel handles one "sentinel <name> args..." directive.
func (p *confParser) sentinel(sl sentinelLine) {
	cfg, s, args := p.cfg, &p.cfg.Sentinel, sl.args
	directive := "sentinel " + sl.name
	failf := func(format string, a ...any) { p.fail(sl.line, directive, format, a...) }
	want := func(n ...int) bool {
		for _, k := range n {
			if len(args) == k {
				return true
			}
		}
		failf("wrong number of arguments (want %s, got %d)", joinInts(n), len(args))
		return false
	}
	master := func() (*Master, int) {
		for i := range cfg.Masters {
			if cfg.Masters[i].Name == args[0] {
				return &cfg.Masters[i], i
			}
		}
		failf("no such master %q", args[0])
		return nil, -1
	}
	yesNo := func(dst *bool) {
		if !want(1) {
			return
		}
		v, ok := parseYesNo(args[0])
		if !ok {
			failf("please specify yes or no, got %q", args[0])
			return
		}
		*dst = v
	}
	millis := func(text string, allowZero bool) (time.Duration, bool) {
		n, err := strconv.ParseInt(text, 10, 64)
		switch {
		case err != nil:
			failf("%q is not a number of milliseconds", text)
			return 0, false
		case n < 0 || (n == 0 && !allowZero):
			if allowZero {
				failf("negative time parameter %d", n)
			} else {
				failf("negative or zero time parameter %d", n)
			}
			return 0, false
		case n > int64(time.Duration(1<<63-1)/time.Millisecond):
			failf("time parameter %d is too large", n)
			return 0, false
		}
		return time.Duration(n) * time.Millisecond, true
	}
	epoch := func(text string) (uint64, bool) {
		n, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			failf("%q is not an epoch (an unsigned number)", text)
			return 0, false
		}
		return n, true
	}
	addr := func(host, port string) (Addr, bool) {
		n, err := strconv.Atoi(port)
		if err != nil || CheckPort(n) != nil {
			failf("invalid port number %q", port)
			return Addr{}, false
		}
		switch err := CheckHost(host, s.ResolveHostnames); {
		case errors.Is(err, errHostNeedsResolve):
			failf("can't resolve instance hostname %q (set 'sentinel resolve-hostnames yes' to use host names)", host)
			return Addr{}, false
		case err != nil:
			failf("%v", err)
			return Addr{}, false
		}
		return Addr{Host: host, Port: n}, true
	}

	switch sl.name {
	case "monitor":
		if !want(4) {
			return
		}
		quorum, err := strconv.Atoi(args[3])
		if err != nil || quorum <= 0 {
			failf("quorum must be 1 or greater, got %q", args[3])
			return
		}
		if cfg.Master(args[0]) != nil {
			failf("duplicate master name %q", args[0])
			return
		}
		a, ok := addr(args[1], args[2])
		if !ok {
			return
		}
		m := DefaultMaster()
		m.Name, m.Addr, m.Quorum = args[0], a, quorum
		cfg.Masters = append(cfg.Masters, m)
		mp := masterPath(len(cfg.Masters)-1, m.Name)
		cfg.lines[mp+".name"], cfg.lines[mp+".address"], cfg.lines[mp+".quorum"] = sl.line, sl.line, sl.line
	case "down-after-milliseconds", "failover-timeout", "master-reboot-down-after-period":
		if !want(2) {
			return
		}
		m, i := master()
		if m == nil {
			return
		}
		d, ok := millis(args[1], sl.name == "master-reboot-down-after-period")
		if !ok {
			return
		}
		mp := masterPath(i, m.Name)
		switch sl.name {
		case "down-after-milliseconds":
			m.DownAfter = d
			cfg.lines[mp+".down_after"] = sl.line
		case "failover-timeout":
			m.FailoverTimeout = d
			cfg.lines[mp+".failover_timeout"] = sl.line
		default:
			m.RebootDownAfter = d
			cfg.lines[mp+".master_reboot_down_after"] = sl.line
		}
	case "parallel-syncs":
		if !want(2) {
			return
		}
		m, i := master()
		if m == nil {
			return
		}
		n, err := strconv.Atoi(args[1])
		if err != nil {
			failf("%q is not a number", args[1])
			return
		}
		m.ParallelSyncs = n
		cfg.lines[masterPath(i, m.Name)+".parallel_syncs"] = sl.line
	case "notification-script", "client-reconfig-script":
		if !want(2) {
			return
		}
		m, _ := master()
		if m == nil {
			return
		}
		// Sentinel lines are applied after every dir (Redis queues
		// them), so a relative script is relative to the last dir. The
		// path is kept as written, as Redis keeps and rewrites it.
		script := args[1]
		if err := checkExecutable(ResolvePath(s.Dir, script)); err != nil {
			failf("%v", err)
			return
		}
		if sl.name == "notification-script" {
			m.NotificationScript = script
		} else {
			m.ClientReconfigScript = script
		}
	case "auth-pass":
		if want(2) {
			if m, _ := master(); m != nil {
				m.AuthPass = Secret(args[1])
			}
		}
	case "auth-user":
		if want(2) {
			if m, _ := master(); m != nil {
				m.AuthUser = args[1]
			}
		}
	case "config-epoch", "leader-epoch":
		if !want(2) {
			return
		}
		m, _ := master()
		if m == nil {
			return
		}
		n, ok := epoch(args[1])
		if !ok {
			return
		}
		if sl.name == "config-epoch" {
			m.ConfigEpoch = n
			// As Redis: the current epoch is never below a config epoch.
			s.CurrentEpoch = max(s.CurrentEpoch, n)
		} else {
			m.LeaderEpoch = n
		}
	case "known-replica", "known-slave":
		if !want(3) {
			return
		}
		m, _ := master()
		if m == nil {
			return
		}
		a, ok := addr(args[1], args[2])
		if !ok {
			return
		}
		for _, r := range m.KnownReplicas {
			if r == a {
				failf("duplicate hostname and port for replica %s", a)
				return
			}
		}
		m.KnownReplicas = append(m.KnownReplicas, a)
	case "known-sentinel":
		if !want(3, 4) {
			return
		}
		m, _ := master()
		if m == nil || len(args) == 3 {
			return // the old form without a run id is ignored, as in Redis
		}
		a, ok := addr(args[1], args[2])
		if !ok {
			return
		}
		for _, k := range m.KnownSentinels {
			if k.RunID == args[3] {
				failf("duplicate runid for sentinel %s", args[3])
				return
			}
		}
		m.KnownSentinels = append(m.KnownSentinels, KnownSentinel{Addr: a, RunID: args[3]})
	case "rename-command":
		if !want(3) {
			return
		}
		m, _ := master()
		if m == nil {
			return
		}
		for from := range m.RenameCommands {
			if strings.EqualFold(from, args[1]) {
				failf("same command %q renamed multiple times with rename-command", args[1])
				return
			}
		}
		if m.RenameCommands == nil {
			m.RenameCommands = make(map[string]string)
		}
		m.RenameCommands[args[1]] = args[2]
	case "myid":
		if !want(1) {
			return
		}
		if len(args[0]) != 40 {
			failf("malformed sentinel id %q (want 40 characters)", args[0])
			return
		}
		s.ID = args[0]
	case "current-epoch":
		if !want(1) {
			return
		}
		if n, ok := epoch(args[0]); ok {
			s.CurrentEpoch = max(s.CurrentEpoch, n)
		}
	case "announce-ip":
		if want(1) && args[0] != "" {
			s.AnnounceIP = args[0]
		}
	case "announce-port":
		if !want(1) {
			return
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 65535 {
			failf("invalid port %q", args[0])
			return
		}
		s.AnnouncePort = n
	case "deny-scripts-reconfig":
		yesNo(&s.DenyScriptsReconfig)
	case "resolve-hostnames":
		yesNo(&s.ResolveHostnames)
	case "announce-hostnames":
		yesNo(&s.AnnounceHostnames)
	case "sentinel-user":
		if want(1) && args[0] != "" {
			s.SentinelUser = args[0]
		}
	case "sentinel-pass":
		if want(1) && args[0] != "" {
			s.SentinelPass = Secret(args[0])
		}
	default:
		failf("unrecognized sentinel configuration statement")
	}
}

func joinInts(n []int) string {
	parts := make([]string, len(n))
	for i, k := range n {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, " or ")
}
