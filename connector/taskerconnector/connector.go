// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerconnector

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/connector/taskerconnector/internal/metadata"
)

// spansConnector is one tasker_spans instance: traces → metrics (nextMetrics set) or
// traces → traces (nextTraces set). Each keeps its own state; both read the same spans.
type spansConnector struct {
	cfg         *Config
	source      string
	dep         string // deployment in the ids
	parser      *parser
	version     string
	logger      *zap.Logger
	tel         *metadata.TelemetryBuilder
	nextMetrics consumer.Metrics
	nextTraces  consumer.Traces

	mu       sync.Mutex
	tab      *table
	lastEmit time.Time
	now      func() time.Time
	// ended is what process found of ended task spans, taken by emit.
	ended           []endedTask
	reportedPending int64
	// What the next consumer refused, sent again with the next emission.
	retryMetrics pmetric.Metrics
	retryTraces  ptrace.Traces

	stop chan struct{}
	wg   sync.WaitGroup
}

func newConnector(set component.TelemetrySettings, build component.BuildInfo, cfg *Config) (*spansConnector, error) {
	tel, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	return &spansConnector{
		cfg: cfg, source: cfg.source(), dep: cfg.DeploymentEnvironment, parser: newParser(cfg.ServiceName), version: build.Version,
		logger: set.Logger, tel: tel, tab: newTable(cfg.State), now: time.Now,
	}, nil
}

func (c *spansConnector) Capabilities() consumer.Capabilities {
	// The traces side removes and adds spans in the batch it forwards.
	return consumer.Capabilities{MutatesData: c.nextTraces != nil && c.cfg.Traces.StepSpans != StepSpansOff}
}

// Start runs the clock that releases attempts past name_wait and attempt_timeout
// when no new batch comes.
func (c *spansConnector) Start(context.Context, component.Host) error {
	c.stop = make(chan struct{})
	tick := min(c.cfg.State.NameWait, c.cfg.State.AttemptTimeout) / 2
	tick = max(min(tick, time.Second), 10*time.Millisecond)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.emit(context.Background(), ptrace.Traces{}, func(now time.Time) { c.tab.expire(now) })
			}
		}
	}()
	return nil
}

// Shutdown emits every attempt whose outcome is known (without waiting for names).
func (c *spansConnector) Shutdown(ctx context.Context) error {
	if c.stop != nil {
		close(c.stop)
		c.wg.Wait()
		c.stop = nil
		c.emit(ctx, ptrace.Traces{}, func(time.Time) { c.tab.flushAll() })
	}
	c.tel.Shutdown()
	return nil
}

// recognized is one incoming Tasker span and where it came from.
type recognized struct {
	sp  taskerSpan
	org *origin
}

func (c *spansConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	if c.nextTraces != nil && c.cfg.Traces.StepSpans == StepSpansOff {
		return c.nextTraces.ConsumeTraces(ctx, td)
	}
	var got []recognized
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			if ss.Scope().Name() != c.cfg.ServiceName {
				continue
			}
			var org *origin
			for k := 0; k < ss.Spans().Len(); k++ {
				sp, ok := c.parser.parse(ss.Spans().At(k))
				if !ok {
					continue
				}
				if org == nil {
					org = newOrigin(rs.Resource(), ss.Scope())
				}
				got = append(got, recognized{sp: sp, org: org})
			}
		}
	}
	if len(got) == 0 {
		if c.nextTraces != nil {
			return c.nextTraces.ConsumeTraces(ctx, td)
		}
		return nil
	}
	c.tel.ConnectorTaskerSpansRecognized.Add(ctx, int64(len(got)))
	return c.emit(ctx, td, func(now time.Time) { c.process(got, now) })
}

