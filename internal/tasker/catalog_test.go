// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The names of tasker-reference §1, family by family.
var referenceFamilies = map[Category][]string{
	CategoryTask: {"task.initialize_requested", "task.start_requested", "task.completed", "task.failed",
		"task.retry_requested", "task.cancelled", "task.resolved_manually", "task.before_transition"},
	CategoryStep: {"step.initialize_requested", "step.execution_requested", "step.before_handle", "step.handle",
		"step.completed", "step.failed", "step.retry_requested", "step.cancelled", "step.resolved_manually",
		"step.before_transition"},
	CategoryWorkflow: {"workflow.task_started", "workflow.task_completed", "workflow.task_failed",
		"workflow.step_completed", "workflow.step_failed", "workflow.viable_steps_discovered",
		"workflow.no_viable_steps", "workflow.orchestration_requested", "workflow.task_finalization_started",
		"workflow.task_finalization_completed", "workflow.task_reenqueue_started",
		"workflow.task_reenqueue_requested", "workflow.task_reenqueue_failed", "workflow.task_reenqueue_delayed",
		"workflow.task_state_unclear", "workflow.step_execution_failed", "workflow.viable_steps_batch_ready",
		"workflow.steps_execution_started", "workflow.steps_execution_completed"},
	CategoryObservability: {"observability.task.handle", "observability.task.enqueue", "observability.task.finalize",
		"observability.step.handle", "observability.step.find_viable", "observability.step.backoff",
		"observability.step.skip", "observability.step.max_retries_reached"},
	CategoryTelemetry: {"tasker.telemetry.cache_synced", "tasker.telemetry.export_requested",
		"tasker.telemetry.export_completed", "tasker.telemetry.export_failed",
		"tasker.telemetry.plugin_registered", "tasker.telemetry.plugin_unregistered"},
	CategoryRegistry: {"handler.registered", "handler.unregistered", "handler.validation_failed",
		"plugin.registered", "plugin.unregistered", "plugin.validation_failed", "subscriber.registered",
		"subscriber.unregistered", "subscriber.validation_failed", "registry.sync_requested",
		"registry.health_check", "registry.stats_collected", "registry.cross_discovery",
		"registry.coordination_complete"},
	CategoryTest:   {"test.event", "slow.event", "custom.event", "Test.Event"},
	CategoryCustom: {"database.query_executed", "dependency.resolved", "batch.step_execution", "memory.spike_detected", "performance.slow_operation"},
}

func TestCatalogCounts(t *testing.T) {
	// tasker-reference §1: 55 distinct registered strings, 51 of them non-test; 65
	// distinct non-test names with the unregistered RegistryEvents.
	var registered, registeredSystem, system int
	for _, in := range Catalog() {
		if in.Registered {
			registered++
			if in.Category != CategoryTest {
				registeredSystem++
			}
		}
		if in.Category != CategoryTest && in.Category != CategoryCustom {
			system++
		}
	}
	assert.Equal(t, 55, registered)
	assert.Equal(t, 51, registeredSystem)
	assert.Equal(t, 65, system)

	total := 0
	for cat, names := range referenceFamilies {
		for _, name := range names {
			in := Lookup(name)
			assert.True(t, in.Known, name)
			assert.Equal(t, cat, in.Category, name)
			assert.Equal(t, name, in.Name)
			total++
		}
	}
	assert.Len(t, Catalog(), total, "the catalog holds exactly the reference's names")
}

