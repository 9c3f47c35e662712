// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/confguard"
)

// validateLimits checks the bounds and the protection of the HTTP input.
func (h *HTTPConfig) validateLimits() []error {
	var errs []error
	body := h.ServerConfig.MaxRequestBodySize
	if body < 0 {
		errs = append(errs, fmt.Errorf("http: max_request_body_size must not be negative, got %d", body))
	}
	if body <= 0 {
		body = DefaultMaxRequestBodySize // confighttp's default for 0
	}
	if h.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("http: max_events must be at least 1, got %d", h.MaxEvents))
	}
	if h.MaxInFlightBytes < body {
		errs = append(errs, fmt.Errorf("http: max_in_flight_bytes (%d) must be at least max_request_body_size (%d), or no request of the largest size is ever admitted", h.MaxInFlightBytes, body))
	}
	if h.RequireTimestamp && h.Secret == "" {
		errs = append(errs, fmt.Errorf("http: require_timestamp needs secret (the timestamp is signed with it)"))
	}
	if err := confguard.AtLeast("http: timestamp_tolerance", h.TimestampTolerance, time.Second, ""); err != nil {
		errs = append(errs, err)
	} else if h.RequireTimestamp && h.TimestampTolerance <= 0 {
		errs = append(errs, fmt.Errorf("http: timestamp_tolerance must be positive with require_timestamp, got %s", h.TimestampTolerance))
	}
	for name, d := range map[string]time.Duration{"read_timeout": h.ServerConfig.ReadTimeout, "read_header_timeout": h.ServerConfig.ReadHeaderTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("http: %s must not be negative, got %s", name, d))
		}
	}
	if ep := h.ServerConfig.NetAddr.Endpoint; ep != "" && h.Secret == "" && !h.ServerConfig.Auth.HasValue() && !h.Insecure && !loopback(ep) {
		errs = append(errs, fmt.Errorf("http: endpoint %q accepts connections from other hosts but no secret (or auth) is set, so anyone who reaches it can post events; set secret (see X-Tasker-Signature), or insecure: true to accept unsigned events", ep))
	}
	return errs
}

// loopback reports whether an endpoint (host:port) listens on a loopback address only.
func loopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