// process applies a batch's Tasker spans to the table: names first (task spans carry
// them, step spans do not), then the step spans in time order, then the task ends.
// Called with c.mu held.
func (c *spansConnector) process(got []recognized, now time.Time) {
	c.tab.expire(now)
	keepAttrs := c.nextTraces != nil && c.cfg.Traces.StepSpans != StepSpansOff
	for i := range got {
		if sp := &got[i].sp; sp.kind == kindTaskInitialize || sp.kind == kindTaskExecution {
			c.tab.learnName(c.tab.task(sp.taskID, now), sp.taskName)
		}
	}
	steps := make([]*recognized, 0, len(got))
	for i := range got {
		if k := got[i].sp.kind; k == kindStepQueued || k == kindStepExecution {
			steps = append(steps, &got[i])
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].sp.start.Before(steps[j].sp.start) })
	for _, r := range steps {
		c.tab.step(&r.sp, r.org, now, keepAttrs)
	}
	for i := range got {
		sp := &got[i].sp
		if !sp.taskEnded() {
			continue
		}
		ts := c.tab.task(sp.taskID, now)
		if c.tab.taskOutcome(ts, sp.failed) {
			c.ended = append(c.ended, endedTask{sp: *sp, org: got[i].org, ts: ts})
		}
	}
}

