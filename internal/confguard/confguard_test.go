// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package confguard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
)

type inner struct {
	Every time.Duration `mapstructure:"every"`
}

type squashed struct {
	FlushInterval time.Duration `mapstructure:"flush_interval"`
}

type testConfig struct {
	squashed `mapstructure:",squash"`
	Interval time.Duration                  `mapstructure:"interval"`
	Max      *time.Duration                 `mapstructure:"max"`
	Count    int                            `mapstructure:"count"`
	Retry    configretry.BackOffConfig      `mapstructure:"retry_on_failure"`
	Opt      configoptional.Optional[inner] `mapstructure:"opt"`
	Items    []inner                        `mapstructure:"items"`
	ByName   map[string]inner               `mapstructure:"by_name"`
	Ptr      *inner                         `mapstructure:"ptr"`
	Skipped  time.Duration                  `mapstructure:"-"`
	_        struct{}
}

func TestBareNumbersRefusedEverywhere(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"interval":         30,
		"flush_interval":   1.5,
		"max":              uint(7),
		"count":            30, // not a duration
		"retry_on_failure": map[string]any{"initial_interval": 5, "max_elapsed_time": 0},
		"opt":              map[string]any{"enabled": true, "every": 2},
		"items":            []any{map[string]any{"every": "1s"}, map[string]any{"every": 3}},
		"by_name":          map[string]any{"b": map[string]any{"every": 4}},
		"ptr":              map[string]any{"every": 9},
	})
	var cfg testConfig
	err := Unmarshal(conf, &cfg)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`interval: 30 has no unit; a duration needs one, e.g. "30s" or "30ms" (a bare number would be read as 30 nanoseconds)`,
		"flush_interval: 1.5 has no unit",
		"max: 7 has no unit",
		"retry_on_failure::initial_interval: 5 has no unit",
		"opt::every: 2 has no unit",
		"items[1]::every: 3 has no unit",
		"by_name::b::every: 4 has no unit",
		"ptr::every: 9 has no unit",
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, "count")
	assert.NotContains(t, msg, "max_elapsed_time", "0 needs no unit")
	assert.NotContains(t, msg, "items[0]")
}

func TestUnitsDecode(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"interval": "30s", "flush_interval": "0", "opt": map[string]any{"every": "2m"},
		"items": []any{map[string]any{"every": "1h"}},
	})
	var cfg testConfig
	require.NoError(t, Unmarshal(conf, &cfg))
	assert.Equal(t, 30*time.Second, cfg.Interval)
	assert.Equal(t, 2*time.Minute, cfg.Opt.Get().Every)
	assert.Equal(t, time.Hour, cfg.Items[0].Every)
}

func TestAtLeast(t *testing.T) {
	assert.NoError(t, AtLeast("interval", 0, time.Second, ""))
	assert.NoError(t, AtLeast("interval", time.Second, time.Second, ""))
	assert.EqualError(t, AtLeast("interval", 30, time.Second, "an export per interval"), "interval must be at least 1s (an export per interval), got 30ns")
	assert.EqualError(t, AtLeast("flush_interval", -time.Millisecond, 10*time.Millisecond, ""), "flush_interval must be at least 10ms, got -1ms")
}
