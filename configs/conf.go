package configs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/settings"
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

// LoadConf reads a Redis sentinel.conf. It understands every directive
// Redis 7.0 Sentinel accepts, with Redis's quoting and load order; server
// directives we parse but do not act on are listed in Config.Unsupported.
// Errors name the file and line (*LineError), all of them joined.
// Config.Path is made absolute (Redis keeps the absolute path of its
// config file for the rewrite, whatever directory it moves to).
// Extra lines are read after the file's, as redis-sentinel applies the
// directives given on its command line.
func LoadConf(path string, extra ...string) (*Config, error) {
	abs, err := absPath(path)
	if err != nil {
		return nil, err
	}
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	if len(extra) > 0 {
		data = append(data, "\n"+strings.Join(extra, "\n")+"\n"...)
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
			case sentinelDirectives[sl.name].preMonitor:
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
	// Validate checks the ranges the lines did not (and sees only what
	// parsed), so every problem is reported at once.
	problems := p.problems
	if err := cfg.Validate(); err != nil {
		for _, e := range unjoin(err) {
			problems = append(problems, fmt.Errorf("%s: %w", name, e))
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
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

// confDirective is one row of the directive tables: how many arguments the
// directive takes after its name, whether its first argument names a
// monitored master, when it applies, and what it does. A row parses its
// arguments (numbers, yes/no, addresses); the ranges a value must fall in
// (quorum, timers, ports) are Validate's, which runs on the whole file
// afterwards with the rules the YAML format shares.
type confDirective struct {
	// nargs lists the accepted argument counts; nil with minArgs 0 takes
	// any number.
	nargs []int
	// minArgs, when set, takes that many arguments or more instead.
	minArgs int
	// master: the first argument names a master that must already be
	// monitored; apply finds it in confLine.m.
	master bool
	// preMonitor directives apply before any "sentinel monitor" line and
	// the monitor lines before everything else, whatever their order in
	// the file (Redis's preMonitorCfgName, the fix for redis/redis#8271).
	preMonitor bool
	apply      func(l *confLine)
}

// confLine is one directive being applied.
type confLine struct {
	p    *confParser
	line int
	// directive is what errors name: "port", "sentinel monitor".
	directive string
	args      []string
	// m is the master the first argument names, mi its index (rows with
	// master set).
	m  *Master
	mi int
}

func (l *confLine) failf(format string, a ...any) { l.p.fail(l.line, l.directive, format, a...) }

// record notes the line a master's field came from, so Validate's
// messages can name it.
func (l *confLine) record(fields ...string) {
	for _, f := range fields {
		l.p.cfg.lines[masterPath(l.mi, l.m.Name)+"."+f] = l.line
	}
}

// apply runs the row of table called name, if there is one.
func (p *confParser) apply(table map[string]confDirective, line int, directive, name string, args []string) bool {
	d, ok := table[name]
	if !ok {
		return false
	}
	l := &confLine{p: p, line: line, directive: directive, args: args}
	switch {
	case d.minArgs > 0 && len(args) < d.minArgs:
		l.failf("wrong number of arguments (want at least %d)", d.minArgs)
		return true
	case d.minArgs == 0 && d.nargs != nil && !slices.Contains(d.nargs, len(args)):
		l.failf("wrong number of arguments (want %s, got %d)", joinInts(d.nargs), len(args))
		return true
	}
	if d.master {
		if l.mi = p.cfg.masterIndex(args[0]); l.mi < 0 {
			l.failf("no such master %q", args[0])
			return true
		}
		l.m = &p.cfg.Masters[l.mi]
	}
	d.apply(l)
	return true
}

// server handles one non-sentinel directive.
func (p *confParser) server(line int, name string, args []string) {
	if p.apply(serverDirectives, line, name, name, args) || p.apply(tlsDirectives, line, name, name, args) {
		return
	}
	if !redisServerDirectives[name] {
		p.fail(line, name, "bad directive or wrong number of arguments")
		return
	}
	p.cfg.Unsupported = append(p.cfg.Unsupported, Directive{Line: line, Name: name, Args: append([]string{}, args...)})
}

// sentinel handles one "sentinel <name> args..." directive.
func (p *confParser) sentinel(sl sentinelLine) {
	directive := "sentinel " + sl.name
	if !p.apply(sentinelDirectives, sl.line, directive, sl.name, sl.args) {
		p.fail(sl.line, directive, "unrecognized sentinel configuration statement")
	}
}

var one = []int{1}

// serverDirectives are the server directives we act on; the other Redis
// server directives are parsed and listed in Config.Unsupported.
var serverDirectives = map[string]confDirective{
	"port": {nargs: one, apply: func(l *confLine) { l.port(&l.p.cfg.Sentinel.Port, "sentinel.port") }},
	"bind": {minArgs: 1, apply: func(l *confLine) { l.p.cfg.Sentinel.Bind = append([]string(nil), l.args...) }},
	"dir": {nargs: one, apply: func(l *confLine) {
		dir, err := applyDir(l.p.cfg.Sentinel.Dir, l.args[0])
		if err != nil {
			l.failf("%v", err)
			return
		}
		l.p.cfg.Sentinel.Dir = dir
	}},
	"logfile": {nargs: one, apply: func(l *confLine) { l.p.cfg.Sentinel.LogFile = l.args[0] }},
	"pidfile": {nargs: one, apply: func(l *confLine) { l.p.cfg.Sentinel.PidFile = l.args[0] }},
	"loglevel": {nargs: one, apply: func(l *confLine) {
		level, ok := LogLevel(l.args[0])
		if !ok {
			l.failf("must be debug, verbose, notice or warning, got %q", l.args[0])
			return
		}
		l.p.cfg.Sentinel.LogLevel = level
	}},
	"daemonize":      {nargs: one, apply: yesNoDirective(serverYesNo, func(s *Sentinel) *bool { return &s.Daemonize })},
	"protected-mode": {nargs: one, apply: yesNoDirective(serverYesNo, func(s *Sentinel) *bool { return &s.ProtectedMode })},
	"requirepass":    {nargs: one, apply: func(l *confLine) { l.p.cfg.Sentinel.RequirePass = Secret(l.args[0]) }},
	// ACL (configs/acl.go).
	"user":           {minArgs: 1, apply: confUser},
	"aclfile":        {nargs: one, apply: confACLFile},
	"acllog-max-len": {nargs: one, apply: confACLLogMaxLen},
	"acl-pubsub-default": {nargs: one, apply: func(l *confLine) {
		l.p.cfg.Sentinel.ACLPubsubDefault = strings.ToLower(l.args[0])
		l.p.cfg.lines["sentinel.acl_pubsub_default"] = l.line
	}},
	// Following includes would make the rewrite ambiguous (which file
	// gets the state lines?), so we refuse them rather than ignore
	// masters defined elsewhere.
	"include": {apply: func(l *confLine) { l.failf("include is not supported; put the included lines into this file") }},
}

// sentinelDirectives are the "sentinel <name> ..." directives of Redis 7.0.
var sentinelDirectives = map[string]confDirective{
	"monitor":                         {nargs: []int{4}, apply: confMonitor},
	"down-after-milliseconds":         {nargs: two, master: true, apply: masterTimer("down_after", func(m *Master) *time.Duration { return &m.DownAfter })},
	"failover-timeout":                {nargs: two, master: true, apply: masterTimer("failover_timeout", func(m *Master) *time.Duration { return &m.FailoverTimeout })},
	"master-reboot-down-after-period": {nargs: two, master: true, apply: masterTimer("master_reboot_down_after", func(m *Master) *time.Duration { return &m.RebootDownAfter })},
	"parallel-syncs": {nargs: two, master: true, apply: func(l *confLine) {
		n, err := strconv.Atoi(l.args[1])
		if err != nil {
			l.failf("%q is not a number", l.args[1])
			return
		}
		l.m.ParallelSyncs = n
		l.record("parallel_syncs")
	}},
	"notification-script":    {nargs: two, master: true, apply: masterScript(func(m *Master) *string { return &m.NotificationScript })},
	"client-reconfig-script": {nargs: two, master: true, apply: masterScript(func(m *Master) *string { return &m.ClientReconfigScript })},
	"auth-pass":              {nargs: two, master: true, apply: func(l *confLine) { l.m.AuthPass = Secret(l.args[1]) }},
	"auth-user":              {nargs: two, master: true, apply: func(l *confLine) { l.m.AuthUser = l.args[1] }},
	"config-epoch": {nargs: two, master: true, apply: func(l *confLine) {
		if n, ok := l.epoch(l.args[1]); ok {
			l.m.ConfigEpoch = n
			// As Redis: the current epoch is never below a config epoch.
			l.p.cfg.Sentinel.CurrentEpoch = max(l.p.cfg.Sentinel.CurrentEpoch, n)
		}
	}},
	"leader-epoch": {nargs: two, master: true, apply: func(l *confLine) {
		if n, ok := l.epoch(l.args[1]); ok {
			l.m.LeaderEpoch = n
		}
	}},
	"known-replica":  {nargs: []int{3}, master: true, apply: confKnownReplica},
	"known-slave":    {nargs: []int{3}, master: true, apply: confKnownReplica},
	"known-sentinel": {nargs: []int{3, 4}, master: true, apply: confKnownSentinel},
	"rename-command": {nargs: []int{3}, master: true, apply: confRenameCommand},
	"forget-after":   {nargs: two, master: true, apply: masterTimer("forget_after", func(m *Master) *time.Duration { return &m.ForgetAfter })},
	// Our own: TLS or plain towards one master's data nodes (configs/tls.go).
	"tls": {nargs: two, master: true, apply: confMasterTLS},
	"fencing": {nargs: two, master: true, apply: func(l *confLine) {
		v, ok := parseYesNo(l.args[1])
		if !ok {
			l.failf(sentinelYesNo, l.args[1])
			return
		}
		l.m.Fencing = v
	}},
	// fencing-saved is state: the operator's own min-replicas-to-write
	// and min-replicas-max-lag, kept while fencing manages them.
	"fencing-saved": {nargs: []int{3}, master: true, apply: func(l *confLine) {
		v, err := settings.ParseFencingValues(l.args[1] + " " + l.args[2])
		if err != nil {
			l.failf("%v", err)
			return
		}
		l.m.FencingSaved = v.String()
	}},
	"myid": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		if len(l.args[0]) != 40 {
			l.failf("malformed sentinel id %q (want 40 characters)", l.args[0])
			return
		}
		l.p.cfg.Sentinel.ID = l.args[0]
	}},
	"current-epoch": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		if n, ok := l.epoch(l.args[0]); ok {
			l.p.cfg.Sentinel.CurrentEpoch = max(l.p.cfg.Sentinel.CurrentEpoch, n)
		}
	}},
	"announce-ip": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		if l.args[0] != "" {
			l.p.cfg.Sentinel.AnnounceIP = l.args[0]
		}
	}},
	"announce-port": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		l.port(&l.p.cfg.Sentinel.AnnouncePort, "sentinel.announce_port")
	}},
	"deny-scripts-reconfig": {nargs: one, preMonitor: true, apply: yesNoDirective(sentinelYesNo, func(s *Sentinel) *bool { return &s.DenyScriptsReconfig })},
	"resolve-hostnames":     {nargs: one, preMonitor: true, apply: yesNoDirective(sentinelYesNo, func(s *Sentinel) *bool { return &s.ResolveHostnames })},
	"announce-hostnames":    {nargs: one, preMonitor: true, apply: yesNoDirective(sentinelYesNo, func(s *Sentinel) *bool { return &s.AnnounceHostnames })},
	"sentinel-user": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		if l.args[0] != "" {
			l.p.cfg.Sentinel.SentinelUser = l.args[0]
		}
	}},
	"sentinel-pass": {nargs: one, preMonitor: true, apply: func(l *confLine) {
		if l.args[0] != "" {
			l.p.cfg.Sentinel.SentinelPass = Secret(l.args[0])
		}
	}},
}

