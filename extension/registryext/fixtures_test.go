// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// staticSource is a MetricsSource returning a fixed aggregate.
type staticSource struct {
	mu    sync.Mutex
	md    pmetric.Metrics
	err   error
	info  taskerregistry.SourceInfo
	calls atomic.Int64
	delay time.Duration
}

func newStaticSource(md pmetric.Metrics) *staticSource {
	return &staticSource{md: md, info: taskerregistry.SourceInfo{
		Strategy:     "distributed_atomic",
		Capabilities: taskerregistry.Capabilities{Distributed: true, AtomicIncrement: true, Locking: true, TTL: true},
		SeriesCount:  md.DataPointCount(),
	}}
}

func (s *staticSource) Snapshot(ctx context.Context) (pmetric.Metrics, error) {
	s.calls.Add(1)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return pmetric.Metrics{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md, s.err
}

func (s *staticSource) Info() taskerregistry.SourceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// fakeEncoder is a configurable Encoder plugin implementation.
type fakeEncoder struct {
	contentType string
	ext         string
	fail        error
	partial     string // written before failing
	body        string
	calls       atomic.Int64
}

func (f *fakeEncoder) Encode(_ context.Context, format string, md pmetric.Metrics, w io.Writer) (taskerregistry.Result, error) {
	f.calls.Add(1)
	if f.fail != nil {
		_, _ = io.WriteString(w, f.partial)
		return taskerregistry.Result{}, f.fail
	}
	body := f.body
	if body == "" {
		body = fmt.Sprintf("%s:%d\n", format, md.DataPointCount())
	}
	n, err := io.WriteString(w, body)
	return taskerregistry.Result{Items: md.DataPointCount(), Bytes: int64(n)}, err
}

func (f *fakeEncoder) MediaType(string) taskerregistry.MediaType {
	ct := f.contentType
	if ct == "" {
		ct = "text/csv; charset=utf-8"
	}
	return taskerregistry.MediaType{ContentType: ct, FileExtension: f.ext}
}

// recorder is an Observer collecting events.
type recorder struct {
	mu     sync.Mutex
	events []taskerregistry.Event
}

func (r *recorder) OnEvent(e taskerregistry.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return namesOf(r.events, func(e taskerregistry.Event) string { return e.Name })
}

var errBoom = errors.New("boom")

// startExtension creates the extension from set and cfg, listening on a free loopback
// port, and starts it; the caller shuts it down.
func startExtension(t *testing.T, set extension.Settings, cfg *Config) *registryExtension {
	t.Helper()
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext.(*registryExtension)
}

// newTelemetry is a test telemetry, shut down at the end of the test.
func newTelemetry(t *testing.T) *componenttest.Telemetry {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	return tt
}
