// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// go-redis logs through one process-wide logger (redis.SetLogger), to stderr by
// default: its lines ("redis: … pool.go:770: … failed to dial …", several per second
// during an outage) bypassed the collector's logger, level and encoding. clientLog
// routes them to the zap logger of the latest backend created, at WARN, and rate-limits
// them: per message format at most one line every logEvery, carrying how many it
// suppressed since the last one.

const logEvery = 10 * time.Second

type clientLog struct {
	logger atomic.Pointer[zap.Logger]
	every  time.Duration

	mu   sync.Mutex
	seen map[string]*logState // by format: a small fixed set in go-redis
}

type logState struct {
	at         time.Time
	suppressed int
}

var (
	redisLog     = &clientLog{every: logEvery, seen: map[string]*logState{}}
	redisLogOnce sync.Once
)

// routeClientLog sends go-redis's log lines to logger from now on.
func routeClientLog(logger *zap.Logger) {
	redisLog.logger.Store(logger.With(zap.String("source", "go-redis")))
	redisLogOnce.Do(func() { redis.SetLogger(redisLog) })
}

// Printf implements go-redis's internal.Logging.
func (l *clientLog) Printf(_ context.Context, format string, v ...any) {
	logger := l.logger.Load()
	if logger == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	st, ok := l.seen[format]
	if !ok {
		if len(l.seen) >= 256 { // go-redis's formats are constants; bound it anyway
			clear(l.seen)
		}
		st = &logState{}
		l.seen[format] = st
	}
	if ok && now.Sub(st.at) < l.every {
		st.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := st.suppressed
	st.at, st.suppressed = now, 0
	l.mu.Unlock()
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	fields := []zap.Field{zap.String("message", msg)}
	if suppressed > 0 {
		fields = append(fields, zap.Int("suppressed", suppressed), zap.Duration("over", l.every))
	}
	logger.Warn("Redis client", fields...)
}
