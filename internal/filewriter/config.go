// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Package filewriter writes the files of the tasker_json and tasker_csv exporters:
// an append stream with size/age rotation, or one file per export written atomically
// (temp file + rename); gzip or zstd; every Write on the file when it returns, optional
// fsync; a torn last record of an earlier run cut off at open; group_by a
// resource attribute into separate files with a bounded number of open files; "-" for
// stdout. Both exporters use it, so their files behave the same.
//
// Why not lumberjack or timberjack (the rotating writers contrib's fileexporter
// uses): they rotate bytes, not records. A CSV file here starts with its header line
// and every rotated file must too, with the header of the data written into it (a
// new column set opens a new file); a rotation never splits a record. They keep
// their own buffering and report nothing of a failed write, while here a Write that
// returns nil is on the file (write(2) done, fsync optional) and a failed Write is
// cut off the file and returned, so exporterhelper's retry writes it again and the
// producer is acknowledged only after the write. And at open a torn last record left
// by a crash (a half NDJSON line, a CSV row short of its header's cells) is cut back
// to the last complete one before anything is appended (torn.go), which neither does.
//
// On Linux an append stream also hands its written pages back to the kernel once they
// are on disk (recycle_linux.go), so that a long stream of output does not take a fresh
// page for every page written.
package filewriter // import "github.com/tasker-systems/otelcol-tasker/internal/filewriter"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tasker-systems/otelcol-tasker/internal/confguard"
)

// Mode says how exports map to files.
type Mode string

const (
	// ModeAppend appends every export to one stream per (signal, group), rotated by size and age.
	ModeAppend Mode = "append"
	// ModePerExport writes every export to a new file <prefix>_<instance>_<UTC time>_<seq>.<ext>,
	// under a temporary name first and renamed when complete.
	ModePerExport Mode = "per_export"
)

// Compression of the written files.
type Compression string

