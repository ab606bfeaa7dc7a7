package configs

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the rules a value must pass, one function per rule. The
// loaders (Validate, ParseConf, LoadState) and the run-time door (the
// supervisor's SENTINEL MONITOR, SET and CONFIG SET, through CheckMonitor,
// CheckMasterSetting and CheckRuntimeSetting) call the same functions: a
// value the sentinel accepts while running is one it can load again from
// its own file. Before this, SENTINEL MONITOR took a name with a TAB,
// persisted it, and the sentinel then refused to start from its own file.

// errHostNeedsResolve is CheckHost's answer for a well-formed host name
// while resolve-hostnames is off; each format words its own hint.
var errHostNeedsResolve = errors.New("host names need resolve-hostnames")

// CheckMasterName is the rule for a master's name: not empty, valid UTF-8
// (it is a Prometheus label value, which must be), and no spaces, commas or
// control characters (they would break the comma-separated hello message,
// the space-separated event payloads and sentinel.conf lines).
func CheckMasterName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	return checkToken(name)
}

// checkToken is the rule for a word that travels inside a hello message, an
// event payload or a sentinel.conf line unquoted by readers: master names,
// renamed command names, leader run ids, the announced address.
func checkToken(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8, got %q", s)
	}
	for _, r := range s {
		if r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("must not contain spaces, commas or control characters (they would break the hello message), got %q", s)
		}
	}
	return nil
}

// CheckHost is the rule for a data node's or peer's host: an IP address,
// or, when resolveHostnames is set, a DNS-style host name. Anything else
// (brackets, slashes, spaces, zones) would not survive host:port
// formatting or the hello message.
func CheckHost(host string, resolveHostnames bool) error {
	if !validHost(host) {
		return fmt.Errorf("bad host %q (want an IP address or a host name)", host)
	}
	if net.ParseIP(host) == nil && !resolveHostnames {
		return fmt.Errorf("host %q: %w", host, errHostNeedsResolve)
	}
	return nil
}

// CheckPort is the rule for a data node's or peer's port.
func CheckPort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("port must be in 1..65535, got %d", port)
	}
	return nil
}

// CheckAnnounceIP is the rule for announce-ip: empty (the link's local
// address) or one hello-safe word.
func CheckAnnounceIP(s string) error { return checkOptionalToken(s) }

// checkOptionalToken is checkToken for a word that may be empty.
func checkOptionalToken(s string) error {
	if s == "" {
		return nil
	}
	return checkToken(s)
}

// CheckScriptPath is the rule for a script set at run time: empty (none)
// or a path, absolute or relative, that is valid UTF-8 without NUL (the
// state file is YAML). A relative path is relative to the sentinel's dir,
// as in Redis: it is kept as written, the rewrite records the dir as an
// absolute path next to it, so it names the same file when loaded again.
// Whether the file is executable is checked by the caller against that
// directory (it is I/O and the file may come and go).
func CheckScriptPath(path string) error {
	if path == "" {
		return nil
	}
	if strings.ContainsRune(path, 0) || !utf8.ValidString(path) {
		return fmt.Errorf("script path %q must be valid UTF-8 without NUL", path)
	}
	return nil
}

// CheckRenameCommand is the rule for one rename-command pair.
func CheckRenameCommand(from, to string) error {
	if from == "" || to == "" {
		return errors.New("command names must not be empty")
	}
	if err := checkToken(from); err != nil {
		return fmt.Errorf("command name %w", err)
	}
	if err := checkToken(to); err != nil {
		return fmt.Errorf("command name %w", err)
	}
	return nil
}

// checkRunID is the rule for a sentinel run id (myid, known-sentinel).
func checkRunID(s string) error {
	if !isRunID(s) {
		return fmt.Errorf("must be 40 hex characters, got %q", s)
	}
	return nil
}

// checkLeader is the rule for the recorded leader of an epoch: empty or
// one word. It arrives from peers (a vote request's run id).
func checkLeader(s string) error { return checkOptionalToken(s) }

// CheckMonitor is the door of SENTINEL MONITOR: the name and address a
// master added at run time must have so that sentinel.conf or the state
// file loads it back. resolveHostnames is the sentinel's current setting.
// The quorum is settings.CheckQuorum, for the files and the core alike.
func CheckMonitor(name string, addr Addr, resolveHostnames bool) error {
	if err := CheckMasterName(name); err != nil {
		return fmt.Errorf("invalid master name: %w", err)
	}
	if err := CheckHost(addr.Host, resolveHostnames); err != nil {
		return fmt.Errorf("invalid IP address or hostname specified: %w", err)
	}
	if err := CheckPort(addr.Port); err != nil {
		return fmt.Errorf("invalid port number: %w", err)
	}
	return nil
}

