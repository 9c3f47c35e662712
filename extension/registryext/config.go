// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/confguard"
)

// Defaults.
const (
	DefaultEndpoint      = "127.0.0.1:4321"
	DefaultExportTimeout = 30 * time.Second
	DefaultStatusRefresh = 10 * time.Second
	maxMaxEvents         = 1_000_000
	minTokenLen          = 16
)

// Config is the tasker_registry extension configuration.
type Config struct {
	// ServerConfig is the HTTP server: endpoint (default 127.0.0.1:4321), tls, cors, auth
	// (an authenticator extension), timeouts, ...
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`
	// Token, when set, is required as "Authorization: Bearer <token>" on every endpoint
	// but /health; compared in constant time.
	Token configopaque.String `mapstructure:"token"`
	// MaxEvents is the capacity of the lifecycle event ring. Default 1000.
	MaxEvents int `mapstructure:"max_events"`
	// ExportTimeout bounds the snapshot and encoding of GET /v1/export and GET /metrics.
	// Default 30s.
	ExportTimeout time.Duration `mapstructure:"export_timeout"`
	// Prometheus configures the built-in prometheus plugin.
	Prometheus PrometheusConfig `mapstructure:"prometheus"`
	// StatusPage configures the HTML status page at /.
	StatusPage StatusPageConfig `mapstructure:"status_page"`

	_ struct{}
}

// StatusPageConfig configures the status page (GET /).
type StatusPageConfig struct {
	// Enabled serves the page. Default true.
	Enabled bool `mapstructure:"enabled"`
	// Refresh is how often the page reloads itself; 0 means never. Default 10s.
	Refresh time.Duration `mapstructure:"refresh"`
	// TopSeries is how many of the aggregate's largest series the page lists (0: none,
	// and no snapshot is taken). Default 10.
	TopSeries int `mapstructure:"top_series"`
	// Events is how many of the latest lifecycle events the page lists. Default 20.
	Events int `mapstructure:"events"`

	_ struct{}
}

// PrometheusConfig configures the built-in prometheus plugin.
type PrometheusConfig struct {
	// JobInstanceLabels adds job (service.namespace/service.name, or service.name) and
	// instance (service.instance.id) labels from the resource. Default true.
	JobInstanceLabels bool `mapstructure:"job_instance_labels"`
	// ResourceAttributes are resource attributes copied to every series as labels.
	ResourceAttributes []string `mapstructure:"resource_attributes"`
	// TargetInfo adds a target_info series per resource with its other attributes.
	// Default true.
	TargetInfo bool `mapstructure:"target_info"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = DefaultEndpoint
	return &Config{
		ServerConfig:  srv,
		MaxEvents:     DefaultMaxEvents,
		ExportTimeout: DefaultExportTimeout,
		Prometheus:    PrometheusConfig{JobInstanceLabels: true, TargetInfo: true},
		StatusPage:    StatusPageConfig{Enabled: true, Refresh: DefaultStatusRefresh, TopSeries: 10, Events: 20},
	}
}

// Validate checks the configuration and reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.ServerConfig.NetAddr.Endpoint == "" {
		errs = append(errs, fmt.Errorf("endpoint must not be empty (default %q)", DefaultEndpoint))
	}
	if c.MaxEvents < 1 || c.MaxEvents > maxMaxEvents {
		errs = append(errs, fmt.Errorf("max_events must be between 1 and %d, got %d", maxMaxEvents, c.MaxEvents))
	}
	if c.ExportTimeout <= 0 {
		errs = append(errs, fmt.Errorf("export_timeout must be positive, got %s", c.ExportTimeout))
	} else if err := confguard.AtLeast("export_timeout", c.ExportTimeout, 100*time.Millisecond, ""); err != nil {
		errs = append(errs, err)
	}
	if c.Token != "" && c.ServerConfig.Auth.HasValue() {
		errs = append(errs, errors.New("token and auth are alternatives (both read the Authorization header): set one"))
	}
	if tok := string(c.Token); tok != "" {
		if len(tok) < minTokenLen {
			errs = append(errs, fmt.Errorf("token must be at least %d characters long", minTokenLen))
		}
		if !validToken(tok) {
			errs = append(errs, errors.New("token may contain only the characters of an RFC 6750 bearer token (letters, digits and - . _ ~ + / with trailing =)"))
		}
	}
	if sp := c.StatusPage; sp.Refresh != 0 && sp.Refresh < time.Second {
		errs = append(errs, fmt.Errorf("status_page::refresh must be 0 (no refresh) or at least 1s, got %s", sp.Refresh))
	}
	if sp := c.StatusPage; sp.TopSeries < 0 || sp.TopSeries > 1000 {
		errs = append(errs, fmt.Errorf("status_page::top_series must be between 0 and 1000, got %d", sp.TopSeries))
	}
	if sp := c.StatusPage; sp.Events < 0 || sp.Events > 1000 {
		errs = append(errs, fmt.Errorf("status_page::events must be between 0 and 1000, got %d", sp.Events))
	}
	seen := map[string]string{}
	if c.Prometheus.JobInstanceLabels {
		seen["job"], seen["instance"] = "job (service.name)", "instance (service.instance.id)"
	}
	for _, k := range c.Prometheus.ResourceAttributes {
		if k == "" {
			errs = append(errs, errors.New("prometheus::resource_attributes: empty attribute name"))
			continue
		}
		l := promtext.SanitizeLabelName(k)
		if prev, dup := seen[l]; dup {
			errs = append(errs, fmt.Errorf("prometheus::resource_attributes: %q becomes label %q, which %s already gives", k, l, prev))
			continue
		}
		seen[l] = fmt.Sprintf("resource attribute %q", k)
	}
	return errors.Join(errs...)
}

// validToken checks the RFC 6750 b64token syntax: 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=".
func validToken(s string) bool {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_' || s[i] == '~' || s[i] == '+' || s[i] == '/') {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func (c *Config) prometheusOptions() promtext.Options {
	return promtext.Options{
		NoJobInstanceLabels: !c.Prometheus.JobInstanceLabels,
		NoTargetInfo:        !c.Prometheus.TargetInfo,
		ResourceAttributes:  append([]string(nil), c.Prometheus.ResourceAttributes...),
	}
}
