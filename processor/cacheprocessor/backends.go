// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/memcachedbackend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/redisbackend"
)

// autoProbeTimeout bounds each probe of backend: auto, so a collector whose Redis and
// memcached are both absent starts on memory within seconds.
const autoProbeTimeout = 2 * time.Second

// openBackend creates and starts the configured backend. auto is Tasker's detection
// order (CacheStrategy.detect): Redis, then memcached, then memory; every probe failure
// is logged with its cause so the choice is never silent.
func openBackend(ctx context.Context, cfg *Config, logger *zap.Logger) (backend.Backend, string, error) {
	switch cfg.Backend {
	case BackendMemory:
		be := backend.NewMemory(cfg.Retention)
		return be, BackendMemory, be.Start(ctx)
	case BackendRedis:
		be, err := startRedis(ctx, cfg, logger)
		return be, BackendRedis, err
	case BackendMemcached:
		be, err := startMemcached(ctx, cfg, logger)
		return be, BackendMemcached, err
	case BackendAuto:
		var causes []error
		for _, c := range []struct {
			name  string
			start func(context.Context, *Config, *zap.Logger) (backend.Backend, error)
		}{{BackendRedis, startRedis}, {BackendMemcached, startMemcached}} {
			pctx, cancel := context.WithTimeout(ctx, autoProbeTimeout)
			be, err := c.start(pctx, cfg, logger)
			cancel()
			if err == nil {
				logger.Info("tasker_cache backend auto: selected", zap.String("backend", c.name))
				return be, c.name, nil
			}
			causes = append(causes, err)
			logger.Info("tasker_cache backend auto: not available", zap.String("backend", c.name), zap.Error(err))
		}
		logger.Warn("tasker_cache backend auto: no distributed backend reachable, using memory (this replica aggregates alone)",
			zap.Error(errors.Join(causes...)))
		be := backend.NewMemory(cfg.Retention)
		return be, BackendMemory, be.Start(ctx)
	}
	return nil, "", fmt.Errorf("backend %q is not supported", cfg.Backend)
}

func startRedis(ctx context.Context, cfg *Config, logger *zap.Logger) (backend.Backend, error) {
	be, err := redisbackend.New(cfg.Redis, cfg.Retention, logger)
	return started(ctx, be, err)
}

func startMemcached(ctx context.Context, cfg *Config, logger *zap.Logger) (backend.Backend, error) {
	be, err := memcachedbackend.New(cfg.Memcached, cfg.Retention, logger)
	return started(ctx, be, err)
}

// started starts a newly created backend, closing it when Start fails.
func started[B backend.Backend](ctx context.Context, be B, err error) (backend.Backend, error) {
	if err != nil {
		return nil, err
	}
	if err := be.Start(ctx); err != nil {
		_ = be.Close()
		return nil, err
	}
	return be, nil
}