var two = []int{2}

func confMonitor(l *confLine) {
	cfg, args := l.p.cfg, l.args
	quorum, err := strconv.Atoi(args[3])
	if err != nil {
		l.failf("invalid quorum %q", args[3])
		return
	}
	if cfg.Master(args[0]) != nil {
		l.failf("duplicate master name %q", args[0])
		return
	}
	a, ok := l.addr(args[1], args[2])
	if !ok {
		return
	}
	m := DefaultMaster()
	m.Name, m.Addr, m.Quorum = args[0], a, quorum
	cfg.Masters = append(cfg.Masters, m)
	l.mi = len(cfg.Masters) - 1
	l.m = &cfg.Masters[l.mi]
	l.record("name", "address", "quorum")
}

// masterTimer is a row that sets one of a master's timers, in
// milliseconds.
func masterTimer(field string, dst func(*Master) *time.Duration) func(*confLine) {
	return func(l *confLine) {
		if d, ok := l.millis(l.args[1]); ok {
			*dst(l.m) = d
			l.record(field)
		}
	}
}

// masterScript is a row that sets one of a master's scripts.
func masterScript(dst func(*Master) *string) func(*confLine) {
	return func(l *confLine) {
		// Sentinel lines are applied after every dir (Redis queues
		// them), so a relative script is relative to the last dir. The
		// path is kept as written, as Redis keeps and rewrites it.
		script := l.args[1]
		if err := checkExecutable(ResolvePath(l.p.cfg.Sentinel.Dir, script)); err != nil {
			l.failf("%v", err)
			return
		}
		*dst(l.m) = script
	}
}

