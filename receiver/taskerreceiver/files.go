// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/operator"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/internal/storageclient"
	"github.com/tasker-systems/otelcol-tasker/internal/tasker"
)

// fileInput tails Tasker's log files with the stanza fileconsumer.
type fileInput struct {
	manager *fileconsumer.Manager
	client  storage.Client
}

// persisterScope is the key prefix of the fileconsumer's checkpoints in the storage.
const persisterScope = "tasker_logs"

func (r *taskerReceiver) startFiles(ctx context.Context, host component.Host) error {
	lc := r.cfg.Logs.Get()
	client, err := storageclient.Get(ctx, host, lc.Storage, component.KindReceiver, r.set.ID)
	if err != nil {
		return fmt.Errorf("tasker: logs: %w", err)
	}
	var opts []fileconsumer.Option
	if lc.JoinContinuations && lc.SplitConfig.LineStartPattern == "" && lc.SplitConfig.LineEndPattern == "" && joinableEncoding(lc.Encoding) {
		opts = append(opts, fileconsumer.WithSplitFunc(joinSplit))
	}
	persister := &heldPersister{Persister: client}
	fc := lc.Config
	raw := rawUTF8(&fc)
	if raw {
		fc.Encoding = "utf-8-raw" // the lines are checked in emit (utf8raw.go)
	}
	emit := func(ctx context.Context, tokens [][]byte, attrs map[string]any, n int64, offsets []int64) error {
		if raw {
			tokens = validTokens(tokens)
		}
		err := r.emitLines(ctx, tokens, attrs, n, offsets)
		if err != nil && ctx.Err() != nil {
			persister.hold() // stopped with the batch unwritten: keep the last checkpoint
		}
		return err
	}
	m, err := fc.Build(r.set.TelemetrySettings, emit, opts...)
	if err != nil {
		_ = client.Close(ctx)
		return fmt.Errorf("tasker: logs: %w", err)
	}
	if err := r.b.loadState(ctx, client); err != nil {
		// A state that does not load costs de-duplication across the restart, not data.
		r.set.Logger.Warn("tasker: saved state not loaded", zap.Error(err))
	}
	if err := m.Start(operator.NewScopedPersister(persisterScope, persister)); err != nil {
		_ = client.Close(ctx)
		return fmt.Errorf("tasker: logs: %w", err)
	}
	r.files = &fileInput{manager: m, client: client}
	return nil
}

func (r *taskerReceiver) stopFiles() error {
	if r.files == nil {
		return nil
	}
	err := r.files.manager.Stop()
	if serr := r.b.saveState(context.Background(), r.files.client); serr != nil {
		r.set.Logger.Warn("tasker: state not saved", zap.Error(serr))
	}
	if cerr := r.files.client.Close(context.Background()); cerr != nil && err == nil {
		err = cerr
	}
	r.files = nil
	return err
}

// emitLines is the fileconsumer callback: every line (or multiline token) becomes an
// event, or a plain log record. The fileconsumer moves its offset past the tokens
// whatever the callback returns, so a refused batch is retried here (retry_on_failure)
// until the pipeline takes it, the retry budget is spent, or the receiver stops (then
// the checkpoints are held, see heldPersister).
func (r *taskerReceiver) emitLines(ctx context.Context, tokens [][]byte, attrs map[string]any, _ int64, _ []int64) error {
	out := r.b.buildLines(tokens, attrs)
	r.record(ctx, inputLogs, out.stats, out.rejected)
	retry := r.cfg.Logs.Get().RetryOnFailure
	wait, start := retry.InitialInterval, time.Now()
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	for {
		// Not cancelled with the tail: at shutdown the pipeline still runs (receivers
		// stop first), so a batch read before the stop is written and checkpointed.
		err := r.consume(context.WithoutCancel(ctx), inputLogs, out)
		if err == nil {
			return nil
		}
		giveUp := consumererror.IsPermanent(err) || !retry.Enabled ||
			(retry.MaxElapsedTime > 0 && time.Since(start)+wait > retry.MaxElapsedTime)
		if giveUp {
			r.tel.ReceiverTaskerEventsDropped.Add(ctx, int64(len(tokens)), inputOption(inputLogs))
			r.set.Logger.Error("tasker: pipeline refused log lines; dropped", zap.Error(err),
				zap.Int("lines", len(tokens)), zap.Bool("permanent", consumererror.IsPermanent(err)))
			return err
		}
		r.set.Logger.Warn("tasker: pipeline refused log lines, retrying", zap.Error(err), zap.Duration("wait", wait))
		select {
		case <-ctx.Done():
			r.tel.ReceiverTaskerEventsDropped.Add(context.WithoutCancel(ctx), int64(len(tokens)), inputOption(inputLogs))
			r.set.Logger.Error("tasker: stopped while the pipeline refused log lines; dropped", zap.Int("lines", len(tokens)))
			return err
		case <-time.After(jitter(wait, retry.RandomizationFactor)):
		}
		wait = min(time.Duration(float64(wait)*max(retry.Multiplier, 1)), max(retry.MaxInterval, retry.InitialInterval))
	}
}

// jitter spreads d by ± factor (randomization_factor).
func jitter(d time.Duration, factor float64) time.Duration {
	if factor <= 0 || d <= 0 {
		return d
	}
	delta := factor * float64(d)
	return time.Duration(float64(d) - delta + rand.Float64()*2*delta)
}

// buildLines parses log lines and builds their signals in one pass. The tokens are
// handed over: the batch's strings point into them, so they must never be modified
// afterwards. The fileconsumer decodes every token into new memory it does not touch
// again (TestFileconsumerTokensKept).
func (b *builder) buildLines(tokens [][]byte, attrs map[string]any) *batch {
	out := b.newBatch("", false, len(tokens))
	p := parserPool.Get().(*tasker.Parser)
	defer parserPool.Put(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowFunc()
	out.stats.evictions += int64(b.table.expire(now))
	b.releaseWaiting(out, now, false)
	for _, tok := range tokens {
		if len(bytes.TrimSpace(tok)) == 0 {
			continue
		}
		ev, ok, err := p.ParseLogLineOwned(tok)
		if ok && err == nil {
			b.add(out, &ev, now)
			continue
		}
		if err != nil {
			out.rejected++
		}
		b.addPlain(out, &ev, string(tok), err, attrs, now)
	}
	b.finish(out, now)
	return out
}
