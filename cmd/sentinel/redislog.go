package main

import (
	"context"
	"fmt"
	"log/slog"
)

// redisLogger routes go-redis's internal log lines (dial failures of a dead
// node, mostly) to our logger at debug level: the core already reports what
// matters as events, so at info level they would only repeat it.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Log(ctx, slog.LevelDebug, fmt.Sprintf(format, v...), "component", "go-redis")
}
