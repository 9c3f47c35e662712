// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// perExportTimeLayout is the UTC time in per_export file names.
const perExportTimeLayout = "20060102T150405Z"

// linkUnsupported is set once os.Link fails for a reason other than an existing
// name (a file system without hard links); publishing then uses rename.
var linkUnsupported atomic.Bool

// writePerExport writes header and data to a new file in the (group) directory:
// a hidden temp file first, published under its final name when complete.
func (o *Output) writePerExport(group string, header, data []byte) error {
	o.mu.Lock()
	closed := o.closed
	o.mu.Unlock()
	if closed {
		return errShutdown
	}
	dir := o.path
	if o.grouped {
		p, _, err := o.groupPath(group)
		if err != nil {
			return err
		}
		dir = p
	}
	now := time.Now().UTC()
	seq := o.seq.Add(1)
	name := o.exportName(now, seq)
	tmp := filepath.Join(dir, "."+name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	for tries := 0; err != nil && tries < 100; tries++ {
		switch {
		case errors.Is(err, fs.ErrExist):
			seq = o.seq.Add(1)
			name = o.exportName(now, seq)
			tmp = filepath.Join(dir, "."+name+".tmp")
		case errors.Is(err, fs.ErrNotExist) && (o.createDir || o.grouped) && tries == 0:
			if mkErr := os.MkdirAll(dir, 0o755); mkErr != nil {
				return fmt.Errorf("tasker output %q: %w", dir, mkErr)
			}
		default:
			return fmt.Errorf("tasker output %q: %w", dir, err)
		}
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return fmt.Errorf("tasker output %q: %w", dir, err)
	}
	if err := o.fillExport(f, header, data); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("tasker output %q: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("tasker output %q: %w", tmp, err)
	}
	if o.beforePublish != nil {
		if err := o.beforePublish(tmp); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("tasker output %q: %w", tmp, err)
		}
	}
	if err := o.publish(dir, tmp, now, seq, name); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("tasker output %q: %w", dir, err)
	}
	o.filesCreated.Add(1)
	if o.fsync {
		syncDir(dir)
	}
	return nil
}

// fillExport writes header and data (compressed when configured) to f.
func (o *Output) fillExport(f *os.File, header, data []byte) error {
	if o.comp == CompressionNone {
		if len(header) > 0 {
			if _, err := f.Write(header); err != nil {
				return err
			}
		}
		if len(data) > 0 {
			if _, err := f.Write(data); err != nil {
				return err
			}
		}
	} else {
		bw := getBuf(f)
		cw := getCompressor(o.comp, bw)
		_, err := cw.Write(header)
		if err == nil {
			_, err = cw.Write(data)
		}
		if err == nil {
			err = cw.Close()
		}
		if err == nil {
			err = bw.Flush()
			putCompressor(o.comp, cw)
		}
		putBuf(bw)
		if err != nil {
			return err
		}
	}
	if o.fsync {
		return f.Sync()
	}
	return nil
}

// publish gives the complete temp file its final name without replacing an
// existing file: a hard link (which fails when the name exists, then the next
// sequence number is tried) and removal of the temp name; rename after a check
// where hard links are not supported.
func (o *Output) publish(dir, tmp string, now time.Time, seq uint64, name string) error {
	for tries := 0; tries < 1000; tries++ {
		final := filepath.Join(dir, name)
		if !linkUnsupported.Load() {
			err := os.Link(tmp, final)
			if err == nil {
				return os.Remove(tmp)
			}
			if !errors.Is(err, fs.ErrExist) {
				linkUnsupported.Store(true)
				continue
			}
		} else if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
			return os.Rename(tmp, final)
		}
		seq = o.seq.Add(1)
		name = o.exportName(now, seq)
	}
	return errors.New("no free file name")
}

// exportName is <prefix>_<instance>_<UTC yyyymmddThhmmssZ>_<seq>.<ext>[.gz|.zst],
// seq zero-padded to 6 digits.
func (o *Output) exportName(now time.Time, seq uint64) string {
	var arr [256]byte
	b := append(arr[:0], o.prefix...)
	b = append(b, '_')
	b = append(b, o.instance...)
	b = append(b, '_')
	b = now.AppendFormat(b, perExportTimeLayout)
	b = append(b, '_')
	b = appendSeq(b, seq)
	b = append(b, '.')
	b = append(b, o.ext...)
	b = append(b, o.compExt...)
	return string(b)
}

// appendSeq appends n in decimal, zero-padded to at least 6 digits.
func appendSeq(b []byte, n uint64) []byte {
	var d [20]byte
	i := len(d)
	for n > 0 || i > len(d)-6 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[i:]...)
}

// syncDir fsyncs a directory so a rename in it is durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
