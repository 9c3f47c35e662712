// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"strconv"
	"strings"
)

// Category groups events by the Tasker constant module that defines them.
type Category uint8

// Categories. Custom is the zero value: any name the catalog does not know, and the
// custom events applications register (event_type `custom`).
const (
	CategoryCustom        Category = iota // application events, and unknown names
	CategoryTask                          // task.* (TaskEvents)
	CategoryStep                          // step.* (StepEvents)
	CategoryWorkflow                      // workflow.* (WorkflowEvents); also log-only orchestration.*
	CategoryObservability                 // observability.* (ObservabilityEvents); also log-only performance.*, exception.*
	CategoryTelemetry                     // tasker.telemetry.* (ExportEvents); also export/cache log entities
	CategoryRegistry                      // handler.*, plugin.*, subscriber.*, registry.* (RegistryEvents)
	CategoryTest                          // TestEvents: test.event, slow.event, custom.event, Test.Event
)

var categoryNames = [...]string{"custom", "task", "step", "workflow", "observability", "telemetry", "registry", "test"}

func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "Category(" + strconv.Itoa(int(c)) + ")"
}

// Entity is the Tasker object an event is about: it tells a receiver which span (the
// task's or a step attempt's) the event belongs to.
type Entity uint8

// Entities.
const (
	EntityNone Entity = iota
	EntityTask
	EntityStep
)

var entityNames = [...]string{"", "task", "step"}

func (e Entity) String() string {
	if int(e) < len(entityNames) {
		return entityNames[e]
	}
	return "Entity(" + strconv.Itoa(int(e)) + ")"
}

// Outcome is the result an event reports.
type Outcome uint8

// Outcomes.
const (
	OutcomeNone Outcome = iota
	OutcomeCompleted
	OutcomeFailed
	OutcomeCancelled
	OutcomeResolvedManually
)

var outcomeNames = [...]string{"", "completed", "failed", "cancelled", "resolved_manually"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Signals is a set of OpenTelemetry signals.
type Signals uint8

// Signals.
const (
	SignalLogs Signals = 1 << iota
	SignalTraces
	SignalMetrics
)

func (s Signals) String() string {
	if s == 0 {
		return "none"
	}
	var b strings.Builder
	for _, x := range [...]struct {
		bit  Signals
		name string
	}{{SignalLogs, "logs"}, {SignalTraces, "traces"}, {SignalMetrics, "metrics"}} {
		if s&x.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(x.name)
		}
	}
	return b.String()
}

// Priority is an EventRouter mapping priority.
type Priority uint8

// Priorities, in Tasker's order (`:low|:normal|:high|:critical`).
const (
	PriorityLow Priority = iota + 1
	PriorityNormal
	PriorityHigh
	PriorityCritical
)

var priorityNames = [...]string{"", "low", "normal", "high", "critical"}

func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "Priority(" + strconv.Itoa(int(p)) + ")"
}

// Info describes one event name.
type Info struct {
	Name     string
	Category Category
	Entity   Entity

	// Known is true for the names in Tasker's catalog (tasker-reference §1), including the
	// registry events and the "future" names of EventRouter's defaults.
	Known bool
	// Registered: Tasker registers the name with its publisher at boot, so it can be
	// published (dry-events rejects others). Published: Tasker's own code publishes it.
	Registered bool
	Published  bool

	// Start marks the start of a task or step execution (the earliest one seen starts
	// the span). Terminal marks the end of a task run or of a step attempt; a failed
	// step or task may still be retried afterwards. Outcome is the result the event
	// reports; it is also set on non-terminal events that end an operation of their own
	// (an export).
	Start    bool
	Terminal bool
	Outcome  Outcome

	// Severity is the default: failed or exception → ERROR; retry, backoff, max retries,
	// re-enqueue failed → WARN; else INFO.
	Severity Severity

	// Signals, Priority and SamplingRate are Tasker's default EventRouter mapping
	// (EventRouter#load_default_mappings): traces and/or metrics for the events it maps.
	// Logs is set for every event, since every accepted event is recorded as a log.
	Signals      Signals
	Priority     Priority
	SamplingRate float64
}

const (
	tm = SignalTraces | SignalMetrics
	tr = SignalTraces
	mx = SignalMetrics
)