// emit runs f on the table under the lock, then sends what became ready: metrics, or
// td (may be nil) with Tasker's consumed spans replaced.
func (c *spansConnector) emit(ctx context.Context, td ptrace.Traces, f func(now time.Time)) error {
	c.mu.Lock()
	now := c.now()
	f(now)
	tasks := c.ended
	c.ended = nil
	ready, expired, evicted, dups := c.tab.take()
	pending := c.tab.pending()
	start := c.lastEmit
	if start.IsZero() {
		start = now
	}
	if len(ready) > 0 || len(tasks) > 0 {
		c.lastEmit = now
	}
	retryM, retryT := c.retryMetrics, c.retryTraces
	c.retryMetrics, c.retryTraces = pmetric.Metrics{}, ptrace.Traces{}
	c.mu.Unlock()

	c.record(ctx, ready, tasks, expired, evicted, dups, pending)
	if c.nextMetrics != nil {
		md := pmetric.NewMetrics()
		if retryM != (pmetric.Metrics{}) {
			retryM.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
		}
		if len(ready) > 0 || len(tasks) > 0 {
			built := c.buildMetrics(ready, tasks, pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(now))
			built.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
		}
		if md.DataPointCount() == 0 {
			return nil
		}
		err := c.nextMetrics.ConsumeMetrics(ctx, md)
		if err != nil && c.keep(ctx, err, md.DataPointCount()) {
			c.mu.Lock()
			c.retryMetrics = md
			c.mu.Unlock()
		}
		return err
	}
	if c.nextTraces == nil {
		return nil
	}
	built := c.build(ready, tasks)
	if retryT != (ptrace.Traces{}) {
		retryT.ResourceSpans().MoveAndAppendTo(built.ResourceSpans())
	}
	out := td
	if out == (ptrace.Traces{}) {
		out = ptrace.NewTraces()
	} else if c.cfg.Traces.StepSpans == StepSpansReplace {
		c.removeConsumed(out)
	}
	if built.SpanCount() > 0 {
		copied := ptrace.NewTraces()
		built.CopyTo(copied)
		copied.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	if out.SpanCount() == 0 && td == (ptrace.Traces{}) {
		return nil
	}
	err := c.nextTraces.ConsumeTraces(ctx, out)
	if err != nil && built.SpanCount() > 0 && c.keep(ctx, err, built.SpanCount()) {
		c.mu.Lock()
		c.retryTraces = built
		c.mu.Unlock()
	}
	return err
}

// keep says whether what the next consumer refused is held for the next emission:
// yes unless the error is permanent or it is more than state.max_attempts items
// (then it is dropped, logged and counted). Tasker's spans that the refusal makes the
// sender resend are absorbed as duplicates, so what is held is sent exactly once.
func (c *spansConnector) keep(ctx context.Context, err error, items int) bool {
	if !consumererror.IsPermanent(err) && items <= c.cfg.State.MaxAttempts {
		return true
	}
	c.tel.ConnectorTaskerSpansExpired.Add(ctx, int64(items), metric.WithAttributes(attribute.String("reason", "refused")))
	c.logger.Error("Next consumer refused the tasker_spans output; dropped", zap.Int("items", items), zap.Error(err))
	return false
}

// endedTask is an ended tasker.task.execution span counted once.
type endedTask struct {
	sp  taskerSpan
	org *origin
	ts  *taskState
}

func (c *spansConnector) record(ctx context.Context, ready []*attempt, tasks []endedTask, expired, evicted, dups int64, pending int) {
	var byOutcome [2]int64
	for _, a := range ready {
		byOutcome[b2i(a.failed)]++
	}
	for i, o := range [...]string{"completed", "failed"} {
		if byOutcome[i] > 0 {
			c.tel.ConnectorTaskerSpansAttempts.Add(ctx, byOutcome[i], metric.WithAttributes(attribute.String("outcome", o)))
		}
	}
	byOutcome = [2]int64{}
	for _, t := range tasks {
		byOutcome[b2i(t.sp.failed)]++
	}
	for i, o := range [...]string{"completed", "failed"} {
		if byOutcome[i] > 0 {
			c.tel.ConnectorTaskerSpansTasks.Add(ctx, byOutcome[i], metric.WithAttributes(attribute.String("outcome", o)))
		}
	}
	if expired > 0 {
		c.tel.ConnectorTaskerSpansExpired.Add(ctx, expired, metric.WithAttributes(attribute.String("reason", "expired")))
		c.logger.Debug("Tasker step attempts given up on: no terminal span within attempt_timeout", zap.Int64("attempts", expired))
	}
	if evicted > 0 {
		c.tel.ConnectorTaskerSpansExpired.Add(ctx, evicted, metric.WithAttributes(attribute.String("reason", "evicted")))
		c.logger.Warn("Tasker step attempts evicted: state.max_attempts reached", zap.Int64("attempts", evicted))
	}
	if dups > 0 {
		c.tel.ConnectorTaskerSpansDuplicates.Add(ctx, dups)
	}
	c.mu.Lock()
	delta := int64(pending) - c.reportedPending
	c.reportedPending = int64(pending)
	c.mu.Unlock()
	if delta != 0 {
		c.tel.ConnectorTaskerSpansPending.Add(ctx, delta)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *spansConnector) buildMetrics(ready []*attempt, tasks []endedTask, start, now pcommon.Timestamp) pmetric.Metrics {
	a := newAgg(c.cfg)
	for _, at := range ready {
		name := at.task.name
		dur := at.end.Sub(at.start).Seconds()
		a.outcome(mStepOutcomes, mStepDuration, at.org, name, at.stepName, outcomeOf(at.failed), max(dur, 0), at.haveStart)
	}
	for _, t := range tasks {
		a.outcome(mTaskOutcomes, mTaskDuration, t.org, t.ts.name, "", outcomeOf(t.sp.failed), t.sp.end.Sub(t.sp.start).Seconds(), true)
	}
	return a.metrics(metadata.ScopeName, c.version, start, now)
}

// newOrigin copies a resource and scope; key identifies them.
func newOrigin(res pcommon.Resource, scope pcommon.InstrumentationScope) *origin {
	o := &origin{resource: pcommon.NewResource(), scope: pcommon.NewInstrumentationScope()}
	res.CopyTo(o.resource)
	scope.CopyTo(o.scope)
	keys := make([]string, 0, res.Attributes().Len())
	res.Attributes().Range(func(k string, v pcommon.Value) bool {
		keys = append(keys, k+"="+v.AsString())
		return true
	})
	slices.Sort(keys)
	o.key = strings.Join(keys, "\x00") + "\x01" + scope.Name() + "\x00" + scope.Version()
	return o
}
