// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package backend

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tasker-systems/otelcol-tasker/processor/cacheprocessor/internal/series"
)

// Memory is the local_only backend: a map under a mutex. Expired series are removed by
// Expire (the processor sweeps every interval).
type Memory struct {
	retention time.Duration

	mu       sync.Mutex
	series   map[series.ID]*entry
	batches  map[string]int64 // batch id → expiry (Unix nanos)
	lastExp  int64
	token    int64
	lockHeld string
	lockExp  int64
	tx       Tx // the open batch, while mu is held (Begin to Commit)
}

type entry struct {
	state  series.State
	expiry int64
}

// NewMemory returns a memory backend whose series expire retention after their last update.
func NewMemory(retention time.Duration) *Memory {
	return &Memory{retention: retention, series: map[series.ID]*entry{}, batches: map[string]int64{}}
}

func (m *Memory) Strategy() Strategy          { return StrategyLocalOnly }
func (m *Memory) Capabilities() Capabilities  { return Capabilities{TTL: true, Locking: true} }
func (m *Memory) Start(context.Context) error { return nil }
func (m *Memory) Close() error                { return nil }
func (m *Memory) Len() int                    { m.mu.Lock(); defer m.mu.Unlock(); return len(m.series) }
func (m *Memory) LastExported(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastExp, nil
}

// Apply merges ups under one lock acquisition, through the Batch that Begin opens.
func (m *Memory) Apply(ctx context.Context, batchID string, ups []series.Update, now time.Time) error {
	tx := m.begin(batchID, now)
	for i := range ups {
		_ = tx.Add(&ups[i], nil) // without a Describer, Add cannot fail
	}
	return tx.Commit(ctx)
}

// Has reports whether the series exists with its descriptor.
func (m *Memory) Has(id series.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.series[id]
	return e != nil && e.state.Described()
}

func (m *Memory) Snapshot(_ context.Context, now time.Time) ([]series.State, int, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]series.State, 0, len(m.series))
	missing := 0
	for _, e := range m.series {
		if e.expiry <= n {
			continue
		}
		if !e.state.Described() {
			missing++
			continue
		}
		s := e.state
		s.Point = e.state.Point.Clone()
		if e.state.Exported != nil {
			p := e.state.Exported.Clone()
			s.Exported = &p
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b series.State) int { return cmp.Compare(a.ID, b.ID) })
	return out, missing, nil
}

func (m *Memory) ExtendTTL(_ context.Context, ids []series.ID, until time.Time) error {
	u := until.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if e := m.series[id]; e != nil && e.expiry < u {
			e.expiry = u
		}
	}
	return nil
}

func (m *Memory) Expire(_ context.Context, now time.Time) (int, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	removed := 0
	for id, e := range m.series {
		if e.expiry <= n {
			delete(m.series, id)
			removed++
		}
	}
	for id, exp := range m.batches {
		if exp <= n {
			delete(m.batches, id)
		}
	}
	return removed, nil
}

type memLease struct {
	m     *Memory
	owner string
	token int64
}

func (l *memLease) Token() int64 { return l.token }

func (l *memLease) Renew(_ context.Context, ttl time.Duration) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.m.lockHeld != l.key() || l.m.lockExp <= time.Now().UnixNano() {
		return ErrLockLost
	}
	l.m.lockExp = time.Now().Add(ttl).UnixNano()
	return nil
}

func (l *memLease) Release(context.Context) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.m.lockHeld == l.key() {
		l.m.lockHeld = ""
	}
	return nil
}

func (l *memLease) key() string { return l.owner + ":" + itoa(l.token) }

func (m *Memory) AcquireLock(_ context.Context, owner string, ttl time.Duration) (Lease, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now().UnixNano()
	if m.lockHeld != "" && m.lockExp > now {
		return nil, false, nil
	}
	m.token++
	l := &memLease{m: m, owner: owner, token: m.token}
	m.lockHeld, m.lockExp = l.key(), now+int64(ttl)
	return l, true, nil
}

func (m *Memory) MarkExported(_ context.Context, lease Lease, interval int64, exported []series.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := lease.(*memLease)
	if !ok || m.lockHeld != l.key() {
		return ErrLockLost
	}
	if interval > m.lastExp {
		m.lastExp = interval
	}
	for i := range exported {
		if e := m.series[exported[i].ID]; e != nil {
			p := exported[i].Point.Clone()
			e.state.Exported = &p
		}
	}
	return nil
}

