// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package tasker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseTime(t *testing.T) {
	good := map[string]string{
		"2026-11-22T10:00:00Z":              "2026-11-22T10:00:00Z",
		"2026-11-22T10:00:00.123Z":          "2026-11-22T10:00:00.123Z",
		"2026-11-22T10:00:00.123+05:30":     "2026-11-22T04:30:00.123Z",
		"2026-11-22T00:30:00+01:00":         "2026-11-21T23:30:00Z",
		"2026-11-22 10:00:00 +0000":         "2026-11-22T10:00:00Z",
		"2026-11-22 10:00:00 -0800":         "2026-11-22T18:00:00Z",
		"2026-11-22 10:00:00 UTC":           "2026-11-22T10:00:00Z",
		"2026-11-22 10:00:00.987654321 UTC": "2026-11-22T10:00:00.987654321Z",
		"2026-11-22T10:00:00.003512":        "2026-11-22T10:00:00.003512Z",
		"2026-11-22T10:00:00UTC":            "2026-11-22T10:00:00Z",
		"2026-12-31T23:59:60Z":              "2027-01-01T00:00:00Z",
		"2024-02-29T00:00:00Z":              "2024-02-29T00:00:00Z",
		"0":                                 "1970-01-01T00:00:00Z",
		"1795341600":                        "2026-11-22T10:00:00Z",
		"1795341600123":                     "2026-11-22T10:00:00.123Z",
		"1795341600123456":                  "2026-11-22T10:00:00.123456Z",
		"1795341600123456789":               "2026-11-22T10:00:00.123456789Z",
		"1795341600.000000001":              "2026-11-22T10:00:00.000000001Z",
		"1795341600123.5":                   "2026-11-22T10:00:00.1235Z",
		"1.7953416e12":                      "2026-11-22T10:00:00Z",
	}
	for in, want := range good {
		got, ok := ParseTime(in)
		if assert.True(t, ok, in) {
			assert.Equal(t, ts(want), got, in)
		}
	}
	bad := []string{"", "now", "2026-11-22T", "2026-11-22T10", "2026-11-22T10:0", "2026-11-22T10:00:0",
		"2026-11-22T10:00:00.", "2026-11-22T24:00:00Z", "2026-11-22T10:60:00Z", "2026-11-22T10:00:61Z",
		"2026-00-22T10:00:00Z", "2026-11-31T10:00:00Z", "2025-02-29T00:00:00Z", "2026-11-22T10:00:00+24:00",
		"2026-11-22T10:00:00+01:60", "2026-11-22T10:00:00+1", "2026-11-22T10:00:00 PST", "2026-11-22T10:00:00ZZ",
		"9999-12-31T23:59:60Z", "0000-01-01T00:00:00+01:00", "-1", "1.", ".5", "1e", "1_000", "12a"}
	for _, in := range bad {
		_, ok := ParseTime(in)
		assert.False(t, ok, in)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		unit    time.Duration
		want    time.Duration
		problem durationProblem
	}{
		{"0", time.Second, 0, durOK},
		{"0.842", time.Second, 842 * time.Millisecond, durOK},
		{"842.31", time.Millisecond, 842310 * time.Microsecond, durOK},
		{"0.0000000019", time.Second, 1, durOK},
		{"9223372036.854775807", time.Second, 1<<63 - 1, durOK},
		{"9223372037", time.Second, 0, durRange},
		{"1e300", time.Second, 0, durRange},
		{"2.5e-3", time.Second, 2500 * time.Microsecond, durOK},
		{"-0", time.Second, 0, durOK},
		{"-1", time.Second, -time.Second, durOK},
		{"-1e-3", time.Second, -time.Millisecond, durOK},
		{"-0.0003", time.Second, -300 * time.Microsecond, durOK},
		{" 1.5 ", time.Second, 1500 * time.Millisecond, durOK},
		{"", time.Second, 0, durNotNumber},
		{"1.5s", time.Second, 0, durNotNumber},
		{"0x10", time.Second, 0, durNotNumber},
	}
	for _, tt := range tests {
		got, problem := parseDuration(tt.in, int64(tt.unit))
		assert.Equal(t, tt.problem, problem, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"debug": SeverityDebug, "INFO": SeverityInfo, "Warn": SeverityWarn,
		"warning": SeverityWarn, "ERROR": SeverityError, "err": SeverityError, "FATAL": SeverityFatal,
		"critical": SeverityFatal, "trace": SeverityTrace, "notice": SeverityInfo} {
		got, ok := ParseSeverity(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "ANY", "UNKNOWN", "verbose", "informational"} {
		_, ok := ParseSeverity(in)
		assert.False(t, ok, in)
	}
}

func TestDaysFromCivil(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1600, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		assert.Equal(t, d.Unix()/86400, daysFromCivil(d.Year(), int(d.Month()), d.Day()), d.String())
	}
	// Every day of four centuries, against time.Date.
	for d := time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2200; d = d.AddDate(0, 0, 1) {
		if got := daysFromCivil(d.Year(), int(d.Month()), d.Day()); got != d.Unix()/86400 {
			t.Fatalf("%s: %d", d, got)
		}
	}
}
