// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"time"

	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// dropLogInterval: an export that leaves out as many points as the last one logged is
// logged again only after this long (GET /metrics is scraped every few seconds).
const dropLogInterval = time.Minute

// reportDropped logs the points an export left out, with their count by reason, and
// tells the extension's telemetry (extension_tasker_registry_points_dropped).
func (r *Registry) reportDropped(e *pluginEntry, format string, res taskerregistry.Result) {
	if res.Dropped <= 0 {
		return
	}
	if r.onDropped != nil {
		r.onDropped(e.p.Name, res)
	}
	now := r.now()
	r.statsMu.Lock()
	log := res.Dropped != e.lastDropped || now.Sub(e.lastDropLog) >= dropLogInterval
	if log {
		e.lastDropped, e.lastDropLog = res.Dropped, now
	}
	r.statsMu.Unlock()
	if log {
		r.logger.Warn("Export left out data points its format cannot write",
			zap.String("plugin", e.p.Name), zap.String("format", format),
			zap.Int("dropped", res.Dropped), zap.Any("by_reason", res.DroppedByReason),
			zap.Int("written", res.Items))
	}
}
