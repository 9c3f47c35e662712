// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/tasker-systems/otelcol-tasker/internal/confguard"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/memcachedbackend"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend/redisbackend"
)

// Backends.
const (
	BackendMemory    = "memory"
	BackendRedis     = "redis"
	BackendMemcached = "memcached"
	BackendAuto      = "auto"
)

// Output temporalities.
const (
	TemporalityCumulative = "cumulative"
	TemporalityDelta      = "delta"
)

// MinInterval is the shortest interval (and retention) accepted.
const MinInterval = time.Second

// Config is the tasker_cache processor configuration.
type Config struct {
	// Backend: memory (default), redis, memcached or auto.
	Backend string `mapstructure:"backend"`
	// Interval between exports of the aggregate.
	Interval time.Duration `mapstructure:"interval"`
	// Retention: a series expires this long after its last update.
	Retention time.Duration `mapstructure:"retention"`
	// ExportTimeout bounds one downstream export.
	ExportTimeout time.Duration `mapstructure:"export_timeout"`
	// SafetyMargin is kept between the latest export and the expiry of what it exports.
	SafetyMargin time.Duration `mapstructure:"safety_margin"`
	// LockTimeout is the lifetime of the export lock (renewed while an export runs).
	LockTimeout time.Duration `mapstructure:"lock_timeout"`
	// RetryOnFailure is how a failed downstream export is retried (exporterhelper's
	// retry_on_failure keys): exponential backoff with jitter, within the interval (the
	// next interval's export takes over) and within max_elapsed_time when set. A failed
	// export extends the TTL of what it held by the next wait + SafetyMargin.
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// Deprecated: RetryBackoff and MaxRetryBackoff (retry_backoff, max_retry_backoff)
	// are the keys of earlier releases; when set they override
	// retry_on_failure::initial_interval and ::max_interval.
	RetryBackoff    time.Duration `mapstructure:"retry_backoff"`
	MaxRetryBackoff time.Duration `mapstructure:"max_retry_backoff"`
	// Temporality of the exported aggregate: cumulative (default) or delta.
	Temporality string `mapstructure:"temporality"`
	// PassThrough also forwards incoming metrics unchanged.
	PassThrough bool `mapstructure:"pass_through"`
	// MaxSeries caps the number of series; new series beyond it fold into one overflow
	// series per metric (attribute otel.metric.overflow=true). 0: no cap.
	MaxSeries int `mapstructure:"max_series"`
	// DropResourceAttributes and DropAttributes are left out of series identities (and
	// output), rolling series that differ only in them into one (a fleet into one view).
	DropResourceAttributes []string `mapstructure:"drop_resource_attributes"`
	DropAttributes         []string `mapstructure:"drop_attributes"`
	// ApplyInterval (redis and memcached): merge incoming points locally and apply them
	// to the shared store every ApplyInterval, one update per series (a counter that
	// received 500 increments costs one merge in the store, not 500). 0 (default) applies
	// every incoming batch at once. Points wait at most ApplyInterval (or until 10,000
	// series are pending); an export applies what is pending first.
	ApplyInterval time.Duration `mapstructure:"apply_interval"`
	// MaxBufferedPoints bounds the points buffered locally while a distributed backend is
	// unreachable; beyond it points are dropped, counted and logged.
	MaxBufferedPoints int `mapstructure:"max_buffered_points"`
	// Storage (memory backend): a storage extension to snapshot the aggregate into every
	// interval and at shutdown, and restore it from at start.
	Storage *component.ID `mapstructure:"storage"`
	// Registry is the tasker_registry extension this processor registers with as the
	// metrics source (its aggregate serves GET /v1/export and /metrics) and reports cache
	// syncs to. Unset: the only tasker_registry running, if any.
	Registry *component.ID `mapstructure:"registry"`
	// InstanceID names this replica (lock owner, batch ids). Default <hostname>-<pid>.
	InstanceID string `mapstructure:"instance_id"`

	// Redis configures backend redis (and the first probe of auto); see README.
	Redis redisbackend.Config `mapstructure:"redis"`
	// Memcached configures backend memcached (and the second probe of auto).
	Memcached memcachedbackend.Config `mapstructure:"memcached"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func defaultInstanceID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	switch c.Backend {
	case BackendMemory, BackendRedis, BackendMemcached, BackendAuto:
	default:
		errs = append(errs, fmt.Errorf("backend %q is not supported; use %q, %q, %q or %q", c.Backend, BackendMemory, BackendRedis, BackendMemcached, BackendAuto))
	}
	retry := c.retry()
	positive := map[string]time.Duration{"interval": c.Interval, "retention": c.Retention, "export_timeout": c.ExportTimeout, "lock_timeout": c.LockTimeout}
	for _, name := range []string{"interval", "retention", "export_timeout", "lock_timeout"} {
		if positive[name] <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, positive[name]))
		}
	}
	// Lower bounds: a duration far below them is a typo (or a unit forgotten), and
	// would make the processor export, retry or apply in a busy loop.
	errs = append(errs,
		confguard.AtLeast("interval", c.Interval, MinInterval, "one export of the aggregate per interval"),
		confguard.AtLeast("retention", c.Retention, MinInterval, "series expire this long after their last update"),
		confguard.AtLeast("export_timeout", c.ExportTimeout, 100*time.Millisecond, ""),
		confguard.AtLeast("lock_timeout", c.LockTimeout, time.Second, ""),
		confguard.AtLeast("retry_backoff", c.RetryBackoff, 10*time.Millisecond, ""),
		confguard.AtLeast("retry_on_failure::initial_interval", c.RetryOnFailure.InitialInterval, 10*time.Millisecond, ""),
		confguard.AtLeast("apply_interval", c.ApplyInterval, 10*time.Millisecond, "0 applies every point at once"))
	if c.SafetyMargin < 0 {
		errs = append(errs, fmt.Errorf("safety_margin must not be negative, got %s", c.SafetyMargin))
	}
	if retry.Enabled {
		if retry.InitialInterval <= 0 {
			errs = append(errs, fmt.Errorf("retry_on_failure::initial_interval must be positive, got %s", retry.InitialInterval))
		}
		if retry.MaxInterval < retry.InitialInterval {
			if c.RetryBackoff != 0 || c.MaxRetryBackoff != 0 {
				errs = append(errs, fmt.Errorf("max_retry_backoff (%s) must be at least retry_backoff (%s)", retry.MaxInterval, retry.InitialInterval))
			} else {
				errs = append(errs, fmt.Errorf("retry_on_failure::max_interval (%s) must be at least retry_on_failure::initial_interval (%s)", retry.MaxInterval, retry.InitialInterval))
			}
		}
	}
	// Tasker's latest_start rule: the export of an interval must finish, with the safety
	// margin to spare, before what it exports can expire.
	if c.Interval > 0 && c.Retention > 0 && c.Interval+c.ExportTimeout+c.SafetyMargin > c.Retention {
		errs = append(errs, fmt.Errorf("interval (%s) + export_timeout (%s) + safety_margin (%s) = %s must not exceed retention (%s): series could expire before they are exported",
			c.Interval, c.ExportTimeout, c.SafetyMargin, c.Interval+c.ExportTimeout+c.SafetyMargin, c.Retention))
	}
	if c.LockTimeout > 0 && c.LockTimeout < c.ExportTimeout {
		errs = append(errs, fmt.Errorf("lock_timeout (%s) must be at least export_timeout (%s)", c.LockTimeout, c.ExportTimeout))
	}
	switch c.Temporality {
	case TemporalityCumulative, TemporalityDelta:
	default:
		errs = append(errs, fmt.Errorf("temporality %q is not supported; use %q or %q", c.Temporality, TemporalityCumulative, TemporalityDelta))
	}
	if c.MaxSeries < 0 {
		errs = append(errs, fmt.Errorf("max_series must not be negative, got %d", c.MaxSeries))
	}
	if c.ApplyInterval < 0 {
		errs = append(errs, fmt.Errorf("apply_interval must not be negative, got %s", c.ApplyInterval))
	}
	if c.ApplyInterval > 0 && c.Interval > 0 && c.ApplyInterval >= c.Interval {
		errs = append(errs, fmt.Errorf("apply_interval (%s) must be shorter than interval (%s)", c.ApplyInterval, c.Interval))
	}
	if c.MaxBufferedPoints < 0 {
		errs = append(errs, fmt.Errorf("max_buffered_points must not be negative, got %d", c.MaxBufferedPoints))
	}
	if c.Storage != nil && c.Backend != BackendMemory && c.Backend != BackendAuto {
		errs = append(errs, fmt.Errorf("storage applies to backend %q only (the %s backend keeps its state itself)", BackendMemory, c.Backend))
	}
	// The redis and memcached sections validate themselves: the collector's config
	// walker calls their Validate and prefixes the errors with the section name.
	return errors.Join(errs...)
}

// retry is the effective retry_on_failure: the deprecated retry_backoff and
// max_retry_backoff, when set, override its initial_interval and max_interval.
func (c *Config) retry() configretry.BackOffConfig {
	r := c.RetryOnFailure
	if c.RetryBackoff > 0 {
		r.InitialInterval = c.RetryBackoff
	}
	if c.MaxRetryBackoff > 0 {
		r.MaxInterval = c.MaxRetryBackoff
	}
	return r
}
