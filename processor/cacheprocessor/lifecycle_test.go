// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/metadata"
)

// countingBackend is a distributed-looking backend (a memory store that says it is
// shared) that counts Close and can fail Start.
type countingBackend struct {
	*backend.Memory
	startErr error
	closes   atomic.Int32
}

func (b *countingBackend) Start(context.Context) error { return b.startErr }
func (b *countingBackend) Close() error                { b.closes.Add(1); return nil }
func (b *countingBackend) Capabilities() backend.Capabilities {
	return distributedCaps(b.Memory)
}

// distributedCaps are m's capabilities, distributed: the processor treats a memory store
// wrapped so like a shared one.
func distributedCaps(m *backend.Memory) backend.Capabilities {
	c := m.Capabilities()
	c.Distributed = true
	return c
}

// countingMeters counts live callback registrations; fail makes RegisterCallback fail.
type countingMeters struct {
	noop.MeterProvider
	live atomic.Int32
	fail bool
}

type countingMeter struct {
	noop.Meter
	mp *countingMeters
}

type countingReg struct {
	metric.Registration
	mp *countingMeters
}

func (mp *countingMeters) Meter(string, ...metric.MeterOption) metric.Meter {
	return countingMeter{mp: mp}
}

func (m countingMeter) RegisterCallback(metric.Callback, ...metric.Observable) (metric.Registration, error) {
	if m.mp.fail {
		return nil, errors.New("callback refused")
	}
	m.mp.live.Add(1)
	return countingReg{mp: m.mp}, nil
}

func (r countingReg) Unregister() error { r.mp.live.Add(-1); return nil }

// countingStorage is a storage extension whose clients count Close.
type countingStorage struct {
	component.StartFunc
	component.ShutdownFunc
	closes atomic.Int32
}

type countingClient struct {
	storage.Client
	s *countingStorage
}

func (c countingClient) Close(ctx context.Context) error {
	c.s.closes.Add(1)
	return c.Client.Close(ctx)
}

func (s *countingStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	return countingClient{Client: storagetest.NewInMemoryClient(kind, id, name), s: s}, nil
}

type extHost map[component.ID]component.Component

func (h extHost) GetExtensions() map[component.ID]component.Component { return h }

// startFailing starts a processor that must fail to start, and returns it.
func startFailing(t *testing.T, cfg *Config, mp *countingMeters, host component.Host, opts ...option) *cacheProcessor {
	t.Helper()
	set := processortest.NewNopSettings(metadata.Type)
	set.MeterProvider = mp
	p, err := newCacheProcessor(set, cfg, consumertest.NewNop(), opts...)
	require.NoError(t, err)
	require.Error(t, p.Start(context.Background(), host))
	assert.Nil(t, p.be, "a failed Start keeps no backend")
	assert.Zero(t, mp.live.Load(), "a failed Start leaves no telemetry callback registered")
	require.NoError(t, p.Shutdown(context.Background()), "Shutdown after a failed Start is a no-op")
	return p
}

