// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"container/list"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// errShutdown is returned by Write after Shutdown.
var errShutdown = errors.New("tasker output: write after shutdown")

// Output is the set of files one exporter writes for one signal. It is safe for
// concurrent use; writes to the same group are serialized.
//
// Details of the implementation that callers may rely on:
//   - Files are opened with mode 0o644, directories created with 0o755. A missing
//     directory below the group_by base directory is always created.
//   - Outputs of the process that resolve to the same absolute file (or both to
//     stdout) share one stream: one buffer, one lock, closed by the last Shutdown.
//   - The size limit of a compressed file counts compressed bytes; the compressed size
//     of the next write is estimated from the file's ratio so far, so a file may end
//     up slightly larger than the limit.
//   - A failed Write is cut off the file before it returns (an uncompressed file is
//     truncated back to where that Write began; a compressed file, whose member/frame
//     is then incomplete, is moved aside under a backup name); when the cut fails, it is
//     tried again before the next Write, which fails until it succeeds.
//   - A file opened with content this process did not write is first cut back to its
//     last complete record (see Framing).
//   - Group values are sanitised with SanitizeGroup.
type Output struct {
	logger *zap.Logger

	mode      Mode
	comp      Compression
	compExt   string // "", ".gz" or ".zst"
	ext       string // file extension without the dot
	path      string // expanded path: append: the file (with compExt); per_export: the directory; may hold {group}
	stdout    bool
	grouped   bool
	baseDir   string // grouped: the directory above {group}
	baseAbs   string // absolute baseDir
	prefix    string // per_export file name prefix
	instance  string // per_export instance name
	missing   string // group used for ""
	maxOpen   int
	maxBytes  int64 // rotation size limit; 0: none
	rotation  *RotationConfig
	interval  time.Duration // fsync period (with fsync); 0: fsync at every Write
	fsync     bool
	createDir bool
	framing   Framing
	hooks     Hooks

	mu      sync.Mutex
	handles map[string]*handle // by group as given to Write ("" when not grouped)
	lru     list.List          // of *handle, most recently used first
	started bool
	closed  bool
	stop    chan struct{}
	done    chan struct{}

	seq atomic.Uint64 // per_export sequence

	writes       atomic.Int64
	bytes        atomic.Int64
	failures     atomic.Int64
	tornRepairs  atomic.Int64
	filesCreated atomic.Int64
	rotations    atomic.Int64
	openFiles    atomic.Int64

	// beforePublish, when set (tests), runs in per_export mode after the temp file
	// is complete and before it is renamed; an error aborts the write.
	beforePublish func(tmp string) error
}

// handle is an Output's reference to a shared stream.
type handle struct {
	group string
	s     *stream
	elem  *list.Element
	// pins counts users (a Write, a Flush) that must not see the stream closed by
	// LRU eviction. Incremented only under Output.mu.
	pins atomic.Int32
}

// NewOutput prepares an Output for signal ("metrics", "logs", "traces"); ext is the
// file extension without the dot ("json", "csv"). Nothing is opened until Start.
// {signal} in cfg.Path and cfg.Prefix is replaced by signal.
func NewOutput(cfg Config, signal, ext string, logger *zap.Logger) (*Output, error) {
	if err := cfg.ValidateOutput(); err != nil {
		return nil, fmt.Errorf("invalid tasker output configuration: %w", err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	o := &Output{
		logger:    logger,
		mode:      cfg.Mode,
		comp:      cfg.Compression,
		ext:       strings.TrimPrefix(ext, "."),
		interval:  cfg.FlushInterval,
		fsync:     cfg.Fsync,
		createDir: cfg.CreateDirectory,
		handles:   make(map[string]*handle),
	}
	if o.mode == "" {
		o.mode = ModeAppend
	}
	if o.comp == "" {
		o.comp = CompressionNone
	}
	switch o.comp {
	case CompressionGzip:
		o.compExt = ".gz"
	case CompressionZstd:
		o.compExt = ".zst"
	}
	if cfg.Rotation != nil {
		r := *cfg.Rotation
		o.rotation = &r
		o.maxBytes = int64(r.MaxMegabytes) << 20
	}
	o.path = strings.ReplaceAll(cfg.Path, SignalPlaceholder, signal)
	o.stdout = o.path == Stdout
	if o.mode == ModeAppend && !o.stdout && o.compExt != "" && !strings.HasSuffix(o.path, o.compExt) {
		o.path += o.compExt
	}
	o.prefix = cfg.Prefix
	if o.prefix == "" {
		o.prefix = DefaultPrefix
	}
	o.prefix = strings.ReplaceAll(o.prefix, SignalPlaceholder, signal)
	o.instance = cfg.Instance
	if o.instance == "" {
		o.instance = defaultInstance()
	}
	if cfg.GroupBy != nil && !o.stdout {
		o.grouped = true
		o.maxOpen = cfg.GroupBy.MaxOpenFiles
		if o.maxOpen <= 0 {
			o.maxOpen = DefaultMaxOpenFiles
		}
		o.missing = cfg.GroupBy.MissingValue
		if o.missing == "" {
			o.missing = DefaultMissingValue
		}
		i := strings.Index(o.path, GroupPlaceholder)
		o.baseDir = filepath.Dir(o.path[:i] + "x")
		abs, err := filepath.Abs(o.baseDir)
		if err != nil {
			return nil, fmt.Errorf("tasker output %q: %w", o.path, err)
		}
		o.baseAbs = abs
	}
	return o, nil
}

// defaultInstance is "<hostname>-<pid>", sanitised for file names.
func defaultInstance() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown"
	}
	return sanitizeChars(h + "-" + itoa(int64(os.Getpid())))
}

