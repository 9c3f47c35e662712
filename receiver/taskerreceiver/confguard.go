// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"go.opentelemetry.io/collector/confmap"

	"github.com/tasker-systems/otelcol-tasker/internal/confguard"
)

// Unmarshal refuses durations written without a unit (`interval: 30` would be 30 ns),
// naming each, then decodes as the collector does.
func (c *Config) Unmarshal(conf *confmap.Conf) error { return confguard.Unmarshal(conf, c) }