func confKnownReplica(l *confLine) {
	a, ok := l.addr(l.args[1], l.args[2])
	if !ok {
		return
	}
	if slices.Contains(l.m.KnownReplicas, a) {
		l.failf("duplicate hostname and port for replica %s", a)
		return
	}
	l.m.KnownReplicas = append(l.m.KnownReplicas, a)
}

func confKnownSentinel(l *confLine) {
	if len(l.args) == 3 {
		return // the old form without a run id is ignored, as in Redis
	}
	a, ok := l.addr(l.args[1], l.args[2])
	if !ok {
		return
	}
	runID := l.args[3]
	for _, k := range l.m.KnownSentinels {
		if k.RunID == runID {
			l.failf("duplicate runid for sentinel %s", runID)
			return
		}
	}
	l.m.KnownSentinels = append(l.m.KnownSentinels, KnownSentinel{Addr: a, RunID: runID})
}

func confRenameCommand(l *confLine) {
	from, to := l.args[1], l.args[2]
	for old := range l.m.RenameCommands {
		if strings.EqualFold(old, from) {
			l.failf("same command %q renamed multiple times with rename-command", from)
			return
		}
	}
	if l.m.RenameCommands == nil {
		l.m.RenameCommands = make(map[string]string)
	}
	l.m.RenameCommands[from] = to
}

