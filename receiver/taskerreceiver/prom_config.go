// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
)

// Defaults of the push and scrape inputs.
const (
	DefaultPushPath       = "/api/v1/write"
	DefaultScrapeInterval = 30 * time.Second // Tasker's demo Prometheus config
	DefaultScrapeTimeout  = 10 * time.Second
)

// PushConfig is the push input: a path on the HTTP server taking what Tasker's
// MetricsExportService POSTs when telemetry.prometheus.endpoint points at it.
type PushConfig struct {
	// Path of the push input. Default /api/v1/write.
	Path string `mapstructure:"path"`
	// Username and Password, when set, require that Basic auth (Tasker's
	// prometheus.username / password); compared in constant time.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`

	_ struct{}
}

// ScrapeConfig is the scrape input: poll Tasker's /tasker/metrics endpoints.
type ScrapeConfig struct {
	// Targets are the endpoints; every confighttp client option applies (tls, headers,
	// auth, timeout, ...).
	Targets []ScrapeTarget `mapstructure:"targets"`
	// Interval between scrapes. Default 30s.
	Interval time.Duration `mapstructure:"interval"`
	// Timeout of one scrape (when a target sets none). Default 10s.
	Timeout time.Duration `mapstructure:"timeout"`

	_ struct{}
}

// ScrapeTarget is one Tasker endpoint.
type ScrapeTarget struct {
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// Username and Password are sent as Basic auth.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`

	_ struct{}
}

func defaultPushConfig() configoptional.Optional[PushConfig] {
	return configoptional.Default(PushConfig{Path: DefaultPushPath})
}

func defaultScrapeConfig() configoptional.Optional[ScrapeConfig] {
	return configoptional.Default(ScrapeConfig{Interval: DefaultScrapeInterval, Timeout: DefaultScrapeTimeout})
}

// validatePromInputs checks the push and scrape inputs.
func (c *Config) validatePromInputs() []error {
	var errs []error
	if c.HTTP.HasValue() && c.HTTP.Get().Push.HasValue() {
		h := c.HTTP.Get()
		p := h.Push.Get()
		switch {
		case !strings.HasPrefix(p.Path, "/"):
			errs = append(errs, fmt.Errorf("http: push: path must start with '/', got %q", p.Path))
		case p.Path == h.Path || p.Path == h.HealthPath:
			errs = append(errs, fmt.Errorf("http: push: path %q is already the events or health path", p.Path))
		}
		if (p.Username == "") != (p.Password == "") {
			errs = append(errs, fmt.Errorf("http: push: set both username and password, or neither"))
		}
	}
	if c.Scrape.HasValue() {
		s := c.Scrape.Get()
		if len(s.Targets) == 0 {
			errs = append(errs, fmt.Errorf("scrape: targets must list at least one endpoint"))
		}
		if s.Interval <= 0 {
			errs = append(errs, fmt.Errorf("scrape: interval must be positive, got %s", s.Interval))
		}
		if s.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("scrape: timeout must be positive, got %s", s.Timeout))
		}
		for i, t := range s.Targets {
			u, err := url.Parse(t.ClientConfig.Endpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("scrape: targets[%d]: endpoint must be an http(s) URL, got %q", i, t.ClientConfig.Endpoint))
			}
			if t.BearerToken != "" && t.Username != "" {
				errs = append(errs, fmt.Errorf("scrape: targets[%d]: bearer_token and username exclude each other", i))
			}
		}
	}
	return errs
}
