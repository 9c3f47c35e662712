// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/internal/testconfig"
)

func extensionSettings() extension.Settings {
	return extensiontest.NewNopSettings(metadata.Type)
}

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cfg := testconfig.Load(t, metadata.Type, name, createDefaultConfig().(*Config))
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	def, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), def)
	assert.Equal(t, DefaultEndpoint, def.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, DefaultMaxEvents, def.MaxEvents)
	assert.Equal(t, DefaultExportTimeout, def.ExportTimeout)
	assert.True(t, def.Prometheus.JobInstanceLabels)
	assert.True(t, def.Prometheus.TargetInfo)
	assert.False(t, def.ServerConfig.Auth.HasValue())
	assert.Empty(t, string(def.Token))

	all, err := loadConfig(t, "all")
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9464", all.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, "s3cr3t-token-0123456789", string(all.Token))
	assert.Equal(t, "[REDACTED]", all.Token.String())
	assert.Equal(t, 5000, all.MaxEvents)
	assert.Equal(t, 10*time.Second, all.ExportTimeout)
	assert.Equal(t, 5*time.Second, all.ServerConfig.ReadHeaderTimeout)
	assert.False(t, all.Prometheus.JobInstanceLabels)
	assert.Equal(t, []string{"host.name", "deployment.environment"}, all.Prometheus.ResourceAttributes)
	assert.Equal(t, promtext.Options{NoJobInstanceLabels: true, NoTargetInfo: true, ResourceAttributes: []string{"host.name", "deployment.environment"}}, all.prometheusOptions())
	assert.False(t, all.ServerConfig.Auth.HasValue())

	// auth: an authenticator extension (confighttp), instead of token.
	withAuth, err := loadConfig(t, "auth")
	require.NoError(t, err)
	require.True(t, withAuth.ServerConfig.Auth.HasValue())
	assert.Equal(t, component.MustNewIDWithName("bearertokenauth", "registry"), withAuth.ServerConfig.Auth.Get().Config.AuthenticatorID)
	assert.Empty(t, string(withAuth.Token))
}

func TestConfigValidate(t *testing.T) {
	_, err := loadConfig(t, "bad")
	require.Error(t, err)
	for _, want := range []string{
		`endpoint must not be empty (default "127.0.0.1:4321")`,
		"max_events must be between 1 and 1000000, got 0",
		"export_timeout must be positive, got -1s",
		"token must be at least 16 characters long",
		"token and auth are alternatives (both read the Authorization header): set one",
		"token may contain only the characters of an RFC 6750 bearer token",
		"prometheus::resource_attributes: empty attribute name",
		`prometheus::resource_attributes: "host_name" becomes label "host_name", which resource attribute "host.name" already gives`,
		`prometheus::resource_attributes: "job" becomes label "job", which job (service.name) already gives`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "service.instance.id", "service_instance_id does not clash with instance")

	cfg := createDefaultConfig().(*Config)
	cfg.Token = "abcdefghijklmnop=="
	require.NoError(t, cfg.Validate())
	cfg.Token = "=abcdefghijklmnop"
	require.Error(t, cfg.Validate())
	cfg.Token = ""
	cfg.MaxEvents = 1_000_001
	require.Error(t, cfg.Validate())
}
