// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package fileexport

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tasker-systems/otelcol-tasker/internal/filewriter"
)

// Config is the part of a file exporter's configuration every file exporter has. The
// exporters squash it into theirs, so its keys are top-level keys of the exporter's
// configuration.
//
// It has no Validate method on purpose: the collector validates every field of a
// configuration that has one, and the exporters report the output's problems with
// their own (ValidateOutput) so that each is reported once. The timeout, queue and retry
// sections validate themselves.
type Config struct {
	filewriter.Config `mapstructure:",squash"`

	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is the sending queue; persistent when sending_queue.storage names a
	// storage extension.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Registry is the tasker_registry extension the exporter registers with and reports
	// its exports to (registry: tasker_registry/x); Start fails when it is not running.
	// Unset: the only tasker_registry extension running, if any (several: Start fails);
	// none running: the exporter works without registering.
	Registry *component.ID `mapstructure:"registry"`
}

// NewDefaultConfig is the default shared configuration of an exporter writing to path
// by default: the output's defaults, exporterhelper's default timeout, queue and retry,
// registry unset.
func NewDefaultConfig(path string) Config {
	return Config{
		Config:        filewriter.NewDefaultConfig(path),
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
	}
}

// OutputErrors are the problems of the output settings (path, mode, rotation,
// compression, flush, fsync, group_by; see filewriter.Config.ValidateOutput), the first
// entries of an exporter's Validate.
func (c *Config) OutputErrors() []error {
	if err := c.ValidateOutput(); err != nil {
		return []error{err}
	}
	return nil
}

// GroupAttribute is the resource attribute that splits the files (group_by), "" when
// they are not split: what the codecs take as their GroupBy option.
func (c *Config) GroupAttribute() string {
	if c.GroupBy == nil {
		return ""
	}
	return c.GroupBy.ResourceAttribute
}

// FileExport returns the shared configuration itself. The exporters' configurations
// embed Config, so they have this method too: it is how the shared factory and test
// helpers reach the shared part of any file exporter's configuration.
func (c *Config) FileExport() *Config { return c }

// Configured is a file exporter's configuration: one that embeds Config.
type Configured interface {
	component.Config
	FileExport() *Config
}
