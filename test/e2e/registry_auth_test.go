// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2ERegistryAuthAndHTTPConfig: the binary reads its configuration over HTTP (the
// http confmap provider), and the registry authenticates with the bearertokenauth
// extension through confighttp's auth: instead of its own token.
func TestE2ERegistryAuthAndHTTPConfig(t *testing.T) {
	components := run(t, tool(t, "OTELCOL_TASKER_BIN"), "components")
	for _, want := range []string{"name: bearertokenauth", "scheme: http\n", "scheme: https\n", "confmap/provider/httpsprovider v1.66.0"} {
		assert.Contains(t, components, want)
	}

	config, err := os.ReadFile(repoFile(t, "otelcol-config.yaml"))
	require.NoError(t, err)
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = w.Write(config)
	}))
	defer srv.Close()

	const token = "e2e-bearer-token-0123456789"
	c := startRegistryRun(t, srv.URL+"/otelcol-config.yaml",
		"extensions::bearertokenauth::token="+token,
		"extensions::tasker_registry::auth::authenticator=bearertokenauth",
		"service::extensions=[health_check, file_storage, tasker_registry, bearertokenauth]")
	defer c.stop(t)
	base := c.registry
	assert.Positive(t, served.Load(), "the configuration was fetched over HTTP")

	do := func(path, auth string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/v1/plugins", "/metrics", "/", "/health"} {
		code, body := do(path, "")
		assert.Equal(t, http.StatusUnauthorized, code, "%s without a token: %s", path, body)
		code, _ = do(path, "Bearer wrong-token-000000000000")
		assert.Equal(t, http.StatusUnauthorized, code, "%s with a wrong token", path)
	}
	code, body := do("/v1/plugins", "Bearer "+token)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"tasker_json"`)
	code, body = do("/metrics", "Bearer "+token)
	assert.Equal(t, http.StatusOK, code, body)
	code, body = do("/", "Bearer "+token)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "<title>tasker_registry")
}
