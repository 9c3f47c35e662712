// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package redisbackend

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tasker-systems/otelcol-tasker/internal/testserver/redistest"
	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

func spread(n int, v int64, now time.Time) []series.Update {
	ups := make([]series.Update, n)
	for i := range ups {
		ups[i] = sumUpdate(series.ID(i%64), v, now)
	}
	return ups
}

func total(t *testing.T, b *Backend, now time.Time) int64 {
	t.Helper()
	states, missing, err := b.Snapshot(context.Background(), now)
	require.NoError(t, err)
	require.Zero(t, missing)
	var sum int64
	for _, s := range states {
		sum += s.Point.Int
	}
	return sum
}

// TestRoundTrips: one Apply of 1,000 updates over 16 shards is one pipeline.
func TestRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour)
	hook := &countHook{}
	b.Client().AddHook(hook)
	ups := make([]series.Update, 1000)
	for i := range ups {
		ups[i] = sumUpdate(series.ID(i*7919), 1, t0)
	}
	require.NoError(t, b.Apply(context.Background(), "rt", ups, t0))
	assert.Equal(t, int64(1), hook.pipelines.Load(), "one pipeline")
	assert.Equal(t, int64(0), hook.cmds.Load(), "no other command")
	assert.Equal(t, int64(1000), total(t, b, t0))
}

func TestFaultServerDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) {
		c.DialTimeout, c.ReadTimeout, c.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	})
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", spread(100, 1, t0), t0))

	srv.Stop()
	start := time.Now()
	err := b.Apply(ctx, "2", spread(100, 1, t0), t0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "apply")
	assert.Less(t, time.Since(start), 5*time.Second, "fails within the timeouts, does not hang")
	t.Logf("apply failed after %s: %v", time.Since(start), err)
	start = time.Now()
	_, _, err = b.Snapshot(ctx, t0)
	require.Error(t, err)
	t.Logf("snapshot failed after %s", time.Since(start))
	start = time.Now()
	_, _, err = b.AcquireLock(ctx, "a", time.Second)
	require.Error(t, err)
	t.Logf("lock failed after %s", time.Since(start))

	srv.Restart() // empty, and without our scripts: NOSCRIPT → EVAL
	require.NoError(t, b.Apply(ctx, "3", spread(100, 1, t0), t0))
	// The batch applied before a lost reply, retried: not counted twice.
	require.NoError(t, b.Apply(ctx, "3", spread(100, 1, t0), t0))
	assert.Equal(t, int64(100), total(t, b, t0))
}

// dropProxy forwards TCP to target; while drop > 0 it swallows the next reply chunk
// and closes the connection: the command ran, the client never hears back.
type dropProxy struct {
	l      net.Listener
	target string
	drop   atomic.Int32
	wg     sync.WaitGroup
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &dropProxy{l: l, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.serve(c) }()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); p.wg.Wait() })
	return p
}

func (p *dropProxy) serve(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if p.drop.Load() > 0 && p.drop.Add(-1) >= 0 {
				break
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = c.Close()
	_ = s.Close()
}

// TestFaultLostReply: the server applies a batch but the reply is lost; go-redis retries
// the pipeline on a new connection (or the caller retries the batch): nothing is counted
// twice.
func TestFaultLostReply(t *testing.T) {
	srv := redistest.Start(t)
	proxy := startDropProxy(t, srv.Addr)
	b := newBackend(t, []string{proxy.l.Addr().String()}, time.Hour)
	ctx := context.Background()
	var retried atomic.Int32
	for i := range 5 {
		proxy.drop.Store(1)
		err := b.Apply(ctx, fmt.Sprintf("lost-%d", i), spread(200, 1, t0), t0)
		require.LessOrEqual(t, proxy.drop.Load(), int32(0), "a reply was dropped")
		if err != nil { // the client gave up: the caller retries the batch
			require.NoError(t, b.Apply(ctx, fmt.Sprintf("lost-%d", i), spread(200, 1, t0), t0))
		} else {
			retried.Add(1)
		}
	}
	t.Logf("go-redis retried the pipeline itself %d times of 5", retried.Load())
	proxy.drop.Store(0)
	assert.Equal(t, int64(5*200), total(t, b, t0))
}

// TestLockContention: three replicas (three clients) race for the export lock; never
// two holders at once, fencing tokens strictly increasing.
func TestLockContention(t *testing.T) {
	srv := redistest.Start(t)
	prefix := newPrefix()
	var replicas []*Backend
	for range 3 {
		replicas = append(replicas, newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) { c.KeyPrefix = prefix }))
	}
	ctx := context.Background()
	var (
		holders, maxHolders atomic.Int32
		mu                  sync.Mutex
		tokens              []int64
		wg                  sync.WaitGroup
		errs                = make(chan error, 3)
	)
	for r, b := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				l, ok, err := b.AcquireLock(ctx, fmt.Sprintf("replica-%d", r), 5*time.Second)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					time.Sleep(200 * time.Microsecond)
					continue
				}
				h := holders.Add(1)
				for m := maxHolders.Load(); h > m && !maxHolders.CompareAndSwap(m, h); m = maxHolders.Load() {
				}
				mu.Lock()
				tokens = append(tokens, l.Token())
				mu.Unlock()
				time.Sleep(300 * time.Microsecond)
				holders.Add(-1)
				if err := l.Release(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), maxHolders.Load(), "never two holders at once")
	require.NotEmpty(t, tokens)
	for i := 1; i < len(tokens); i++ {
		require.Greater(t, tokens[i], tokens[i-1], "tokens strictly increase: %v", tokens)
	}
	t.Logf("%d acquisitions of 150 attempts", len(tokens))
}

// TestFaultServerStalls: a server that stops answering (CLIENT PAUSE) fails calls at the
// read timeout or the caller's deadline; the batch retried afterwards counts once, even
// if the stalled attempt ran when the pause ended.
func TestFaultServerStalls(t *testing.T) {
	srv := redistest.Start(t)
	b := newBackend(t, []string{srv.Addr}, time.Hour, func(c *Config) {
		c.ReadTimeout = 300 * time.Millisecond
	})
	ctx := context.Background()
	require.NoError(t, b.Apply(ctx, "1", spread(64, 1, t0), t0))
	_, err := srv.Do("CLIENT", "PAUSE", "1500", "ALL")
	require.NoError(t, err)
	cctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = b.Apply(cctx, "2", spread(64, 1, t0), t0)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 1200*time.Millisecond)
	time.Sleep(time.Until(start.Add(1600 * time.Millisecond)))
	require.NoError(t, b.Apply(ctx, "2", spread(64, 1, t0), t0))
	assert.Equal(t, int64(128), total(t, b, t0))
}
