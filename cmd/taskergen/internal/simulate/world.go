// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// world is what the tasks of one simulation share: Tasker's processes and their
// threads. Process 0 is the web process that creates tasks (its request threads);
// processes 1..Workers run TaskRunnerJob (job threads) and steps (the
// concurrent-ruby pool threads of StepExecutor). A thread keeps the correlation id
// it generated on first use for its whole life (structured_logging.rb), so a pool
// thread's id is shared by every step it ever runs. Everything derives from the seed
// alone, so that a task's items do not depend on the other tasks.
type world struct {
	web  []Thread
	jobs [][]Thread // per worker (index worker-1)
	pool [][]Thread
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// correlationID is Tasker's CorrelationIdGenerator format:
// tsk_<epoch milliseconds in base 36>_<6 alphanumerics>.
func correlationID(rng *rand.Rand, t time.Time) string {
	var c [6]byte
	for i := range c {
		c[i] = alnum[rng.IntN(len(alnum))]
	}
	return "tsk_" + strconv.FormatInt(t.UnixMilli(), 36) + "_" + string(c[:])
}

func newWorld(o *Options) *world {
	rng := rand.New(rand.NewPCG(o.Seed, 0x7e4ead5))
	boot := o.Start.Add(-time.Duration(30+rng.IntN(600)) * time.Second) // processes booted earlier
	threads := func(n int) []Thread {
		out := make([]Thread, n)
		for i := range out {
			// Ruby object ids of threads: small multiples of 8, shown as hex.
			out[i] = Thread{
				ID:   strconv.FormatUint(0x1f40+uint64(rng.IntN(1<<14))*8, 16),
				Corr: correlationID(rng, boot.Add(time.Duration(rng.IntN(20000))*time.Millisecond)),
			}
		}
		return out
	}
	w := &world{web: threads(3)}
	for range o.Workers {
		w.jobs = append(w.jobs, threads(2))
		w.pool = append(w.pool, threads(o.PoolThreads))
	}
	return w
}
