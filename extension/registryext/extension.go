// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// registryExtension is the tasker_registry extension: a Registry and its HTTP server.
type registryExtension struct {
	cfg *Config
	set extension.Settings
	reg *Registry
	tel *metadata.TelemetryBuilder

	mu     sync.Mutex
	server *http.Server
	addr   net.Addr
	done   chan struct{}
}

var (
	_ extension.Extension     = (*registryExtension)(nil)
	_ taskerregistry.Provider = (*registryExtension)(nil)
)

func newExtension(cfg *Config, set extension.Settings) (*registryExtension, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &registryExtension{cfg: cfg, set: set, tel: tel}
	onEvent := func(ev taskerregistry.Event, evicted bool) {
		ctx := context.Background()
		tel.ExtensionTaskerRegistryEvents.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("event", ev.Name))))
		if evicted {
			tel.ExtensionTaskerRegistryEventsEvicted.Add(ctx, 1)
		}
	}
	version := set.BuildInfo.Version
	e.reg = newRegistry(Options{
		MaxEvents:   cfg.MaxEvents,
		Logger:      set.Logger,
		ComponentID: set.ID,
		Version:     version,
		Prometheus:  cfg.prometheusOptions(),
	}, onEvent)
	e.reg.onDropped = func(plugin string, res taskerregistry.Result) {
		ctx := context.Background()
		if len(res.DroppedByReason) == 0 {
			res.DroppedByReason = map[string]int{"unspecified": res.Dropped}
		}
		for reason, n := range res.DroppedByReason {
			tel.ExtensionTaskerRegistryPointsDropped.Add(ctx, int64(n), metric.WithAttributeSet(attribute.NewSet(
				attribute.String("plugin", plugin), attribute.String("reason", reason))))
		}
	}
	if err := tel.RegisterExtensionTaskerRegistryPluginsCallback(func(_ context.Context, o metric.Int64Observer) error {
		e.reg.mu.RLock()
		n := len(e.reg.plugins)
		e.reg.mu.RUnlock()
		o.Observe(int64(n))
		return nil
	}); err != nil {
		tel.Shutdown()
		return nil, err
	}
	return e, nil
}

// Registry returns the extension's registry (for the extension's tests and registrytest).
func (e *registryExtension) Registry() *Registry { return e.reg }

// TaskerRegistry returns the extension's registry (taskerregistry.Provider).
func (e *registryExtension) TaskerRegistry() taskerregistry.Service { return e.reg }

// Start starts the HTTP server.
func (e *registryExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ln, err := e.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("tasker_registry: %w", err)
	}
	handler := newHandler(e.reg, e.cfg, e.set.Logger, e.tel)
	srv, err := e.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), e.set.TelemetrySettings, handler)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("tasker_registry: %w", err)
	}
	e.server, e.addr, e.done = srv, ln.Addr(), make(chan struct{})
	if e.cfg.Token == "" && !e.cfg.ServerConfig.Auth.HasValue() && !isLoopback(ln.Addr()) {
		e.set.Logger.Warn("tasker_registry listens beyond loopback without a token: set token (and tls) or an auth extension",
			zap.String("endpoint", ln.Addr().String()))
	}
	e.set.Logger.Info("tasker_registry listening", zap.String("endpoint", ln.Addr().String()))
	go func(done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}(e.done)
	return nil
}

// Shutdown stops the HTTP server. The registry stays usable.
func (e *registryExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if e.server != nil {
		err = e.server.Shutdown(ctx)
		if err != nil {
			_ = e.server.Close()
		}
		<-e.done
		e.server = nil
	}
	e.tel.Shutdown()
	return err
}

// Addr is the address the server listens on (nil before Start); for tests.
func (e *registryExtension) Addr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return false
}