func TestCatalogEntries(t *testing.T) {
	const (
		l   = SignalLogs
		lt  = SignalLogs | SignalTraces
		lm  = SignalLogs | SignalMetrics
		ltm = SignalLogs | SignalTraces | SignalMetrics
	)
	tests := []struct {
		name     string
		entity   Entity
		start    bool
		terminal bool
		outcome  Outcome
		severity Severity
		signals  Signals
		priority Priority
		rate     float64
		pub      bool
	}{
		{"task.initialize_requested", EntityTask, true, false, OutcomeNone, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"task.start_requested", EntityTask, true, false, OutcomeNone, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"task.completed", EntityTask, false, true, OutcomeCompleted, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"task.failed", EntityTask, false, true, OutcomeFailed, SeverityError, ltm, PriorityNormal, 1, true},
		{"task.retry_requested", EntityTask, false, false, OutcomeNone, SeverityWarn, l, PriorityNormal, 1, true},
		{"task.cancelled", EntityTask, false, true, OutcomeCancelled, SeverityInfo, l, PriorityNormal, 1, true},
		{"task.resolved_manually", EntityTask, false, true, OutcomeResolvedManually, SeverityInfo, l, PriorityNormal, 1, true},
		{"task.before_transition", EntityTask, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"step.execution_requested", EntityStep, true, false, OutcomeNone, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"step.before_handle", EntityStep, false, false, OutcomeNone, SeverityInfo, lt, PriorityNormal, 1, true},
		{"step.handle", EntityStep, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, false},
		{"step.completed", EntityStep, false, true, OutcomeCompleted, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"step.failed", EntityStep, false, true, OutcomeFailed, SeverityError, ltm, PriorityNormal, 1, true},
		{"step.retry_requested", EntityStep, false, false, OutcomeNone, SeverityWarn, ltm, PriorityNormal, 1, true},
		{"step.cancelled", EntityStep, false, true, OutcomeCancelled, SeverityInfo, l, PriorityNormal, 1, true},
		{"step.before_transition", EntityStep, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, false},
		{"workflow.task_started", EntityTask, true, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"workflow.task_failed", EntityTask, false, true, OutcomeFailed, SeverityError, l, PriorityNormal, 1, false},
		{"workflow.step_execution_failed", EntityStep, false, true, OutcomeFailed, SeverityError, l, PriorityNormal, 1, false},
		{"workflow.viable_steps_discovered", EntityTask, false, false, OutcomeNone, SeverityInfo, ltm, PriorityNormal, 1, true},
		{"workflow.no_viable_steps", EntityTask, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"workflow.task_reenqueue_failed", EntityTask, false, false, OutcomeNone, SeverityWarn, l, PriorityNormal, 1, true},
		{"workflow.task_reenqueue_delayed", EntityTask, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"workflow.task_finalization_completed", EntityTask, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"observability.task.enqueue", EntityTask, false, false, OutcomeNone, SeverityInfo, lm, PriorityHigh, 1, true},
		{"observability.task.finalize", EntityTask, false, false, OutcomeNone, SeverityInfo, lt, PriorityNormal, 1, false},
		{"observability.step.backoff", EntityStep, false, false, OutcomeNone, SeverityWarn, ltm, PriorityNormal, 1, true},
		{"observability.step.find_viable", EntityStep, false, false, OutcomeNone, SeverityInfo, lt, PriorityNormal, 1, false},
		{"observability.step.max_retries_reached", EntityStep, false, false, OutcomeNone, SeverityWarn, ltm, PriorityHigh, 1, false},
		{"tasker.telemetry.export_completed", EntityNone, false, false, OutcomeCompleted, SeverityInfo, l, PriorityNormal, 1, true},
		{"tasker.telemetry.export_failed", EntityNone, false, false, OutcomeFailed, SeverityError, l, PriorityNormal, 1, true},
		{"tasker.telemetry.cache_synced", EntityNone, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, true},
		{"handler.validation_failed", EntityNone, false, false, OutcomeNone, SeverityError, l, PriorityNormal, 1, false},
		{"registry.health_check", EntityNone, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, false},
		{"test.event", EntityNone, false, false, OutcomeNone, SeverityInfo, l, PriorityNormal, 1, false},
		{"database.query_executed", EntityNone, false, false, OutcomeNone, SeverityInfo, ltm, PriorityNormal, 0.1, false},
		{"dependency.resolved", EntityNone, false, false, OutcomeNone, SeverityInfo, lt, PriorityNormal, 1, false},
		{"memory.spike_detected", EntityNone, false, false, OutcomeNone, SeverityInfo, lm, PriorityCritical, 1, false},
		{"performance.slow_operation", EntityNone, false, false, OutcomeNone, SeverityInfo, ltm, PriorityHigh, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Lookup(tt.name)
			require.True(t, in.Known)
			assert.Equal(t, tt.entity, in.Entity, "entity")
			assert.Equal(t, tt.start, in.Start, "start")
			assert.Equal(t, tt.terminal, in.Terminal, "terminal")
			assert.Equal(t, tt.outcome, in.Outcome, "outcome")
			assert.Equal(t, tt.severity, in.Severity, "severity")
			assert.Equal(t, tt.signals, in.Signals, "signals")
			assert.Equal(t, tt.priority, in.Priority, "priority")
			assert.Equal(t, tt.rate, in.SamplingRate, "sampling rate")
			assert.Equal(t, tt.pub, in.Published, "published")
		})
	}
}

func TestCatalogInvariants(t *testing.T) {
	routed := 0
	for _, in := range Catalog() {
		assert.NotZero(t, in.Signals&SignalLogs, "%s: every event is a log", in.Name)
		if in.Signals != SignalLogs {
			routed++
		}
		if in.Terminal {
			assert.NotEqual(t, OutcomeNone, in.Outcome, in.Name)
			assert.NotEqual(t, EntityNone, in.Entity, "%s: terminal events end a task or step", in.Name)
		}
		if in.Published {
			assert.True(t, in.Registered, "%s: published but not registered", in.Name)
		}
		assert.False(t, in.Start && in.Terminal, in.Name)
	}
	// EventRouter#load_default_mappings: 15 trace+metrics, 2 metrics, 5 trace.
	assert.Equal(t, 22, routed)
}