// Write writes data to group's stream (group is "" unless group_by is set; the value
// is sanitised so it cannot leave the directory).
//
// header, when not nil, is the first thing of every new file (CSV header lines). In
// append mode, when the current file was started with a different header (including
// a file left by an earlier run whose first bytes differ), the file is rotated first,
// so a file's rows always match its header. In per_export mode each call writes one
// complete file: header then data, atomically (temp name, rename).
//
// When Write returns nil the data has been handed to the OS (write(2) returned; with
// Fsync and FlushInterval 0 also fsynced): an exporter may acknowledge it. An error
// means the data was not written (any part of it that reached the file is cut off
// before the next write) and can be retried; the failure is counted, logged with the
// count and reported to Hooks.WriteFailed.
func (o *Output) Write(group string, header, data []byte) error {
	if header == nil && len(data) == 0 {
		o.writes.Add(1)
		return nil
	}
	var err error
	if o.mode == ModePerExport {
		err = o.writePerExport(group, header, data)
	} else {
		err = o.writeAppend(group, header, data)
	}
	if err != nil {
		if err != errShutdown {
			n := o.failures.Add(1)
			o.logger.Warn("Write to a tasker output failed; the export is kept for retry",
				zap.String("path", o.path), zap.Int("bytes", len(header)+len(data)),
				zap.Int64("failures", n), zap.Error(err))
			if o.hooks.WriteFailed != nil {
				o.hooks.WriteFailed()
			}
		}
		return err
	}
	o.writes.Add(1)
	o.bytes.Add(int64(len(header) + len(data)))
	return nil
}

func (o *Output) writeAppend(group string, header, data []byte) error {
	h, err := o.acquire(group)
	if err != nil {
		return err
	}
	s := h.s
	s.mu.Lock()
	err = s.write(o, header, data)
	if err != nil && s.broken {
		// Cut the partial write off now, so no reader (and no crash) sees it; when
		// that fails the stream stays broken and the next Write tries again first.
		if rerr := s.recover(o, true); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	s.mu.Unlock()
	h.pins.Add(-1)
	if err != nil && err != errShutdown {
		return fmt.Errorf("tasker output %q: %w", s.path, err)
	}
	return err
}

// acquire returns group's handle, pinned; the caller unpins it with h.pins.Add(-1).
func (o *Output) acquire(group string) (*handle, error) {
	if !o.grouped {
		group = ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, errShutdown
	}
	if h := o.handles[group]; h != nil {
		if o.grouped {
			o.lru.MoveToFront(h.elem)
		}
		h.pins.Add(1)
		return h, nil
	}
	path, key := o.path, Stdout
	if o.grouped {
		_, abs, err := o.groupPath(group)
		if err != nil {
			return nil, err
		}
		path, key = abs, abs
	} else if !o.stdout {
		abs, err := filepath.Abs(o.path)
		if err != nil {
			return nil, fmt.Errorf("tasker output %q: %w", o.path, err)
		}
		path, key = abs, abs
	}
	// Make room: handles in use by a Write or Flush are skipped, so the bound may be
	// exceeded briefly when every open file is busy.
	for o.grouped && len(o.handles) >= o.maxOpen {
		if !o.evictOne() {
			break
		}
	}
	s := reg.acquire(key, func() *stream {
		return &stream{
			key:     key,
			path:    path,
			stdout:  o.stdout,
			comp:    o.comp,
			mkdir:   o.createDir || o.grouped,
			framing: o.framing,
		}
	})
	h := &handle{group: group, s: s}
	h.elem = o.lru.PushFront(h)
	o.handles[group] = h
	if !o.stdout {
		o.openFiles.Add(1)
	}
	h.pins.Add(1)
	return h, nil
}

// evictOne flushes and releases the least recently used handle that no Write or Flush
// is using. It reports false when every handle is in use. o.mu is held.
func (o *Output) evictOne() bool {
	for e := o.lru.Back(); e != nil; e = e.Prev() {
		h := e.Value.(*handle)
		if h.pins.Load() != 0 {
			continue
		}
		o.dropHandle(h)
		if err := reg.release(h.s, o); err != nil {
			o.logger.Warn("Closing a tasker output file failed", zap.String("path", h.s.path), zap.Error(err))
		}
		return true
	}
	return false
}

// dropHandle removes h from o's handles. o.mu is held.
func (o *Output) dropHandle(h *handle) {
	o.lru.Remove(h.elem)
	delete(o.handles, h.group)
	if !o.stdout {
		o.openFiles.Add(-1)
	}
}

// groupPath returns the path for group (template expanded with the sanitised value)
// and its absolute form, checking that it stays inside the base directory.
func (o *Output) groupPath(group string) (string, string, error) {
	v := group
	if v == "" {
		v = o.missing
	}
	p := strings.ReplaceAll(o.path, GroupPlaceholder, SanitizeGroup(v))
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", "", fmt.Errorf("tasker output %q: %w", p, err)
	}
	rel, err := filepath.Rel(o.baseAbs, abs)
	if err != nil || rel == "." || rel == ".." || filepath.IsAbs(rel) ||
		strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "", fmt.Errorf("tasker output: group %q resolves to %q, outside %q", group, p, o.baseDir)
	}
	return p, abs, nil
}

// Header returns the header of group's current append-mode file: the header the last
// Write gave, or, for an uncompressed file left by an earlier run, its first line
// (with the line ending). nil when there is no current file or it is empty.
//
// The returned slice must not be modified.
func (o *Output) Header(group string) []byte {
	if o.mode == ModePerExport {
		return nil
	}
	h, err := o.acquire(group)
	if err != nil {
		return nil
	}
	defer h.pins.Add(-1)
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead || s.ensureOpen(o) != nil || s.empty {
		return nil
	}
	return s.header
}
