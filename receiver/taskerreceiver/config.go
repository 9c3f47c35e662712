// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/tasker-systems/otelcol-tasker/receiver/taskerreceiver/internal/metadata"
)

// Defaults.
const (
	DefaultEndpoint           = "127.0.0.1:4320"
	DefaultPath               = "/v1/events"
	DefaultHealthPath         = "/health"
	DefaultServiceName        = "tasker"
	DefaultMaxRequestBodySize = 20 << 20
	DefaultMaxEvents          = 10_000
	DefaultMaxInFlightBytes   = 64 << 20
	DefaultTimestampTolerance = 5 * time.Minute
	DefaultReadHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout        = 30 * time.Second
	DefaultDedupeWindow       = 10 * time.Minute
	DefaultDedupeMaxEntries   = 100_000
	DefaultSpansMaxOpen       = 100_000
	DefaultSpansMaxAge        = time.Hour
	DefaultTaskEndWait        = 5 * time.Second
	MetricNamingOTel          = "otel"
	MetricNamingTasker        = "tasker"
)

// Signal names used by routes.
const (
	signalLogs    = "logs"
	signalTraces  = "traces"
	signalMetrics = "metrics"
)

// Config is the tasker receiver configuration.
type Config struct {
	// HTTP is the event input: POST of one event, a JSON array or NDJSON. Optional; at
	// least one of http and logs must be set.
	HTTP configoptional.Optional[HTTPConfig] `mapstructure:"http"`
	// Logs is the file input over Tasker's structured logs. Optional.
	Logs configoptional.Optional[LogsConfig] `mapstructure:"logs"`
	// Scrape polls Tasker's /tasker/metrics endpoints (prom_config.go). Optional.
	Scrape configoptional.Optional[ScrapeConfig] `mapstructure:"scrape"`

	// ServiceName is the resource service.name. Default "tasker".
	ServiceName string `mapstructure:"service_name"`
	// Source names the Tasker installation in the deterministic trace and span ids, so
	// that two installations with the same task ids do not share traces. Default:
	// service_name.
	Source string `mapstructure:"source"`
	// DeploymentEnvironment is the resource deployment.environment.name; when empty,
	// an event's `environment` field (Tasker's structured logs carry it) is used.
	DeploymentEnvironment string `mapstructure:"deployment_environment"`

	// Dedupe bounds the window of terminal events remembered to drop Tasker's repeated
	// publications of one completion.
	Dedupe DedupeConfig `mapstructure:"dedupe"`
	// Spans bounds the table of open spans (starts seen, waiting for their end).
	Spans SpansConfig `mapstructure:"spans"`
	// Routes, a port of Tasker's EventRouter: the first route whose match accepts an
	// event's name decides which signals it goes to, its sampling, or its drop.
	Routes []RouteConfig `mapstructure:"routes"`
	// MetricNaming: otel (default) emits the tasker.* metrics of documentation.md;
	// tasker emits the names Tasker's MetricsBackend intended (task_completed_total,
	// step_failed_total, <entity>_duration_seconds, ...) with Tasker's labels.
	MetricNaming string `mapstructure:"metric_naming"`

	// MetricsBuilderConfig enables or disables each metric (metrics::<name>::enabled).
	metadata.MetricsBuilderConfig `mapstructure:",squash"`

	_ struct{}
}

