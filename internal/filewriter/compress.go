// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// zstdWindow bounds the memory of each zstd encoder (many group files may be open).
const zstdWindow = 2 << 20

// compressor is a gzip.Writer or a zstd.Encoder. Flush makes everything written so
// far decodable; Close ends the gzip member / zstd frame.
type compressor interface {
	io.Writer
	Flush() error
	Close() error
	Reset(w io.Writer)
}

var (
	gzipPool = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression) // a valid level cannot fail
		return w
	}}
	zstdPool = sync.Pool{New: func() any {
		// Synchronous (concurrency 1): the Output already runs writers in parallel.
		e, err := zstd.NewWriter(io.Discard,
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithWindowSize(zstdWindow))
		if err != nil {
			return nil
		}
		return e
	}}
)

// getCompressor returns a pooled compressor writing a new member/frame to w.
func getCompressor(c Compression, w io.Writer) compressor {
	switch c {
	case CompressionGzip:
		z := gzipPool.Get().(*gzip.Writer)
		z.Reset(w)
		return z
	case CompressionZstd:
		e, _ := zstdPool.Get().(*zstd.Encoder)
		if e == nil {
			// unreachable with constant options; fall back to the defaults
			e, _ = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
			return e
		}
		e.Reset(w)
		return e
	}
	return nil
}

// putCompressor returns a closed compressor to its pool.
func putCompressor(c Compression, w compressor) {
	w.Reset(io.Discard)
	switch c {
	case CompressionGzip:
		gzipPool.Put(w)
	case CompressionZstd:
		zstdPool.Put(w)
	}
}
