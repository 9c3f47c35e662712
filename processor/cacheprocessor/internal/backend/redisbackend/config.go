// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
)

// Config is the redis backend's configuration (the processor embeds it under `redis:`).
type Config struct {
	// Addrs are the Redis endpoints: one standalone server; the seed nodes of a Redis
	// Cluster; or the Sentinels when MasterName is set. Default ["127.0.0.1:6379"].
	Addrs []string `mapstructure:"addrs"`
	// MasterName selects Sentinel (failover) mode: the name of the monitored master.
	MasterName string `mapstructure:"master_name"`
	// Cluster selects Redis Cluster mode; more than one address without MasterName
	// selects it too.
	Cluster bool `mapstructure:"cluster"`
	// Username and Password authenticate (Redis 6 ACL; Password alone for requirepass).
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// DB is the database number (standalone and Sentinel only; Cluster has only 0).
	DB int `mapstructure:"db"`
	// TLS, when present, connects over TLS (`tls: {}` for the system roots;
	// `tls: {insecure: true}` is the same as leaving it out).
	TLS configoptional.Optional[configtls.ClientConfig] `mapstructure:"tls"`
	// KeyPrefix starts every key (see the package documentation for the layout). Default
	// "tasker". Replicas that share an aggregate use the same prefix.
	KeyPrefix string `mapstructure:"key_prefix"`
	// DialTimeout, ReadTimeout and WriteTimeout bound each connection attempt, reply and
	// write. Defaults 5s, 3s, 3s.
	DialTimeout  time.Duration `mapstructure:"dial_timeout"`
	ReadTimeout  time.Duration `mapstructure:"read_timeout"`
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// PoolSize is the connections per node; 0 keeps go-redis's default (10 per CPU).
	PoolSize int `mapstructure:"pool_size"`
	// Shards is the number of shards series are spread over (shard = series ID mod
	// Shards); each shard is one Lua call per batch and one Cluster slot. Default 16. All
	// replicas must agree, and it cannot change while data is stored under KeyPrefix
	// (Start refuses a mismatch).
	Shards int `mapstructure:"shards"`
	// ClientCacheSeries bounds the series whose values this replica caches to merge
	// them itself (doc.go, "Client-side merge"): about 128 bytes a series when full.
	// 0 turns the client-side merge off (every batch merged by the Lua scripts).
	// Default 131072.
	ClientCacheSeries int `mapstructure:"client_cache_series"`

	_ struct{}
}

// Mode names, as Info reports them.
const (
	ModeStandalone = "standalone"
	ModeSentinel   = "sentinel"
	ModeCluster    = "cluster"
)

// MaxShards bounds Config.Shards.
const MaxShards = 4096

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() Config {
	return Config{
		Addrs:        []string{"127.0.0.1:6379"},
		KeyPrefix:    "tasker",
		DialTimeout:  5 * time.Second,
		ReadTimeout:  3 * time.Second,
		WriteTimeout: 3 * time.Second,
		Shards:       16,

		ClientCacheSeries: defaultCacheSeries,
	}
}

// Mode reports which client the configuration selects.
func (c *Config) Mode() string {
	switch {
	case c.MasterName != "":
		return ModeSentinel
	case c.Cluster || len(c.Addrs) > 1:
		return ModeCluster
	}
	return ModeStandalone
}

// Validate checks the configuration; the errors name the option (the caller adds the
// "redis" section).
func (c *Config) Validate() error {
	var errs []error
	if len(c.Addrs) == 0 {
		errs = append(errs, errors.New("addrs: at least one address is required"))
	}
	for i, a := range c.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("addrs[%d] %q: want host:port", i, a))
		}
	}
	if c.Cluster && c.MasterName != "" {
		errs = append(errs, errors.New("cluster and master_name are exclusive: Sentinel manages one master, Cluster many"))
	}
	if c.Mode() == ModeCluster && c.DB != 0 {
		errs = append(errs, fmt.Errorf("db: Redis Cluster has only database 0, got %d", c.DB))
	}
	if c.DB < 0 {
		errs = append(errs, fmt.Errorf("db: must not be negative, got %d", c.DB))
	}
	switch {
	case c.KeyPrefix == "":
		errs = append(errs, errors.New("key_prefix: must not be empty"))
	case strings.ContainsAny(c.KeyPrefix, "{} \t\r\n"):
		errs = append(errs, fmt.Errorf("key_prefix %q: must not contain braces (they are the Cluster hash tags) or spaces", c.KeyPrefix))
	}
	for name, d := range map[string]time.Duration{"dial_timeout": c.DialTimeout, "read_timeout": c.ReadTimeout, "write_timeout": c.WriteTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative, got %s", name, d))
		}
	}
	if c.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("pool_size: must not be negative, got %d", c.PoolSize))
	}
	if c.Shards < 1 || c.Shards > MaxShards {
		errs = append(errs, fmt.Errorf("shards: must be between 1 and %d, got %d", MaxShards, c.Shards))
	}
	if c.ClientCacheSeries < 0 {
		errs = append(errs, fmt.Errorf("client_cache_series: must not be negative (0 turns the client-side merge off), got %d", c.ClientCacheSeries))
	}
	if c.TLS.HasValue() {
		if err := c.TLS.Get().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		}
	}
	return errors.Join(errs...)
}

// options builds the go-redis options.
func (c *Config) options(ctx context.Context) (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{
		Addrs:                 c.Addrs,
		MasterName:            c.MasterName,
		IsClusterMode:         c.Mode() == ModeCluster,
		Username:              c.Username,
		Password:              string(c.Password),
		DB:                    c.DB,
		DialTimeout:           c.DialTimeout,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		PoolSize:              c.PoolSize,
		ContextTimeoutEnabled: true,
		// A refused or timed-out dial is retried once after 50ms (go-redis: 5 × 100ms),
		// so an unreachable server fails a call in about (MaxRetries+1) × (2 dials), not
		// seconds of dialling; every script is idempotent, so go-redis's command retries
		// (3, on network errors) are safe.
		DialerRetries:      2,
		DialerRetryTimeout: 50 * time.Millisecond,
		ClientName:         "otelcol-tasker-cache",
	}
	if c.TLS.HasValue() {
		tlsCfg, err := c.TLS.Get().LoadTLSConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("redis: tls: %w", err)
		}
		o.TLSConfig = tlsCfg
	}
	return o, nil
}