// HTTPConfig configures the HTTP input.
type HTTPConfig struct {
	// ServerConfig: endpoint (default 127.0.0.1:4320), tls, cors, auth,
	// max_request_body_size (default 20 MiB), compression_algorithms, timeouts, ...
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`
	// Path events are POSTed to. Default /v1/events.
	Path string `mapstructure:"path"`
	// HealthPath answers GET with 200 {"status":"ok"}. Default /health; "-" disables it.
	HealthPath string `mapstructure:"health_path"`
	// Secret, when set, requires "X-Tasker-Signature: sha256=<hex HMAC-SHA256 of the
	// (decompressed) body>" on every POST; compared in constant time. A request that
	// carries X-Tasker-Timestamp signs timestamp + "." + body instead.
	Secret configopaque.String `mapstructure:"secret"`
	// RequireTimestamp (replay protection) accepts only requests signed with
	// X-Tasker-Timestamp (Unix seconds) within TimestampTolerance of the receiver's
	// clock. Needs secret. Default false.
	RequireTimestamp bool `mapstructure:"require_timestamp"`
	// TimestampTolerance is how far X-Tasker-Timestamp may lie from the receiver's clock,
	// either way. Default 5m.
	TimestampTolerance time.Duration `mapstructure:"timestamp_tolerance"`
	// Insecure allows an endpoint other than a loopback address without a secret (or an
	// auth extension). Default false: such a configuration is refused.
	Insecure bool `mapstructure:"insecure"`
	// MaxEvents is the most events (items) one request may carry; a request with more
	// is answered 413 while it is read, before it is parsed. Default 10000.
	MaxEvents int `mapstructure:"max_events"`
	// MaxInFlightBytes bounds the (decompressed) bytes of request bodies held at once
	// across concurrent requests; a request that would exceed it is answered 503 with
	// Retry-After. At least max_request_body_size. Default 64 MiB.
	MaxInFlightBytes int64 `mapstructure:"max_in_flight_bytes"`
	// Push takes Tasker's metrics export POST (prom_config.go). Optional.
	Push configoptional.Optional[PushConfig] `mapstructure:"push"`

	_ struct{}
}

// LogsConfig configures the file input: the options of the contrib stanza fileconsumer
// (include, exclude, start_at, poll_interval, fingerprint_size, max_log_size, encoding,
// multiline, ...), and a storage extension for checkpoints.
type LogsConfig struct {
	fileconsumer.Config `mapstructure:",squash"`
	// Storage is a storage extension (e.g. file_storage) that keeps the read offsets,
	// so a restart neither loses nor repeats a line. Without it offsets live in memory.
	Storage *component.ID `mapstructure:"storage"`
	// RetryOnFailure: when the pipeline refuses a batch of lines (e.g. a full queue or
	// the memory limiter), retry it with exponential backoff. max_elapsed_time 0 (the
	// default) retries until the pipeline takes it or the collector stops; a batch given
	// up on is dropped, logged and counted. Disabled: a refused batch is dropped at once.
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// JoinContinuations makes one entry of a message that spans several lines: lines
	// without the Rails logger prefix continue the entry above them (Tasker's
	// multi-line messages, backtraces, pretty_json), and a pretty_json object without
	// a prefix runs from its "{" line to its "}" line. Default true; applies when
	// `multiline` is not set and the encoding is UTF-8 or ASCII.
	JoinContinuations bool `mapstructure:"join_continuations"`

	_ struct{}
}

// DedupeConfig bounds de-duplication of terminal events.
type DedupeConfig struct {
	// Window a terminal event is remembered for. Default 10m; 0 disables de-duplication.
	Window time.Duration `mapstructure:"window"`
	// MaxEntries remembered at most (oldest forgotten first). Default 100000.
	MaxEntries int `mapstructure:"max_entries"`

	_ struct{}
}

// SpansConfig bounds the start table.
type SpansConfig struct {
	// MaxOpen spans (tasks and step attempts) waiting for their terminal event; the
	// oldest is evicted (and counted) beyond it. Default 100000.
	MaxOpen int `mapstructure:"max_open"`
	// MaxAge of an open span before it is evicted. Default 1h.
	MaxAge time.Duration `mapstructure:"max_age"`
	// TaskEndWait is how long the state machine's thin copy of a task's end waits for
	// the finalizer's copy (counts, error message) before the task span is emitted
	// without it. Default 5s; 0: the first copy ends the task.
	TaskEndWait time.Duration `mapstructure:"task_end_wait"`

	_ struct{}
}

// RouteConfig is one route.
type RouteConfig struct {
	// Match: an exact event name, a glob (`step.*`, `*.failed`; path.Match syntax), or
	// a regular expression between slashes (`/^workflow\.task_reenqueue_/`).
	Match string `mapstructure:"match"`
	// Signals the matching events go to: logs, traces, metrics. Default all three.
	Signals []string `mapstructure:"signals"`
	// SamplingRate in [0, 1]: the fraction of tasks whose matching events are kept,
	// decided deterministically from the task id (every replica keeps the same tasks).
	// Default 1.
	SamplingRate *float64 `mapstructure:"sampling_rate"`
	// Drop discards matching events (counted in receiver_tasker_events_dropped).
	Drop bool `mapstructure:"drop"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = DefaultEndpoint
	srv.MaxRequestBodySize = DefaultMaxRequestBodySize
	srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
	srv.ReadTimeout = DefaultReadTimeout
	logs := fileconsumer.NewConfig()
	return &Config{
		HTTP: configoptional.Default(HTTPConfig{
			ServerConfig:       srv,
			Path:               DefaultPath,
			HealthPath:         DefaultHealthPath,
			TimestampTolerance: DefaultTimestampTolerance,
			MaxEvents:          DefaultMaxEvents,
			MaxInFlightBytes:   DefaultMaxInFlightBytes,
			Push:               defaultPushConfig(),
		}),
		Scrape:      defaultScrapeConfig(),
		Logs:        configoptional.Default(LogsConfig{Config: *logs, RetryOnFailure: defaultLogsRetry(), JoinContinuations: true}),
		ServiceName: DefaultServiceName,
		Dedupe: DedupeConfig{
			Window:     DefaultDedupeWindow,
			MaxEntries: DefaultDedupeMaxEntries,
		},
		Spans: SpansConfig{
			MaxOpen:     DefaultSpansMaxOpen,
			MaxAge:      DefaultSpansMaxAge,
			TaskEndWait: DefaultTaskEndWait,
		},
		MetricNaming:         MetricNamingOTel,
		MetricsBuilderConfig: metadata.NewDefaultMetricsBuilderConfig(),
	}
}