func TestLookupUnknown(t *testing.T) {
	tests := []struct {
		name     string
		category Category
		entity   Entity
		severity Severity
	}{
		{"order.shipped", CategoryCustom, EntityNone, SeverityInfo},
		{"payment.failed", CategoryCustom, EntityNone, SeverityError},
		{"payment.capture_failed", CategoryCustom, EntityNone, SeverityError},
		{"payment.retry_scheduled", CategoryCustom, EntityNone, SeverityWarn},
		{"order.retrieved", CategoryCustom, EntityNone, SeverityInfo},
		{"task.started", CategoryTask, EntityTask, SeverityInfo},
		{"step.cancelled_by_user", CategoryStep, EntityStep, SeverityInfo},
		{"workflow.something_new", CategoryWorkflow, EntityNone, SeverityInfo},
		{"orchestration.step_batch_execution.started", CategoryWorkflow, EntityNone, SeverityInfo},
		{"exception.step_execution", CategoryObservability, EntityNone, SeverityError},
		{"tasker.telemetry.cache_ttl_extended", CategoryTelemetry, EntityNone, SeverityInfo},
		{"tasker.other", CategoryCustom, EntityNone, SeverityInfo},
		{"plugin.loaded", CategoryRegistry, EntityNone, SeverityInfo},
		{"nodots", CategoryCustom, EntityNone, SeverityInfo},
		{"", CategoryCustom, EntityNone, SeverityInfo},
	}
	for _, tt := range tests {
		in := Lookup(tt.name)
		assert.False(t, in.Known, tt.name)
		assert.Equal(t, tt.name, in.Name)
		assert.Equal(t, tt.category, in.Category, tt.name)
		assert.Equal(t, tt.entity, in.Entity, tt.name)
		assert.Equal(t, tt.severity, in.Severity, tt.name)
		assert.Equal(t, SignalLogs, in.Signals, tt.name)
		assert.Equal(t, PriorityNormal, in.Priority, tt.name)
		assert.Equal(t, 1.0, in.SamplingRate, tt.name)
		assert.False(t, in.Terminal || in.Start || in.Registered || in.Published, tt.name)
	}
}

func TestLookupAllocs(t *testing.T) {
	for _, name := range []string{"step.completed", "order.shipped", "tasker.telemetry.export_failed"} {
		var in Info
		allocs := testing.AllocsPerRun(100, func() { in = Lookup(name) })
		assert.Zero(t, allocs, name)
		assert.Equal(t, name, in.Name)
	}
}

func TestCatalogIsACopy(t *testing.T) {
	c := Catalog()
	c[0].Severity = SeverityFatal
	assert.Equal(t, SeverityInfo, Lookup(c[0].Name).Severity)
}

func TestStrings(t *testing.T) {
	assert.Equal(t, "observability", CategoryObservability.String())
	assert.Equal(t, "Category(99)", Category(99).String())
	assert.Equal(t, "step", EntityStep.String())
	assert.Equal(t, "resolved_manually", OutcomeResolvedManually.String())
	assert.Equal(t, "logs|traces|metrics", (SignalLogs | SignalTraces | SignalMetrics).String())
	assert.Equal(t, "logs|metrics", (SignalLogs | SignalMetrics).String())
	assert.Equal(t, "none", Signals(0).String())
	assert.Equal(t, "critical", PriorityCritical.String())
	assert.Equal(t, "WARN", SeverityWarn.String())
	assert.Equal(t, "", SeverityUnset.String())
	assert.Equal(t, "raw", KindRaw.String())
}

func TestEventSeverity(t *testing.T) {
	tests := []struct {
		name string
		log  Severity
		want Severity
	}{
		{"step.failed", SeverityUnset, SeverityError},
		{"step.failed", SeverityInfo, SeverityError}, // log_step_event logs failures at INFO
		{"step.completed", SeverityError, SeverityError},
		{"step.completed", SeverityDebug, SeverityInfo},
		{"observability.step.backoff", SeverityUnset, SeverityWarn},
		{"orchestration.step_batch_execution.started", SeverityDebug, SeverityDebug},
		{"order.failed", SeverityUnset, SeverityError},
		{"order.failed", SeverityWarn, SeverityWarn},
		{"", SeverityUnset, SeverityInfo},
	}
	for _, tt := range tests {
		ev := Event{Name: tt.name, LogSeverity: tt.log}
		assert.Equal(t, tt.want, ev.Severity(), "%s at %s", tt.name, tt.log)
	}
}
