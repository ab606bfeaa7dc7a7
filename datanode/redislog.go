package datanode

import (
	"context"
	"fmt"
	"log/slog"
)

// GoRedisLogger adapts a slog.Logger to go-redis's process-wide logger, which
// otherwise prints every failed dial to stderr. Only cmd should install it,
// with redis.SetLogger(datanode.GoRedisLogger(logger)), since it is global:
// this package never touches global state itself. Messages go out at Debug
// level because every failure they describe is already classified, counted
// and delivered to the core.
func GoRedisLogger(l *slog.Logger) interface {
	Printf(ctx context.Context, format string, v ...any)
} {
	return goRedisLogger{l: l.With("component", "go-redis")}
}

type goRedisLogger struct{ l *slog.Logger }

func (g goRedisLogger) Printf(ctx context.Context, format string, v ...any) {
	if g.l.Enabled(ctx, slog.LevelDebug) {
		g.l.DebugContext(ctx, fmt.Sprintf(format, v...))
	}
}