// source is the id namespace of traces: Source, else ServiceName.
func (c *Config) source() string {
	if c.Source != "" {
		return c.Source
	}
	return c.ServiceName
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if !c.HTTP.HasValue() && !c.Logs.HasValue() && !c.Scrape.HasValue() {
		errs = append(errs, errors.New("no input configured: set http, logs, or both (or scrape)"))
	}
	if c.HTTP.HasValue() {
		h := c.HTTP.Get()
		if h.ServerConfig.NetAddr.Endpoint == "" {
			errs = append(errs, fmt.Errorf("http: endpoint must not be empty (default %q)", DefaultEndpoint))
		}
		if !strings.HasPrefix(h.Path, "/") {
			errs = append(errs, fmt.Errorf("http: path must start with '/', got %q", h.Path))
		}
		if h.HealthPath != "" && h.HealthPath != "-" {
			if !strings.HasPrefix(h.HealthPath, "/") {
				errs = append(errs, fmt.Errorf("http: health_path must start with '/' (or be \"-\" to disable it), got %q", h.HealthPath))
			} else if h.HealthPath == h.Path {
				errs = append(errs, fmt.Errorf("http: health_path must differ from path %q", h.Path))
			}
		}
		errs = append(errs, h.validateLimits()...)
	}
	if c.Logs.HasValue() {
		l := c.Logs.Get()
		if len(l.Include) == 0 {
			errs = append(errs, errors.New("logs: include must list at least one file pattern"))
		}
		for _, p := range append(append([]string(nil), l.Include...), l.Exclude...) {
			if _, err := path.Match(p, ""); err != nil {
				errs = append(errs, fmt.Errorf("logs: bad pattern %q: %w", p, err))
			}
		}
		switch l.StartAt {
		case "beginning", "end":
		default:
			errs = append(errs, fmt.Errorf("logs: start_at must be \"beginning\" or \"end\", got %q", l.StartAt))
		}
		if l.PollInterval <= 0 {
			errs = append(errs, fmt.Errorf("logs: poll_interval must be positive, got %s", l.PollInterval))
		}
		if l.MaxLogSize <= 0 {
			errs = append(errs, fmt.Errorf("logs: max_log_size must be positive, got %d", l.MaxLogSize))
		}
		if l.FingerprintSize <= 0 {
			errs = append(errs, fmt.Errorf("logs: fingerprint_size must be positive, got %d", l.FingerprintSize))
		}
	}
	if c.ServiceName == "" {
		errs = append(errs, errors.New("service_name must not be empty"))
	}
	if c.Dedupe.Window < 0 {
		errs = append(errs, fmt.Errorf("dedupe: window must not be negative, got %s", c.Dedupe.Window))
	}
	if c.Dedupe.Window > 0 && c.Dedupe.MaxEntries < 1 {
		errs = append(errs, fmt.Errorf("dedupe: max_entries must be at least 1, got %d", c.Dedupe.MaxEntries))
	}
	if c.Spans.MaxOpen < 1 {
		errs = append(errs, fmt.Errorf("spans: max_open must be at least 1, got %d", c.Spans.MaxOpen))
	}
	if c.Spans.TaskEndWait < 0 {
		errs = append(errs, fmt.Errorf("spans: task_end_wait must not be negative, got %s", c.Spans.TaskEndWait))
	}
	if c.Spans.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("spans: max_age must be positive, got %s", c.Spans.MaxAge))
	}
	switch c.MetricNaming {
	case MetricNamingOTel, MetricNamingTasker:
	default:
		errs = append(errs, fmt.Errorf("metric_naming %q is not supported; use %q or %q", c.MetricNaming, MetricNamingOTel, MetricNamingTasker))
	}
	for i, r := range c.Routes {
		if _, err := compileMatch(r.Match); err != nil {
			errs = append(errs, fmt.Errorf("routes[%d]: %w", i, err))
		}
		for _, s := range r.Signals {
			switch s {
			case signalLogs, signalTraces, signalMetrics:
			default:
				errs = append(errs, fmt.Errorf("routes[%d]: unknown signal %q; use %q, %q or %q", i, s, signalLogs, signalTraces, signalMetrics))
			}
		}
		if r.SamplingRate != nil && (math.IsNaN(*r.SamplingRate) || *r.SamplingRate < 0 || *r.SamplingRate > 1) {
			errs = append(errs, fmt.Errorf("routes[%d]: sampling_rate must be between 0 and 1, got %v", i, *r.SamplingRate))
		}
		if r.Drop && (len(r.Signals) > 0 || r.SamplingRate != nil) {
			errs = append(errs, fmt.Errorf("routes[%d]: drop excludes signals and sampling_rate", i))
		}
	}
	errs = append(errs, c.validatePromInputs()...)
	return errors.Join(errs...)
}

