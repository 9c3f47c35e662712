// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// TestClientLogThroughZap: go-redis's own lines (its pool's "failed to dial" during an
// outage) reach the collector's logger, rate-limited, instead of stderr.
func TestClientLogThroughZap(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	// The rate limit is process-wide: forget what earlier tests' outages logged.
	redisLog.mu.Lock()
	clear(redisLog.seen)
	redisLog.mu.Unlock()
	cfg := NewDefaultConfig()
	cfg.Addrs = []string{"127.0.0.1:" + strconv.Itoa(redistest.FreePort(t))} // nobody listens
	cfg.DialTimeout = 100 * time.Millisecond
	b, err := New(cfg, time.Minute, zap.New(core))
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	for i := range 6 {
		_ = b.Apply(context.Background(), "", []series.Update{sumUpdate(series.ID(i), 1, t0)}, t0)
	}
	lines := logs.FilterMessage("Redis client").All()
	require.NotEmpty(t, lines, "go-redis logged through zap")
	assert.LessOrEqual(t, len(lines), 3, "rate-limited: at most one line per message kind per %s", logEvery)
	assert.Contains(t, lines[0].ContextMap()["message"], "dial")
	assert.Equal(t, zapcore.WarnLevel, lines[0].Level)
}

func TestClientLogRateLimit(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	l := &clientLog{every: 50 * time.Millisecond, seen: map[string]*logState{}}
	l.logger.Store(zap.New(core))
	for range 100 {
		l.Printf(context.Background(), "redis: pool: failed to dial %s", "x")
	}
	l.Printf(context.Background(), "redis: another %d", 1)
	time.Sleep(60 * time.Millisecond)
	l.Printf(context.Background(), "redis: pool: failed to dial %s", "x")
	all := logs.All()
	require.Len(t, all, 3)
	assert.Equal(t, "pool: failed to dial x", all[0].ContextMap()["message"])
	assert.Equal(t, "another 1", all[1].ContextMap()["message"])
	assert.Equal(t, int64(99), all[2].ContextMap()["suppressed"], "the next line says how many were suppressed")
}

// TestAuthFailureSaysSo: a password missing or wrong reads "authentication failed",
// not "cannot reach Redis".
func TestAuthFailureSaysSo(t *testing.T) {
	srv := redistest.StartWith(t, "--requirepass", "s3cret")
	for _, pw := range []string{"", "wrong"} {
		cfg := NewDefaultConfig()
		cfg.Addrs, cfg.Password = []string{srv.Addr}, configopaque.String(pw)
		b, err := New(cfg, time.Minute, nil)
		require.NoError(t, err)
		err = b.Start(context.Background())
		_ = b.Close()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "authentication failed", "password %q", pw)
		assert.NotContains(t, err.Error(), "cannot reach")
		assert.NotContains(t, err.Error(), "s3cret")
	}
	cfg := NewDefaultConfig()
	cfg.Addrs, cfg.Password = []string{srv.Addr}, "s3cret"
	b, err := New(cfg, time.Minute, nil)
	require.NoError(t, err)
	require.NoError(t, b.Start(context.Background()))
	require.NoError(t, b.Close())
}
