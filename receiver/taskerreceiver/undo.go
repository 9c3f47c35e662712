// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

// undoLog is what building a batch took from the builder's state: the completions it
// entered in the de-duplication window, the open spans it ended, the thin task ends
// it started holding, and the held ones it took or released (taskend.go). When the
// pipeline refuses the batch and the sender is told to retry (HTTP 503), undo gives
// them back, so that the retried completions end their spans again instead of being
// dropped as duplicates of spans that were never written, and a thin task end of an
// earlier request released into the refused batch is released again later.
type undoLog struct {
	completions []dedupeKey
	ended       []*openSpan
	held        []*completion
	taken       []waiting
}

// undo returns what out took: its completions leave the de-duplication window, the
// spans it ended are open again (unless the key was opened anew since), the thin ends
// it held are forgotten and those it took are held again. Retrying then gives the
// same spans (a span the pipeline did write in part, e.g. to one of two exporters, is
// written again there: at-least-once). Only the HTTP input undoes: the log input
// retries the batch it built until it is taken.
func (b *builder) undo(out *batch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range out.undo.completions {
		b.dedupe.forget(k)
	}
	for _, s := range out.undo.ended {
		b.ownEntry(s) // it pointed into the request (spanevent.go)
		b.table.reopen(s)
	}
	for i := range out.undo.taken {
		w := out.undo.taken[i]
		if b.waiting == nil {
			b.waiting = map[dedupeKey]*waiting{}
		}
		if b.waiting[w.c.key] == nil {
			b.waiting[w.c.key] = &w
		}
	}
	// after taken: a thin end held and taken in this very call is not held again
	for _, c := range out.undo.held {
		if w := b.waiting[c.key]; w != nil && w.c == c {
			delete(b.waiting, c.key)
		}
	}
	out.undo = undoLog{}
}

// reopen puts an ended entry back, unless its key is open again. It may exceed
// max_open briefly; the next open evicts.
func (t *startTable) reopen(s *openSpan) {
	if t.m[s.key] != nil {
		return
	}
	t.order.pushBack(s)
	t.m[s.key] = s
}