// matcher matches event names.
type matcher func(string) bool

// compileMatch compiles a route's match: /regex/, a glob, or an exact name.
func compileMatch(m string) (matcher, error) {
	switch {
	case m == "":
		return nil, errors.New("match must not be empty")
	case len(m) >= 2 && strings.HasPrefix(m, "/") && strings.HasSuffix(m, "/"):
		re, err := regexp.Compile(m[1 : len(m)-1])
		if err != nil {
			return nil, fmt.Errorf("match %q: bad regular expression: %w", m, err)
		}
		return re.MatchString, nil
	case strings.ContainsAny(m, "*?["):
		if _, err := path.Match(m, ""); err != nil {
			return nil, fmt.Errorf("match %q: bad glob: %w", m, err)
		}
		return func(s string) bool { ok, _ := path.Match(m, s); return ok }, nil
	default:
		return func(s string) bool { return s == m }, nil
	}
}

// defaultLogsRetry: retry refused lines from 100ms up to 5s between tries, for as long as
// the collector runs (no line is given up on while the pipeline may recover).
func defaultLogsRetry() configretry.BackOffConfig {
	c := configretry.NewDefaultBackOffConfig()
	c.InitialInterval, c.MaxInterval, c.MaxElapsedTime, c.Multiplier = 100*time.Millisecond, 5*time.Second, 0, 2
	return c
}