// catalog lists every event of tasker-reference §1, in its order. init derives Known,
// Severity, Logs, and the priority and sampling defaults.
var catalog = [...]Info{
	// §1.1 TaskEvents
	{Name: "task.initialize_requested", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Start: true, Signals: tm},
	{Name: "task.start_requested", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Start: true, Signals: tm},
	{Name: "task.completed", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Terminal: true, Outcome: OutcomeCompleted, Signals: tm},
	{Name: "task.failed", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Terminal: true, Outcome: OutcomeFailed, Signals: tm},
	{Name: "task.retry_requested", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true},
	{Name: "task.cancelled", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Terminal: true, Outcome: OutcomeCancelled},
	{Name: "task.resolved_manually", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true, Terminal: true, Outcome: OutcomeResolvedManually},
	{Name: "task.before_transition", Category: CategoryTask, Entity: EntityTask, Registered: true, Published: true},

	// §1.2 StepEvents
	{Name: "step.initialize_requested", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true},
	{Name: "step.execution_requested", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Start: true, Signals: tm},
	{Name: "step.before_handle", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Signals: tr},
	{Name: "step.handle", Category: CategoryStep, Entity: EntityStep, Registered: true},
	{Name: "step.completed", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Terminal: true, Outcome: OutcomeCompleted, Signals: tm},
	{Name: "step.failed", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Terminal: true, Outcome: OutcomeFailed, Signals: tm},
	{Name: "step.retry_requested", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Signals: tm},
	{Name: "step.cancelled", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Terminal: true, Outcome: OutcomeCancelled},
	{Name: "step.resolved_manually", Category: CategoryStep, Entity: EntityStep, Registered: true, Published: true, Terminal: true, Outcome: OutcomeResolvedManually},
	{Name: "step.before_transition", Category: CategoryStep, Entity: EntityStep, Registered: true},

	// §1.3 WorkflowEvents
	{Name: "workflow.task_started", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true, Start: true},
	{Name: "workflow.task_completed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Terminal: true, Outcome: OutcomeCompleted},
	{Name: "workflow.task_failed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Terminal: true, Outcome: OutcomeFailed},
	{Name: "workflow.step_completed", Category: CategoryWorkflow, Entity: EntityStep, Registered: true, Terminal: true, Outcome: OutcomeCompleted},
	{Name: "workflow.step_failed", Category: CategoryWorkflow, Entity: EntityStep, Registered: true, Terminal: true, Outcome: OutcomeFailed},
	{Name: "workflow.viable_steps_discovered", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true, Signals: tm},
	{Name: "workflow.no_viable_steps", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.orchestration_requested", Category: CategoryWorkflow, Entity: EntityTask, Registered: true},
	{Name: "workflow.task_finalization_started", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_finalization_completed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_reenqueue_started", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_reenqueue_requested", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_reenqueue_failed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_reenqueue_delayed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.task_state_unclear", Category: CategoryWorkflow, Entity: EntityTask, Registered: true},
	{Name: "workflow.step_execution_failed", Category: CategoryWorkflow, Entity: EntityStep, Registered: true, Terminal: true, Outcome: OutcomeFailed},
	{Name: "workflow.viable_steps_batch_ready", Category: CategoryWorkflow, Entity: EntityTask, Registered: true},
	{Name: "workflow.steps_execution_started", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},
	{Name: "workflow.steps_execution_completed", Category: CategoryWorkflow, Entity: EntityTask, Registered: true, Published: true},

	// §1.4 ObservabilityEvents
	{Name: "observability.task.handle", Category: CategoryObservability, Entity: EntityTask, Registered: true},
	{Name: "observability.task.enqueue", Category: CategoryObservability, Entity: EntityTask, Registered: true, Published: true, Signals: mx, Priority: PriorityHigh},
	{Name: "observability.task.finalize", Category: CategoryObservability, Entity: EntityTask, Registered: true, Signals: tr},
	{Name: "observability.step.handle", Category: CategoryObservability, Entity: EntityStep, Registered: true, Signals: tr},
	{Name: "observability.step.find_viable", Category: CategoryObservability, Entity: EntityStep, Registered: true, Signals: tr},
	{Name: "observability.step.backoff", Category: CategoryObservability, Entity: EntityStep, Registered: true, Published: true, Signals: tm},
	{Name: "observability.step.skip", Category: CategoryObservability, Entity: EntityStep, Registered: true, Signals: tm},
	{Name: "observability.step.max_retries_reached", Category: CategoryObservability, Entity: EntityStep, Registered: true, Signals: tm, Priority: PriorityHigh},

	// §1.5 ExportEvents
	{Name: "tasker.telemetry.cache_synced", Category: CategoryTelemetry, Registered: true, Published: true},
	{Name: "tasker.telemetry.export_requested", Category: CategoryTelemetry, Registered: true, Published: true},
	{Name: "tasker.telemetry.export_completed", Category: CategoryTelemetry, Registered: true, Published: true, Outcome: OutcomeCompleted},
	{Name: "tasker.telemetry.export_failed", Category: CategoryTelemetry, Registered: true, Published: true, Outcome: OutcomeFailed},
	{Name: "tasker.telemetry.plugin_registered", Category: CategoryTelemetry, Registered: true, Published: true},
	{Name: "tasker.telemetry.plugin_unregistered", Category: CategoryTelemetry, Registered: true, Published: true},

	// §1.6 RegistryEvents: defined, never registered nor published.
	{Name: "handler.registered", Category: CategoryRegistry},
	{Name: "handler.unregistered", Category: CategoryRegistry},
	{Name: "handler.validation_failed", Category: CategoryRegistry},
	{Name: "plugin.registered", Category: CategoryRegistry},
	{Name: "plugin.unregistered", Category: CategoryRegistry},
	{Name: "plugin.validation_failed", Category: CategoryRegistry},
	{Name: "subscriber.registered", Category: CategoryRegistry},
	{Name: "subscriber.unregistered", Category: CategoryRegistry},
	{Name: "subscriber.validation_failed", Category: CategoryRegistry},
	{Name: "registry.sync_requested", Category: CategoryRegistry},
	{Name: "registry.health_check", Category: CategoryRegistry},
	{Name: "registry.stats_collected", Category: CategoryRegistry},
	{Name: "registry.cross_discovery", Category: CategoryRegistry},
	{Name: "registry.coordination_complete", Category: CategoryRegistry},

	// §1.7 TestEvents (registered; published by Tasker's tests only).
	{Name: "test.event", Category: CategoryTest, Registered: true},
	{Name: "slow.event", Category: CategoryTest, Registered: true},
	{Name: "custom.event", Category: CategoryTest, Registered: true},
	{Name: "Test.Event", Category: CategoryTest, Registered: true},

	// EventRouter defaults name these "future" events; nothing defines or publishes them.
	// They would be application (custom) events.
	{Name: "database.query_executed", Category: CategoryCustom, Signals: tm, SamplingRate: 0.1},
	{Name: "dependency.resolved", Category: CategoryCustom, Signals: tr},
	{Name: "batch.step_execution", Category: CategoryCustom, Signals: tm},
	{Name: "memory.spike_detected", Category: CategoryCustom, Signals: mx, Priority: PriorityCritical},
	{Name: "performance.slow_operation", Category: CategoryCustom, Signals: tm, Priority: PriorityHigh},
}

// byName indexes catalog. Lookups with a string key do not allocate.
var byName = func() map[string]*Info {
	m := make(map[string]*Info, len(catalog))
	for i := range catalog {
		in := &catalog[i]
		in.Known = true
		in.Severity = defaultSeverity(in.Name)
		in.Signals |= SignalLogs
		if in.Priority == 0 {
			in.Priority = PriorityNormal
		}
		if in.SamplingRate == 0 {
			in.SamplingRate = 1
		}
		if _, dup := m[in.Name]; dup {
			panic("tasker: duplicate catalog entry " + in.Name)
		}
		m[in.Name] = in
	}
	return m
}()

// Lookup returns what the catalog knows about an event name, in O(1) and without
// allocating. A name the catalog does not know is a custom event, never an error: its
// Info has Known false, the category its first segment implies (`task.` → task, ...,
// else custom), the default severity its name implies (see Info.Severity), Signals
// logs only, normal priority and sampling rate 1.
func Lookup(name string) Info {
	if in, ok := byName[name]; ok {
		return *in
	}
	cat, ent := categoryOf(name)
	return Info{
		Name:         name,
		Category:     cat,
		Entity:       ent,
		Severity:     defaultSeverity(name),
		Signals:      SignalLogs,
		Priority:     PriorityNormal,
		SamplingRate: 1,
	}
}

// Catalog returns every cataloged event, in the order of tasker-reference §1.
func Catalog() []Info {
	out := make([]Info, len(catalog))
	copy(out, catalog[:])
	return out
}

// categoryOf derives the category of an unknown name from its first segment. Besides
// the event prefixes, it knows the `entity_type`s of Tasker's structured logs, whose
// derived names start with them (see ParseLogLine).
func categoryOf(name string) (Category, Entity) {
	seg := name
	if i := strings.IndexByte(name, '.'); i >= 0 {
		seg = name[:i]
	}
	switch seg {
	case "task":
		return CategoryTask, EntityTask
	case "step":
		return CategoryStep, EntityStep
	case "workflow", "orchestration":
		return CategoryWorkflow, EntityNone
	case "observability", "performance", "exception":
		return CategoryObservability, EntityNone
	case "tasker":
		if strings.HasPrefix(name, "tasker.telemetry.") {
			return CategoryTelemetry, EntityNone
		}
	case "telemetry_plugin", "export_plugin", "export_coordination", "export_coordinator", "cache_coordination":
		return CategoryTelemetry, EntityNone
	case "handler", "plugin", "subscriber", "registry":
		return CategoryRegistry, EntityNone
	case "test":
		return CategoryTest, EntityNone
	}
	return CategoryCustom, EntityNone
}

// defaultSeverity is the severity rule of Info.Severity, applied to cataloged and
// unknown names alike.
func defaultSeverity(name string) Severity {
	switch name {
	case "workflow.task_reenqueue_failed":
		return SeverityWarn
	case "workflow.no_viable_steps":
		// Every normal run ends with two of these (viable_step_discovery.rb:31-37,
		// workflow_coordinator.rb): it says the loop is done, not that something is wrong.
		return SeverityInfo
	}
	switch {
	case strings.HasSuffix(name, "failed"), strings.HasSuffix(name, ".error"), strings.Contains(name, "exception"):
		return SeverityError
	case strings.Contains(name, "retry"), strings.Contains(name, "retries"), strings.Contains(name, "backoff"):
		return SeverityWarn
	}
	return SeverityInfo
}
