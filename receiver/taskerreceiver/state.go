// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// The builder's state across restarts. With a `logs.storage` extension, the
// de-duplication window, the steps' attempt states and the open spans' starts are
// saved when the receiver stops and loaded when it starts, next to the file
// checkpoints: a completion whose copies straddle a restart (the handler's
// "Step completed" line read before it, the executor's after) is still one span and one
// count, and an attempt that started before the restart keeps its start. Span events
// of open spans are not kept. After a crash (no clean stop) the state is that of the
// last clean stop.

// stateKey is the storage key of the saved state.
const stateKey = "tasker_receiver.state"

type savedState struct {
	Version int           `json:"v"`
	Dedupe  []savedDedupe `json:"dedupe"`
	Steps   []savedStep   `json:"steps"`
	Open    []savedOpen   `json:"open"`
}

type savedKey struct {
	Dep     string `json:"d,omitempty"`
	Task    string `json:"t"`
	Step    string `json:"s,omitempty"`
	Attempt int64  `json:"a,omitempty"`
}

type savedDedupe struct {
	savedKey
	Outcome uint8 `json:"o,omitempty"`
	Seen    int64 `json:"seen"`
}

type savedStep struct {
	savedKey
	Cur         int64 `json:"cur"`
	Ended       bool  `json:"ended,omitempty"`
	Outcome     uint8 `json:"o,omitempty"`
	Announced   int64 `json:"ann,omitempty"`
	AnnouncedAt int64 `json:"ann_at,omitempty"`
	Touched     int64 `json:"touched"`
}

type savedOpen struct {
	savedKey
	Start      int64  `json:"start,omitempty"`
	FirstSeen  int64  `json:"first,omitempty"`
	ChildStart int64  `json:"cstart,omitempty"`
	ChildEnd   int64  `json:"cend,omitempty"`
	TaskName   string `json:"tn,omitempty"`
	StepName   string `json:"sn,omitempty"`
	Added      int64  `json:"added"`
}

func toSaved(k spanKey) savedKey {
	return savedKey{Dep: k.dep, Task: k.task, Step: k.step, Attempt: k.attempt}
}

func (k savedKey) key() spanKey {
	return spanKey{dep: k.Dep, task: k.Task, step: k.Step, attempt: k.Attempt}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// snapshot encodes the state, oldest entries first.
func (b *builder) snapshot() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := savedState{Version: 1}
	b.dedupe.each(func(k dedupeKey, seen time.Time) {
		st.Dedupe = append(st.Dedupe, savedDedupe{savedKey: toSaved(k.span), Outcome: k.outcome, Seen: seen.UnixNano()})
	})
	b.table.eachStep(func(k spanKey, s *stepState) {
		st.Steps = append(st.Steps, savedStep{savedKey: toSaved(k), Cur: s.cur, Ended: s.ended, Outcome: uint8(s.outcome),
			Announced: s.announced, AnnouncedAt: nanos(s.announcedAt), Touched: s.touched.UnixNano()})
	})
	for s := b.table.order.head; s != nil; s = b.table.order.next(s) {
		st.Open = append(st.Open, savedOpen{savedKey: toSaved(s.key), Start: nanos(s.start), FirstSeen: nanos(s.firstSeen),
			ChildStart: nanos(s.childStart), ChildEnd: nanos(s.childEnd), TaskName: s.taskName, StepName: s.stepName, Added: s.added.UnixNano()})
	}
	return json.Marshal(st)
}

// restore loads a snapshot into an empty builder.
func (b *builder) restore(data []byte) error {
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return err
	}
	if st.Version != 1 {
		return fmt.Errorf("unknown state version %d", st.Version)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range st.Dedupe {
		b.dedupe.seen(dedupeKey{span: d.key(), outcome: d.Outcome}, fromNanos(d.Seen))
	}
	for _, s := range st.Steps {
		ss := b.table.step(s.key(), fromNanos(s.Touched), true)
		ss.cur, ss.ended, ss.outcome = s.Cur, s.Ended, tasker.Outcome(s.Outcome)
		ss.announced, ss.announcedAt = s.Announced, fromNanos(s.AnnouncedAt)
	}
	for _, o := range st.Open {
		s, _ := b.table.open(o.key(), fromNanos(o.Added))
		s.borrowed = false // the strings are the decoded state's
		s.start, s.firstSeen = fromNanos(o.Start), fromNanos(o.FirstSeen)
		s.childStart, s.childEnd = fromNanos(o.ChildStart), fromNanos(o.ChildEnd)
		s.taskName, s.stepName = o.TaskName, o.StepName
	}
	return nil
}

// loadState restores the saved state from client, if there is one.
func (b *builder) loadState(ctx context.Context, client storage.Client) error {
	data, err := client.Get(ctx, stateKey)
	if err != nil || len(data) == 0 {
		return err
	}
	return b.restore(data)
}

// saveState saves the state to client.
func (b *builder) saveState(ctx context.Context, client storage.Client) error {
	data, err := b.snapshot()
	if err != nil {
		return err
	}
	return client.Set(ctx, stateKey, data)
}
