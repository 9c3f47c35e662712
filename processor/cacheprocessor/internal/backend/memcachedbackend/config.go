// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package memcachedbackend

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Config is the memcached backend's configuration (the processor embeds it under
// `memcached:`).
type Config struct {
	// Servers are the memcached endpoints, host:port (or a Unix socket path). Keys are
	// spread over them by hash (gomemcache's ServerList); every replica must list the same
	// servers in the same order. Default ["127.0.0.1:11211"].
	Servers []string `mapstructure:"servers"`
	// KeyPrefix starts every key (see the package documentation for the layout). Replicas
	// that share an aggregate use the same prefix. Default "tasker"; at most
	// MaxKeyPrefixLen bytes, no whitespace or control characters.
	KeyPrefix string `mapstructure:"key_prefix"`
	// Timeout bounds every round trip (connect, and each read or write). Default 1s.
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxIdleConns is the connections kept open per server, and also how many requests
	// one call issues in parallel (the per-series compare-and-swap writes of a batch).
	// Default 16.
	MaxIdleConns int `mapstructure:"max_idle_conns"`
	// MaxCASRetries is how many times one read-merge-write is retried after losing a
	// compare-and-swap race (with jittered exponential backoff: full jitter over
	// 1ms·2^(n-1), capped at 50ms) before the batch fails. Default 10 (see the package
	// documentation for why not Tasker's 3).
	MaxCASRetries int `mapstructure:"max_cas_retries"`
	// Shards is the number of index items the series are listed in (shard = series ID mod
	// Shards). Each index holds up to about 65,000 series (memcached's 1 MB item limit).
	// Default 16. All replicas must agree, and it cannot change while data is stored under
	// KeyPrefix (Start refuses a mismatch).
	Shards int `mapstructure:"shards"`

	_ struct{}
}

// Limits of the configuration.
const (
	MaxShards        = 4096
	MaxKeyPrefixLen  = 100
	MaxMaxIdleConns  = 1024
	MaxMaxCASRetries = 1000
)

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() Config {
	return Config{
		Servers:       []string{"127.0.0.1:11211"},
		KeyPrefix:     "tasker",
		Timeout:       time.Second,
		MaxIdleConns:  16,
		MaxCASRetries: 10,
		Shards:        16,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("servers must list at least one memcached address (host:port)"))
	}
	for i, s := range c.Servers {
		if strings.Contains(s, "/") {
			continue // a Unix socket path
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil || port == "" {
			errs = append(errs, fmt.Errorf("servers[%d] %q is not host:port: %v", i, s, err))
			continue
		}
		_ = host // an empty host means localhost to the dialer
	}
	if c.KeyPrefix == "" {
		errs = append(errs, errors.New("key_prefix must not be empty"))
	} else if len(c.KeyPrefix) > MaxKeyPrefixLen {
		errs = append(errs, fmt.Errorf("key_prefix is %d bytes; at most %d (memcached keys are limited to 250 bytes)", len(c.KeyPrefix), MaxKeyPrefixLen))
	} else if i := strings.IndexFunc(c.KeyPrefix, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		errs = append(errs, fmt.Errorf("key_prefix %q contains whitespace or a control character at byte %d (memcached keys cannot)", c.KeyPrefix, i))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", c.Timeout))
	}
	if c.MaxIdleConns < 1 || c.MaxIdleConns > MaxMaxIdleConns {
		errs = append(errs, fmt.Errorf("max_idle_conns must be between 1 and %d, got %d", MaxMaxIdleConns, c.MaxIdleConns))
	}
	if c.MaxCASRetries < 1 || c.MaxCASRetries > MaxMaxCASRetries {
		errs = append(errs, fmt.Errorf("max_cas_retries must be between 1 and %d, got %d", MaxMaxCASRetries, c.MaxCASRetries))
	}
	if c.Shards < 1 || c.Shards > MaxShards {
		errs = append(errs, fmt.Errorf("shards must be between 1 and %d, got %d", MaxShards, c.Shards))
	}
	return errors.Join(errs...)
}