const (
	CompressionNone Compression = "none"
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

// Placeholders expanded in Config.Path and Config.Prefix.
const (
	// SignalPlaceholder is replaced by "metrics", "logs" or "traces".
	SignalPlaceholder = "{signal}"
	// GroupPlaceholder is replaced by the sanitised group_by attribute value.
	GroupPlaceholder = "{group}"
	// Stdout as Path writes to standard output.
	Stdout = "-"
)

// RotationConfig rotates an append-mode file. A rotated file is renamed to
// <name>-<UTC yyyymmddThhmmss.mmmZ><ext> beside it.
type RotationConfig struct {
	// MaxMegabytes rotates the file when writing would make it larger than this. 0: no size limit.
	MaxMegabytes int `mapstructure:"max_megabytes"`
	// MaxDays removes rotated files older than this many days. 0: keep them regardless of age.
	MaxDays int `mapstructure:"max_days"`
	// MaxBackups keeps at most this many rotated files per stream. 0: keep all.
	MaxBackups int `mapstructure:"max_backups"`
	// LocalTime names rotated files in local time instead of UTC.
	LocalTime bool `mapstructure:"localtime"`
	// prevent unkeyed literal initialization
	_ struct{}
}

// GroupByConfig writes data to separate files by a resource attribute.
type GroupByConfig struct {
	// ResourceAttribute whose value replaces {group} in Path.
	ResourceAttribute string `mapstructure:"resource_attribute"`
	// MaxOpenFiles bounds the number of group files open at once; the least recently
	// used is flushed and closed when a new one is needed. 0: DefaultMaxOpenFiles.
	MaxOpenFiles int `mapstructure:"max_open_files"`
	// MissingValue is used for resources that lack the attribute, so no data is dropped.
	// "": DefaultMissingValue.
	MissingValue string `mapstructure:"missing_value"`
	// prevent unkeyed literal initialization
	_ struct{}
}

// Config is the file output configuration embedded (squashed) by both exporters.
type Config struct {
	// Path of the output. In append mode the file; in per_export mode the directory.
	// {signal} is replaced by the signal name, {group} by the group_by value. "-" is stdout.
	Path string `mapstructure:"path"`
	// Mode: append (default) or per_export.
	Mode Mode `mapstructure:"mode"`
	// Prefix of per_export file names; {signal} is expanded. Default "{signal}_export".
	Prefix string `mapstructure:"prefix"`
	// Instance names the writer in per_export file names. Default "<hostname>-<pid>".
	Instance string `mapstructure:"instance"`
	// Rotation of append-mode files; unset: no rotation.
	Rotation *RotationConfig `mapstructure:"rotation"`
	// Compression: none (default), gzip or zstd. Compressed files get a .gz or .zst suffix.
	Compression Compression `mapstructure:"compression"`
	// FlushInterval is the fsync period when Fsync is set; 0 fsyncs every Write before
	// it returns. Every Write hands its data to the OS before it returns, whatever this is.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// Fsync fsyncs written data every FlushInterval (or every Write with 0).
	Fsync bool `mapstructure:"fsync"`
	// CreateDirectory creates missing parent directories at start.
	CreateDirectory bool `mapstructure:"create_directory"`
	// GroupBy splits output into files by a resource attribute; unset: one stream.
	GroupBy *GroupByConfig `mapstructure:"group_by"`
	// prevent unkeyed literal initialization
	_ struct{}
}

// Defaults used by NewDefaultConfig.
const (
	DefaultFlushInterval = time.Second
	// MinFlushInterval is the shortest flush_interval but 0.
	MinFlushInterval    = time.Millisecond
	DefaultMaxOpenFiles = 100
	DefaultMissingValue = "unknown"
	DefaultPrefix       = SignalPlaceholder + "_export"
)

// NewDefaultConfig returns the defaults, writing to path.
func NewDefaultConfig(path string) Config {
	return Config{
		Path:            path,
		Mode:            ModeAppend,
		Compression:     CompressionNone,
		FlushInterval:   DefaultFlushInterval,
		CreateDirectory: true,
	}
}

// ValidateOutput reports every problem of the configuration at once. It is
// deliberately not named Validate: the exporters embed Config with
// mapstructure squash and call ValidateOutput from their own Validate, and
// the collector's config walker would otherwise report every error twice.
func (c *Config) ValidateOutput() error {
	var errs []error
	if strings.TrimSpace(c.Path) == "" {
		errs = append(errs, errors.New("path must be set (a file, a directory for mode per_export, or \"-\" for stdout)"))
	}
	switch c.Mode {
	case ModeAppend, ModePerExport, "":
	default:
		errs = append(errs, fmt.Errorf("mode %q is not supported; use %q or %q", c.Mode, ModeAppend, ModePerExport))
	}
	switch c.Compression {
	case CompressionNone, CompressionGzip, CompressionZstd, "":
	default:
		errs = append(errs, fmt.Errorf("compression %q is not supported; use %q, %q or %q", c.Compression, CompressionNone, CompressionGzip, CompressionZstd))
	}
	if c.FlushInterval < 0 {
		errs = append(errs, fmt.Errorf("flush_interval must not be negative, got %s", c.FlushInterval))
	} else if err := confguard.AtLeast("flush_interval", c.FlushInterval, MinFlushInterval, "0 flushes after every export"); err != nil {
		errs = append(errs, err)
	}
	if c.Rotation != nil {
		if c.Rotation.MaxMegabytes < 0 || c.Rotation.MaxDays < 0 || c.Rotation.MaxBackups < 0 {
			errs = append(errs, errors.New("rotation: max_megabytes, max_days and max_backups must not be negative"))
		}
		if c.Mode == ModePerExport {
			errs = append(errs, errors.New("rotation applies to mode append only; per_export writes a new file per export"))
		}
	}
	isStdout := c.Path == Stdout
	if isStdout {
		if c.Mode == ModePerExport {
			errs = append(errs, errors.New("path \"-\" (stdout) cannot be used with mode per_export"))
		}
		if c.GroupBy != nil {
			errs = append(errs, errors.New("path \"-\" (stdout) cannot be used with group_by"))
		}
		if c.Rotation != nil {
			errs = append(errs, errors.New("path \"-\" (stdout) cannot be rotated"))
		}
	}
	hasGroup := strings.Contains(c.Path, GroupPlaceholder)
	if c.GroupBy != nil {
		if c.GroupBy.ResourceAttribute == "" {
			errs = append(errs, errors.New("group_by.resource_attribute must be set"))
		}
		if c.GroupBy.MaxOpenFiles < 0 {
			errs = append(errs, fmt.Errorf("group_by.max_open_files must not be negative (0 means %d), got %d", DefaultMaxOpenFiles, c.GroupBy.MaxOpenFiles))
		}
		if !hasGroup && !isStdout {
			errs = append(errs, fmt.Errorf("path %q must contain %s when group_by is set", c.Path, GroupPlaceholder))
		}
		if strings.ContainsAny(c.GroupBy.MissingValue, `/\`) {
			errs = append(errs, fmt.Errorf("group_by.missing_value %q must not contain a path separator", c.GroupBy.MissingValue))
		}
	} else if hasGroup {
		errs = append(errs, fmt.Errorf("path %q contains %s but group_by is not set", c.Path, GroupPlaceholder))
	}
	if strings.ContainsAny(c.Instance, `/\`) || strings.ContainsAny(c.Prefix, `/\`) {
		errs = append(errs, errors.New("instance and prefix must not contain a path separator"))
	}
	return errors.Join(errs...)
}
