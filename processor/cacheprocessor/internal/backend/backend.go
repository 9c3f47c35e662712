// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package backend defines where the tasker_cache processor keeps its aggregate, and the
// guarantees every store gives: memory (local_only), Redis (distributed_atomic) and
// memcached (distributed_basic). backendtest holds the conformance suite all of them pass.
package backend // import "github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/backend"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Strategy is Tasker's name for what a cache store can do (lib/tasker/cache_strategy.rb).
type Strategy string

const (
	// StrategyLocalOnly: one process's memory; no coordination with other replicas.
	StrategyLocalOnly Strategy = "local_only"
	// StrategyDistributedBasic: shared store, read-merge-write with compare-and-swap.
	StrategyDistributedBasic Strategy = "distributed_basic"
	// StrategyDistributedAtomic: shared store, atomic server-side merges and locks.
	StrategyDistributedAtomic Strategy = "distributed_atomic"
)

// Capabilities are what a backend detected about its store.
type Capabilities struct {
	Distributed     bool `json:"distributed"`
	AtomicIncrement bool `json:"atomic_increment"`
	Locking         bool `json:"locking"`
	TTL             bool `json:"ttl"`
}

// ErrLockLost is returned by lease operations when the lease expired or another owner
// took the lock: the caller must stop exporting under it.
var ErrLockLost = errors.New("export lock lost")

// Lease is a held export lock. Token is a fencing token: it increases with every
// acquisition across all replicas, so a stale holder's writes can be refused.
type Lease interface {
	Token() int64
	// Renew extends the lock to ttl from now; ErrLockLost when it is no longer ours.
	Renew(ctx context.Context, ttl time.Duration) error
	// Release deletes the lock if it is still ours (compare-and-delete).
	Release(ctx context.Context) error
}

// Backend stores the aggregate. All methods are safe for concurrent use.
type Backend interface {
	// Strategy and Capabilities are valid after Start.
	Strategy() Strategy
	Capabilities() Capabilities
	// Start connects and probes the store; an unreachable store is an error.
	Start(ctx context.Context) error
	Close() error

	// Ingester is the ingest path: Begin opens a batch, Commit applies it as Apply does.
	Ingester

	// Apply merges ups (series.Merge rules) atomically — all or none — and idempotently:
	// a batchID applied before (within the retention window) is acknowledged without
	// applying again, so a batch retried after a connection error is not counted twice.
	// An update's Desc, when set, is stored if the series has none. Every touched series
	// expires retention after now (its LastUpdate becomes now; FirstSeen is set once).
	// Updates in one batch may repeat a series; they merge in order. It is the commit of
	// an Ingest batch whose updates are already collected (a replay keeps them, and the
	// admission results the store sets on them: series.Update.Admitted, Overflowed).
	Apply(ctx context.Context, batchID string, ups []series.Update, now time.Time) error

	// Snapshot returns every series not expired at now, with its descriptor. A series
	// whose descriptor was lost is left out and counted in the second result.
	Snapshot(ctx context.Context, now time.Time) ([]series.State, int, error)

	// ExtendTTL makes the given series expire no earlier than until (a failed export
	// extends what it held so nothing expires unexported).
	ExtendTTL(ctx context.Context, ids []series.ID, until time.Time) error

	// Expire removes series whose expiry passed; stores that expire keys themselves may
	// return 0. It returns the number removed.
	Expire(ctx context.Context, now time.Time) (int, error)

	// AcquireLock tries to take the export lock for ttl. ok is false (and err nil) when
	// another owner holds it.
	AcquireLock(ctx context.Context, owner string, ttl time.Duration) (lease Lease, ok bool, err error)

	// LastExported returns the start (Unix nanos) of the last interval exported by any
	// replica, 0 when none.
	LastExported(ctx context.Context) (int64, error)

	// MarkExported records, under lease, that interval was exported with these points
	// (stored as each series' Exported point, for delta output). It refuses (ErrLockLost)
	// when the lease is no longer the current holder. Series missing from the store are
	// skipped.
	MarkExported(ctx context.Context, lease Lease, interval int64, exported []series.State) error

	// MarkReady records in the store that owner has applied every point it acknowledged
	// before interval (Unix ns), as of now: the exporter of an interval waits for every
	// replica's marker (replay before every export, across replicas).
	MarkReady(ctx context.Context, owner string, interval int64, now time.Time) error
	// Replicas returns every replica's marker.
	Replicas(ctx context.Context) (map[string]ReplicaMark, error)
	// ForgetReplica removes owner's marker (clean shutdown, or a replica long gone).
	ForgetReplica(ctx context.Context, owner string) error
}

// ReplicaMark is one replica's readiness marker.
type ReplicaMark struct {
	// Ready: the replica has applied every point it acknowledged before this interval
	// start (Unix ns). Seen: when it wrote the marker (Unix ns, its clock).
	Ready, Seen int64
}

// FormatMark and ParseMark are the markers' text form in the stores: "<ready> <seen>".
func FormatMark(m ReplicaMark) string {
	return strconv.FormatInt(m.Ready, 10) + " " + strconv.FormatInt(m.Seen, 10)
}

// ParseMark parses FormatMark's text.
func ParseMark(s string) (ReplicaMark, error) {
	a, b, ok := strings.Cut(s, " ")
	ready, err1 := strconv.ParseInt(a, 10, 64)
	seen, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return ReplicaMark{}, fmt.Errorf("bad replica marker %q", s)
	}
	return ReplicaMark{Ready: ready, Seen: seen}, nil
}