func itoa(v int64) string {
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Tx is the memory backend's Batch: merges in place under the store's lock, held from
// Begin to Commit (the processor's hot path: no update slice, descriptors kept as pdata
// and built only for new series).
type Tx struct {
	m      *Memory
	now    int64
	expiry int64
	skip   bool // the batch id was committed before: what is added is dropped
}

// Begin locks the store and opens a batch on it; Commit unlocks it.
func (m *Memory) Begin(batchID string, now time.Time) Batch { return m.begin(batchID, now) }

func (m *Memory) begin(batchID string, now time.Time) *Tx {
	n := now.UnixNano()
	m.mu.Lock()
	m.tx = Tx{m: m, now: n, expiry: n + int64(m.retention)}
	if batchID != "" {
		if exp, seen := m.batches[batchID]; seen && exp > n {
			m.tx.skip = true
		} else {
			m.batches[batchID] = m.tx.expiry
		}
	}
	return &m.tx
}

// Admits reports whether the series is held (with its descriptor) or there is room
// for one more under maxSeries.
func (tx *Tx) Admits(id series.ID, maxSeries int) bool {
	if maxSeries <= 0 || len(tx.m.series) < maxSeries {
		return true
	}
	e := tx.m.series[id]
	return e != nil && e.state.Described()
}

// Len is the number of series held.
func (tx *Tx) Len() int { return len(tx.m.series) }

// Grow does nothing: the batch keeps no update.
func (tx *Tx) Grow(int) {}

// Add merges u in place (its slices are not kept). A series without descriptor takes
// u.Desc, or else the template d returns, kept as pdata (never encoded). It returns
// d's error, in which case nothing was merged.
func (tx *Tx) Add(u *series.Update, d Describer) error {
	if tx.skip {
		return nil
	}
	e := tx.m.series[u.ID]
	if e == nil || !e.state.Described() {
		if u.Desc == nil && d != nil {
			t, err := d.Template()
			if err != nil {
				return err
			}
			tx.merge(e, u, nil, t)
			return nil
		}
		tx.merge(e, u, u.Desc, nil)
		return nil
	}
	tx.merge(e, u, nil, nil)
	return nil
}

// Commit ends the batch and unlocks the store; what was added is merged already.
func (tx *Tx) Commit(context.Context) error {
	m := tx.m
	m.tx = Tx{}
	m.mu.Unlock()
	return nil
}

// merge merges u into e (nil: a new series), giving a new (or undescribed) series the
// descriptor desc or tmpl.
func (tx *Tx) merge(e *entry, u *series.Update, desc []byte, tmpl *series.Template) {
	if e == nil {
		e = &entry{state: series.State{ID: u.ID, Kind: u.Kind, FirstSeen: tx.now}}
		tx.m.series[u.ID] = e
	}
	if !e.state.Described() {
		e.state.Desc, e.state.Tmpl = desc, tmpl
	}
	series.Merge(u.Kind, &e.state.Point, &u.Point)
	e.state.LastUpdate = tx.now
	if e.expiry < tx.expiry {
		e.expiry = tx.expiry
	}
}

// SavedState is the memory backend's state as snapshotted to a storage extension.
type SavedState struct {
	Series       []SavedSeries `json:"series"`
	LastExported int64         `json:"last_exported"`
}

// SavedSeries is one series with its expiry.
type SavedSeries struct {
	State  series.State `json:"state"`
	Expiry int64        `json:"expiry"`
}

// Save returns the whole state.
func (m *Memory) Save() SavedState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := SavedState{LastExported: m.lastExp, Series: make([]SavedSeries, 0, len(m.series))}
	for _, e := range m.series {
		s := e.state
		s.Point = e.state.Point.Clone()
		if e.state.Exported != nil {
			p := e.state.Exported.Clone()
			s.Exported = &p
		}
		if s.Desc == nil && s.Tmpl != nil {
			if d, err := s.Tmpl.Encode(); err == nil {
				s.Desc = d
			}
		}
		s.Tmpl = nil
		out.Series = append(out.Series, SavedSeries{State: s, Expiry: e.expiry})
	}
	return out
}

// Restore loads a saved state, skipping series already expired at now.
func (m *Memory) Restore(s SavedState, now time.Time) int {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastExp = max(m.lastExp, s.LastExported)
	restored := 0
	for _, ss := range s.Series {
		if ss.Expiry <= n {
			continue
		}
		st := ss.State
		m.series[st.ID] = &entry{state: st, expiry: ss.Expiry}
		restored++
	}
	return restored
}

// MarkReady, Replicas and ForgetReplica: a memory aggregate has one replica, which
// never waits for another.
func (m *Memory) MarkReady(context.Context, string, int64, time.Time) error { return nil }

// Replicas returns none (see MarkReady).
func (m *Memory) Replicas(context.Context) (map[string]ReplicaMark, error) { return nil, nil }

// ForgetReplica does nothing (see MarkReady).
func (m *Memory) ForgetReplica(context.Context, string) error { return nil }
