// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// completionMetrics records a completion once: the outcome counter and, when its
// start was observed, the duration its span has.
func (b *builder) completionMetrics(c *completion) {
	outcome := c.outcome.String()
	dur := c.end.Sub(c.start).Seconds()
	haveDur := c.startKnown && dur >= 0
	entity := "task"
	countOn, durOn := b.mcfg.TaskerTaskOutcomes.Enabled, b.mcfg.TaskerTaskDuration.Enabled
	countDesc, durDesc := descTaskOutcomes, descTaskDuration
	if c.entity == tasker.EntityStep {
		entity = "step"
		countOn, durOn = b.mcfg.TaskerStepOutcomes.Enabled, b.mcfg.TaskerStepDuration.Enabled
		countDesc, durDesc = descStepOutcomes, descStepDuration
	}
	agg := &c.rb.agg
	if b.cfg.MetricNaming == MetricNamingTasker {
		// Tasker's MetricsBackend: <entity>_{completed,failed,cancelled}_total and
		// <entity>_duration_seconds, labels status, handler, namespace (nil dropped).
		if c.outcome == tasker.OutcomeResolvedManually {
			return
		}
		var lb [3]kv
		labels := lb[:0]
		for _, l := range [...]kv{{"status", c.status}, {"handler", c.handler}, {"namespace", c.namespace}} {
			if l.v != "" {
				labels = append(labels, l)
			}
		}
		if countOn {
			agg.add(taskerDesc(entity, outcome), 1, labels...)
		}
		if durOn && haveDur && c.outcome != tasker.OutcomeCancelled {
			agg.observe(taskerDesc(entity, "duration"), dur, labels...)
		}
		return
	}
	var ab [3]kv
	attrs := append(ab[:0], kv{"tasker.task.name", c.taskName})
	if c.entity == tasker.EntityStep {
		attrs = append(attrs, kv{"tasker.step.name", c.stepName})
	}
	attrs = append(attrs, kv{"tasker.outcome", outcome})
	if countOn {
		agg.add(countDesc, 1, attrs...)
	}
	if durOn && haveDur {
		agg.observe(durDesc, dur, attrs...)
	}
}

// eventMetrics records backoffs; retries are counted where a new attempt appears.
func (b *builder) eventMetrics(rb *resBuf, ev *tasker.Event) {
	if ev.Name != "observability.step.backoff" {
		return
	}
	bt := payloadStr(ev, "backoff_type")
	if b.mcfg.TaskerStepBackoffs.Enabled {
		rb.agg.add(descStepBackoffs, 1, kv{"tasker.step.name", ev.StepName}, kv{"tasker.backoff.type", bt})
	}
	if v, ok := payloadValue(ev, "backoff_seconds"); ok && b.mcfg.TaskerStepBackoffDuration.Enabled {
		if k := v.Kind(); k == tasker.KindInt || k == tasker.KindFloat {
			rb.agg.observe(descBackoffDur, v.Float(), kv{"tasker.step.name", ev.StepName}, kv{"tasker.backoff.type", bt})
		}
	}
}