// Every failure path of Start closes what it opened before the failure.
func TestFailedStartClosesEverything(t *testing.T) {
	storageID := component.MustNewID("counting_storage")
	missing := component.MustNewID("tasker_registry")
	t.Run("backend start", func(t *testing.T) {
		be := &countingBackend{Memory: backend.NewMemory(time.Minute), startErr: errors.New("unreachable")}
		startFailing(t, testCfg(nil), &countingMeters{}, componenttest.NewNopHost(), withBackend(be))
		assert.EqualValues(t, 1, be.closes.Load())
	})
	t.Run("callback registration", func(t *testing.T) {
		be := &countingBackend{Memory: backend.NewMemory(time.Minute)}
		startFailing(t, testCfg(nil), &countingMeters{fail: true}, componenttest.NewNopHost(), withBackend(be))
		assert.EqualValues(t, 1, be.closes.Load())
	})
	t.Run("storage on a distributed backend", func(t *testing.T) {
		be := &countingBackend{Memory: backend.NewMemory(time.Minute)}
		cfg := testCfg(func(c *Config) { c.Storage = &storageID })
		startFailing(t, cfg, &countingMeters{}, extHost{storageID: &countingStorage{}}, withBackend(be))
		assert.EqualValues(t, 1, be.closes.Load())
	})
	t.Run("storage lookup", func(t *testing.T) {
		cfg := testCfg(func(c *Config) { c.Storage = &storageID })
		startFailing(t, cfg, &countingMeters{}, extHost{})
	})
	t.Run("registry attach, distributed backend", func(t *testing.T) {
		be := &countingBackend{Memory: backend.NewMemory(time.Minute)}
		cfg := testCfg(func(c *Config) { c.Registry = &missing })
		startFailing(t, cfg, &countingMeters{}, extHost{}, withBackend(be))
		assert.EqualValues(t, 1, be.closes.Load())
	})
	t.Run("registry attach, storage client", func(t *testing.T) {
		st := &countingStorage{}
		cfg := testCfg(func(c *Config) { c.Storage, c.Registry = &storageID, &missing })
		startFailing(t, cfg, &countingMeters{}, extHost{storageID: st})
		assert.EqualValues(t, 1, st.closes.Load(), "the storage client opened before the failure is closed")
	})
	t.Run("success keeps and then releases everything", func(t *testing.T) {
		be := &countingBackend{Memory: backend.NewMemory(time.Minute)}
		mp := &countingMeters{}
		set := processortest.NewNopSettings(metadata.Type)
		set.MeterProvider = mp
		p, err := newCacheProcessor(set, testCfg(nil), consumertest.NewNop(), withBackend(be))
		require.NoError(t, err)
		require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
		assert.EqualValues(t, 3, mp.live.Load())
		assert.Zero(t, be.closes.Load())
		require.NoError(t, p.Shutdown(context.Background()))
		assert.EqualValues(t, 1, be.closes.Load())
		assert.Zero(t, mp.live.Load())
	})
}

// slowRenewBackend is a distributed-looking backend that hands out leases whose Renew
// takes a while and ignores its context, and counts the Renew calls still running.
type slowRenewBackend struct {
	*backend.Memory
	inFlight, renewed atomic.Int32
}

func (b *slowRenewBackend) Capabilities() backend.Capabilities {
	return distributedCaps(b.Memory)
}

type slowLease struct {
	backend.Lease
	b *slowRenewBackend
}

func (b *slowRenewBackend) AcquireLock(ctx context.Context, owner string, ttl time.Duration) (backend.Lease, bool, error) {
	l, ok, err := b.Memory.AcquireLock(ctx, owner, ttl)
	if !ok || err != nil {
		return l, ok, err
	}
	return slowLease{Lease: l, b: b}, true, nil
}

func (l slowLease) Renew(ctx context.Context, ttl time.Duration) error {
	l.b.inFlight.Add(1)
	defer l.b.inFlight.Add(-1)
	time.Sleep(300 * time.Millisecond)
	l.b.renewed.Add(1)
	return l.Lease.Renew(ctx, ttl)
}

// An export joins its lease-renew goroutine: when exportOnce (and so Shutdown) returns,
// no Renew is still running against the backend about to be closed.
func TestExportJoinsLeaseRenewal(t *testing.T) {
	be := &slowRenewBackend{Memory: backend.NewMemory(time.Minute)}
	clock := &fakeClock{now: t0}
	next := &slowSink{delay: 450 * time.Millisecond} // one Renew starts at LockTimeout/3 = 333ms
	cfg := testCfg(func(c *Config) { c.LockTimeout = time.Second; c.ExportTimeout = time.Second; c.Interval = time.Minute })
	p := newTestProcessor(t, cfg, next, clock, be, nil)
	consume(t, p, newBatch(web1).sum("c", delta, 0, time.Second, 1, nil))
	p.exportOnce(context.Background(), clock.Now(), false)
	assert.Zero(t, be.inFlight.Load(), "a Renew outlived the export")
	assert.EqualValues(t, 1, be.renewed.Load(), "the lease was renewed during the slow export")
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Zero(t, be.inFlight.Load())
}

// slowSink takes delay per batch.
type slowSink struct {
	consumertest.MetricsSink
	delay time.Duration
}

func (s *slowSink) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	time.Sleep(s.delay)
	return s.MetricsSink.ConsumeMetrics(ctx, md)
}