// CheckMasterSetting is the door of SENTINEL SET for one option and its
// value (rename-command's two names separated by one space): what the
// files need of the strings they keep. The options, the numbers' ranges
// and Redis's error texts are the core's (monitor.ParseSetArgs), which
// the RESP server applies first; unknown options pass here.
func CheckMasterSetting(option, value string) error {
	bad := func(err error) error {
		return fmt.Errorf("invalid argument %q for SENTINEL SET '%s': %w", value, option, err)
	}
	switch strings.ToLower(option) {
	case "notification-script", "client-reconfig-script":
		if err := CheckScriptPath(value); err != nil {
			return bad(err)
		}
	case "rename-command":
		from, to, _ := strings.Cut(value, " ")
		if err := CheckRenameCommand(from, to); err != nil {
			return bad(err)
		}
	}
	return nil
}

// runtimeSettings are the parameters SENTINEL CONFIG SET changes, each
// with the rule its value must pass (nil: any value). This is the only
// list of them: the RESP server and the supervisor both ask
// CheckRuntimeSetting, and the loaders read the same values with the same
// rules (parseYesNo, CheckAnnounceIP, Validate's port range). loglevel
// is not one: as in Redis 7.0 it is a sentinel.conf directive only.
// A rule's error is the reason added to Redis's reply; where Redis
// refuses the value too, the rule gives none, so the reply is Redis's.
var runtimeSettings = map[string]func(string) error{
	"announce-ip": CheckAnnounceIP,
	"announce-port": func(v string) error {
		n, err := strconv.Atoi(v)
		return refuse(err == nil && n >= 0 && n <= 65535)
	},
	"resolve-hostnames":  func(v string) error { _, ok := parseYesNo(v); return refuse(ok) },
	"announce-hostnames": func(v string) error { _, ok := parseYesNo(v); return refuse(ok) },
	"sentinel-user":      nil,
	"sentinel-pass":      nil,
}

// errRefused is a refusal without a reason of its own.
var errRefused = errors.New("refused")

func refuse(ok bool) error {
	if ok {
		return nil
	}
	return errRefused
}

// CheckRuntimeSetting is the door of SENTINEL CONFIG SET for one
// parameter (any case) and its value; a refusal is a *SettingError.
func CheckRuntimeSetting(name, value string) error {
	rule, known := runtimeSettings[strings.ToLower(name)]
	if !known {
		return &SettingError{Arg: name}
	}
	if rule == nil {
		return nil
	}
	if err := rule(value); err != nil {
		se := &SettingError{Arg: value, Param: name}
		if !errors.Is(err, errRefused) {
			se.Reason = err.Error()
		}
		return se
	}
	return nil
}

// SettingError is a parameter or value SENTINEL CONFIG SET refuses: Arg is
// the refused word, Param the parameter when Arg is its value, Reason (may
// be empty) why.
type SettingError struct{ Arg, Param, Reason string }

func (e *SettingError) Error() string {
	msg := fmt.Sprintf("invalid argument %q to SENTINEL CONFIG SET", e.Arg)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// RESPError is redis-sentinel 7.0's reply, and our reason when we refuse
// what Redis would take.
func (e *SettingError) RESPError() string {
	msg := "ERR Invalid argument '" + e.Arg + "' to SENTINEL CONFIG SET"
	if e.Param != "" {
		msg = "ERR Invalid value '" + e.Arg + "' to SENTINEL CONFIG SET '" + e.Param + "'"
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// LogLevel maps a Redis loglevel word (any case) onto the slog level name
// the configuration keeps: the one table for sentinel.conf, YAML and
// SENTINEL CONFIG SET.
func LogLevel(word string) (string, bool) {
	level, ok := redisLogLevels[strings.ToLower(word)]
	return level, ok
}

// redisLogLevels maps Redis's loglevel words onto slog's levels.
var redisLogLevels = map[string]string{
	"debug":   "debug",
	"verbose": "debug",
	"notice":  "info",
	"warning": "warn",
	"nothing": "error", // Redis 7.2; closest is errors only
}
