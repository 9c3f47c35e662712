// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package cacheprocessor

import (
	"time"

	"github.com/cenkalti/backoff/v7"
)

// exportRetry paces the retries of one failed export by retry_on_failure (the
// backoff exporterhelper uses: interval × (1 ± randomization_factor), times multiplier
// up to max_interval).
type exportRetry struct {
	bo         backoff.ExponentialBackOff
	enabled    bool
	maxElapsed time.Duration
	start      time.Time
}

func (p *cacheProcessor) newExportRetry() *exportRetry {
	c := p.cfg.retry()
	r := &exportRetry{enabled: c.Enabled, maxElapsed: c.MaxElapsedTime, start: time.Now(), bo: backoff.ExponentialBackOff{
		InitialInterval: c.InitialInterval, RandomizationFactor: c.RandomizationFactor,
		Multiplier: c.Multiplier, MaxInterval: c.MaxInterval,
	}}
	r.bo.Reset()
	return r
}

// next is the wait before the next attempt; false when retries are disabled or
// max_elapsed_time would pass.
func (r *exportRetry) next() (time.Duration, bool) {
	if !r.enabled {
		return 0, false
	}
	wait := r.bo.NextBackOff()
	if r.maxElapsed > 0 && time.Since(r.start)+wait > r.maxElapsed {
		return 0, false
	}
	return wait, true
}