// The two wordings of a bad yes/no, as Redis words them for server and
// sentinel directives.
const (
	serverYesNo   = "argument must be 'yes' or 'no', got %q"
	sentinelYesNo = "please specify yes or no, got %q"
)

// yesNoDirective is a row that sets a yes/no setting.
func yesNoDirective(msg string, dst func(*Sentinel) *bool) func(*confLine) {
	return func(l *confLine) {
		v, ok := parseYesNo(l.args[0])
		if !ok {
			l.failf(msg, l.args[0])
			return
		}
		*dst(&l.p.cfg.Sentinel) = v
	}
}

// port reads a port number into dst and notes the line of field; its
// range is Validate's.
func (l *confLine) port(dst *int, field string) {
	n, err := strconv.Atoi(l.args[0])
	if err != nil {
		l.failf("invalid port %q", l.args[0])
		return
	}
	*dst = n
	l.p.cfg.lines[field] = l.line
}

// millis reads a number of milliseconds; whether it may be zero or
// negative is Validate's.
func (l *confLine) millis(text string) (time.Duration, bool) {
	n, err := strconv.ParseInt(text, 10, 64)
	switch {
	case err != nil:
		l.failf("%q is not a number of milliseconds", text)
		return 0, false
	case n > int64(time.Duration(1<<63-1)/time.Millisecond) || n < int64(time.Duration(-1<<63)/time.Millisecond):
		l.failf("time parameter %d is too large", n)
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}

func (l *confLine) epoch(text string) (uint64, bool) {
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		l.failf("%q is not an epoch (an unsigned number)", text)
		return 0, false
	}
	return n, true
}

func (l *confLine) addr(host, port string) (Addr, bool) {
	n, err := strconv.Atoi(port)
	if err != nil || CheckPort(n) != nil {
		l.failf("invalid port number %q", port)
		return Addr{}, false
	}
	switch err := CheckHost(host, l.p.cfg.Sentinel.ResolveHostnames); {
	case errors.Is(err, errHostNeedsResolve):
		l.failf("can't resolve instance hostname %q (set 'sentinel resolve-hostnames yes' to use host names)", host)
		return Addr{}, false
	case err != nil:
		l.failf("%v", err)
		return Addr{}, false
	}
	return Addr{Host: host, Port: n}, true
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

func joinInts(n []int) string {
	parts := make([]string, len(n))
	for i, k := range n {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, " or ")
}
