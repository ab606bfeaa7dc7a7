package raftmode

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// levelTrace is below slog.LevelDebug so raft's trace chatter stays hidden
// unless a handler asks for it explicitly.
const levelTrace = slog.LevelDebug - 4

// hclogAdapter routes hashicorp/raft's hclog output into an injected
// *slog.Logger, so raft logs share our handler, level and keys.
type hclogAdapter struct {
	logger  *slog.Logger
	name    string
	implied []any
	// level is shared by loggers derived with With/Named, as in hclog.
	level *levelHolder
}

type levelHolder struct {
	mu    sync.Mutex
	level hclog.Level
}

func (h *levelHolder) get() hclog.Level {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.level
}

func (h *levelHolder) set(l hclog.Level) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.level = l
}

// newHCLogger wraps logger as an hclog.Logger named name. Levels are
// filtered by the slog handler; SetLevel can only raise the floor.
func newHCLogger(logger *slog.Logger, name string) hclog.Logger {
	return &hclogAdapter{logger: logger, name: name, level: &levelHolder{level: hclog.Trace}}
}

func toSlogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	floor := a.level.get()
	if floor == hclog.Off || (l != hclog.NoLevel && l < floor) {
		return false
	}
	return a.logger.Enabled(context.Background(), toSlogLevel(l))
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if !a.enabled(level) {
		return
	}
	attrs := make([]any, 0, len(a.implied)+len(args)+2)
	if a.name != "" {
		attrs = append(attrs, "component", a.name)
	}
	attrs = append(attrs, a.implied...)
	attrs = append(attrs, normaliseArgs(args)...)
	a.logger.Log(context.Background(), toSlogLevel(level), msg, attrs...)
}

// normaliseArgs keeps hclog's key/value convention valid for slog: an odd
// trailing value gets a key, and errors become strings so every handler
// renders them.
func normaliseArgs(args []any) []any {
	out := make([]any, 0, len(args)+1)
	for i := 0; i < len(args); i += 2 {
		key, ok := args[i].(string)
		if !ok || i+1 >= len(args) {
			out = append(out, "extra_value", args[i])
			i--
			continue
		}
		val := args[i+1]
		if err, isErr := val.(error); isErr && err != nil {
			val = err.Error()
		}
		out = append(out, key, val)
	}
	return out
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

func (a *hclogAdapter) ImpliedArgs() []any { return slicesClone(a.implied) }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.implied = append(slicesClone(a.implied), normaliseArgs(args)...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name == "" {
		c.name = name
	} else {
		c.name = c.name + "." + name
	}
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *hclogAdapter) SetLevel(level hclog.Level) { a.level.set(level) }
func (a *hclogAdapter) GetLevel() hclog.Level      { return a.level.get() }

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	infer := opts != nil && (opts.InferLevels || opts.InferLevelsWithTimestamp)
	return &lineWriter{logger: a, inferLevels: infer}
}

func slicesClone(s []any) []any { return append([]any(nil), s...) }

// lineWriter turns lines written by a standard *log.Logger into log
// records, optionally reading the "[WARN]"-style prefix hashicorp code uses.
type lineWriter struct {
	logger      *hclogAdapter
	inferLevels bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			continue
		}
		level := hclog.Info
		if w.inferLevels {
			level, text = inferLevel(text)
		}
		w.logger.Log(level, text)
	}
	return len(p), nil
}

// inferLevel reads a leading "[LEVEL]" tag, possibly after a timestamp.
func inferLevel(text string) (hclog.Level, string) {
	tags := []struct {
		tag   string
		level hclog.Level
	}{
		{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info},
		{"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}, {"[ERR]", hclog.Error},
	}
	for _, t := range tags {
		if i := strings.Index(text, t.tag); i >= 0 {
			return t.level, strings.TrimSpace(text[i+len(t.tag):])
		}
	}
	return hclog.Info, text
}
