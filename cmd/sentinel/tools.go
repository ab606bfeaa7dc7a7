package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/configs/sdsargs"
)

// tools are the subcommands that work on a configuration file and exit:
//
//	sentinel check-config FILE      # every problem, with its line or field path; exit 1 if any
//	sentinel convert-config FILE    # sentinel.conf → YAML on stdout
//	sentinel raft-recover --config FILE --peers id=ip:port,...   # raftrecover.go
var tools = map[string]func(args []string, stdout, stderr io.Writer) int{
	"check-config":   checkConfig,
	"convert-config": convertConfig,
	"raft-recover":   raftRecover,
}

// loadAny loads a YAML file (.yaml, .yml) or a sentinel.conf.
func loadAny(path string) (*configs.Config, error) {
	if strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
		return configs.LoadFile(path)
	}
	return configs.LoadConf(path)
}

// problems splits a joined error into its parts.
func problems(err error) []error {
	var out []error
	var walk func(err error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if w := errors.Unwrap(err); w != nil {
			if _, joined := w.(interface{ Unwrap() []error }); joined {
				walk(w)
				return
			}
		}
		out = append(out, err)
	}
	walk(err)
	return out
}

func oneFile(name string, args []string, stderr io.Writer) (string, bool) {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "usage: sentinel %s FILE (sentinel.conf, or YAML ending in .yaml/.yml)\n", name)
		return "", false
	}
	return args[0], true
}

// checkConfig loads the file as the sentinel would and prints every
// problem found (file:line for sentinel.conf, the field path and line for
// YAML). It starts nothing and writes nothing.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	path, ok := oneFile("check-config", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := loadAny(path)
	if err != nil {
		ps := problems(err)
		for _, p := range ps {
			fmt.Fprintln(stdout, p)
		}
		fmt.Fprintf(stdout, "%s: %d problem(s)\n", path, len(ps))
		return 1
	}
	for _, d := range cfg.Unsupported {
		fmt.Fprintf(stdout, "%s:%d: %s: parsed but not acted on\n", path, d.Line, d.Name)
	}
	fmt.Fprintf(stdout, "%s: OK (%d master(s))\n", path, len(cfg.Masters))
	return 0
}

// convertConfig prints a sentinel.conf as the equivalent YAML. Secrets are
// not copied: they are written as "<secret>" and listed on stderr, to be
// set (or pointed at a file with *_file) by hand. The learned state
// (known replicas and sentinels, epochs) stays out of the YAML: a sentinel
// started on it learns them again, or keeps them in its state file.
func convertConfig(args []string, stdout, stderr io.Writer) int {
	path, ok := oneFile("convert-config", args, stderr)
	if !ok {
		return 2
	}
	cfg, err := configs.LoadConf(path)
	if err != nil {
		for _, p := range problems(err) {
			fmt.Fprintln(stderr, p)
		}
		return 1
	}
	out, err := cfg.Marshal()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "# Converted from %s by sentinel convert-config.\n", path)
	if _, err := stdout.Write(out); err != nil {
		return 1
	}
	if n := strings.Count(string(out), "<secret>"); n > 0 {
		fmt.Fprintf(stderr, "sentinel: %d secret(s) written as <secret>: set them, or use the *_file fields, before using this file\n", n)
	}
	return 0
}

// overrides are the command-line settings that win over the file, as
// redis-sentinel's "--port 26380 --loglevel warning" do.
type overrides struct {
	logFormat, logLevel, metricsAddr, redisLogLevel string
	port                                            int
	pprof                                           bool
}

func (o overrides) apply(cfg *configs.Config) error {
	if o.logFormat != "" {
		cfg.Sentinel.LogFormat = o.logFormat
	}
	if o.logLevel != "" {
		cfg.Sentinel.LogLevel = o.logLevel
	}
	if o.redisLogLevel != "" {
		level, ok := configs.LogLevel(o.redisLogLevel)
		if !ok {
			return fmt.Errorf("--loglevel %q: want debug, verbose, notice, warning or nothing", o.redisLogLevel)
		}
		cfg.Sentinel.LogLevel = level
	}
	if o.metricsAddr != "" {
		cfg.Sentinel.MetricsAddr = o.metricsAddr
	}
	if o.pprof {
		cfg.Sentinel.Pprof = true
	}
	if o.port != 0 {
		if o.port < 0 || o.port > 65535 {
			return fmt.Errorf("--port %s: out of range", strconv.Itoa(o.port))
		}
		cfg.Sentinel.Port = o.port
	}
	return nil
}

// splitDirectives takes redis-sentinel's "--<directive> [args...]" options
// out of args: sentinel.conf lines given on the command line, such as
// "--sentinel announce-ip 10.0.0.5" or "--bind 127.0.0.1". Every "--name"
// that fs does not define starts a line; the words after it, up to the
// next one starting with "--", are its arguments. The flags fs defines
// stay in rest, with their values.
func splitDirectives(args []string, fs *flag.FlagSet) (rest, lines []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, hasValue := strings.CutPrefix(a, "--")
		if !hasValue || name == "" {
			rest = append(rest, a)
			continue
		}
		name, _, inline := strings.Cut(name, "=")
		if f := fs.Lookup(name); f != nil {
			rest = append(rest, a)
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !inline && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		words := []string{name}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			words = append(words, args[i])
		}
		lines = append(lines, sdsargs.Join(words...))
	}
	return rest, lines
}

// loadConf loads a sentinel.conf with the command line's directive lines
// after the file's, as redis-sentinel applies them.
func loadConf(path string, lines []string) (*configs.Config, error) {
	return configs.LoadConf(path, lines...)
}

// loadYAML loads a YAML configuration; sentinel.conf lines on the command
// line have no place there.
func loadYAML(path string, lines []string) (*configs.Config, error) {
	if len(lines) > 0 {
		return nil, fmt.Errorf("%q: command-line directives apply to a sentinel.conf, not to YAML (use --port, --loglevel, --metrics-addr)", lines[0])
	}
	return configs.LoadFile(path)
}
