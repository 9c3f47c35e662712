// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// benchBatch is one export: 1000 NDJSON lines, about 200 KB.
var benchBatch = batch("bench", 1000)

func newBench(b *testing.B, cfg Config) *Output {
	o, err := NewOutput(cfg, "metrics", "json", zap.NewNop())
	require.NoError(b, err)
	require.NoError(b, o.Start())
	b.Cleanup(func() { _ = o.Shutdown() })
	return o
}

// writeBatches writes benchBatch b.N times, the i-th to group(i), timing only that.
func writeBatches(b *testing.B, o *Output, group func(i int) string) {
	b.SetBytes(int64(len(benchBatch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.Write(group(i), nil, benchBatch); err != nil {
			b.Fatal(err)
		}
	}
}

func oneGroup(int) string { return "" }

// BenchmarkRawFileWrite is the baseline: the same batches written straight to a file.
func BenchmarkRawFileWrite(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "raw.json"))
	require.NoError(b, err)
	defer f.Close()
	b.SetBytes(int64(len(benchBatch)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(benchBatch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, bc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"flush_1s", func(*Config) {}},
		{"flush_each", func(c *Config) { c.FlushInterval = 0 }},
		{"rotate_64MB", func(c *Config) { c.Rotation = &RotationConfig{MaxMegabytes: 64, MaxBackups: 2} }},
		{"gzip", func(c *Config) { c.Compression = CompressionGzip }},
		{"zstd", func(c *Config) { c.Compression = CompressionZstd }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := NewDefaultConfig(filepath.Join(b.TempDir(), "m.json"))
			cfg.FlushInterval = time.Second
			bc.mod(&cfg)
			o := newBench(b, cfg)
			writeBatches(b, o, oneGroup)
			if err := o.Flush(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkWriteParallel(b *testing.B) {
	cfg := NewDefaultConfig(filepath.Join(b.TempDir(), "m.json"))
	o := newBench(b, cfg)
	b.SetBytes(int64(len(benchBatch)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := o.Write("", nil, benchBatch); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkWriteGroups(b *testing.B) {
	cfg := NewDefaultConfig(filepath.Join(b.TempDir(), "{group}.json"))
	cfg.GroupBy = &GroupByConfig{ResourceAttribute: "service.name", MaxOpenFiles: 10}
	o := newBench(b, cfg)
	groups := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	writeBatches(b, o, func(i int) string { return groups[i%len(groups)] })
}

func BenchmarkWritePerExport(b *testing.B) {
	for _, bc := range []struct {
		name string
		comp Compression
	}{{"none", CompressionNone}, {"zstd", CompressionZstd}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := NewDefaultConfig(b.TempDir())
			cfg.Mode = ModePerExport
			cfg.Compression = bc.comp
			o := newBench(b, cfg)
			writeBatches(b, o, oneGroup)
		})
	}
}
