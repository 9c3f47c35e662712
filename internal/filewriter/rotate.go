// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package filewriter

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// backupTimeLayout is the time in rotated file names; "Z" follows in UTC.
const backupTimeLayout = "20060102T150405.000"

// compressionSuffixes are kept at the end of rotated file names.
var compressionSuffixes = [...]string{".gz", ".zst"}

// splitExt splits a file name into stem and full extension: the compression suffix
// (.gz, .zst) with the extension before it, "metrics.csv.gz" → "metrics", ".csv.gz".
func splitExt(name string) (stem, ext string) {
	for _, c := range compressionSuffixes {
		if len(name) > len(c) && strings.HasSuffix(name, c) {
			name, ext = name[:len(name)-len(c)], c
			break
		}
	}
	e := filepath.Ext(name)
	if e == name { // ".json": a hidden name, not an extension
		e = ""
	}
	return name[:len(name)-len(e)], e + ext
}

// backupName is the name a rotated file gets: <stem>-<time><ext> beside path, with
// -1, -2… after the time when that name exists.
func backupName(path string, now time.Time, local bool) string {
	dir, base := filepath.Split(path)
	stem, ext := splitExt(base)
	var ts string
	if local {
		ts = now.Local().Format(backupTimeLayout)
	} else {
		ts = now.UTC().Format(backupTimeLayout) + "Z"
	}
	name := dir + stem + "-" + ts + ext
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			return name
		}
		name = dir + stem + "-" + ts + "-" + strconv.Itoa(i) + ext
	}
}

type backup struct {
	name string
	t    time.Time
	n    int
}

// listBackups returns the rotated files of the stream at path, newest first.
func listBackups(path string) ([]backup, error) {
	dir, base := filepath.Split(path)
	stem, ext := splitExt(base)
	rx, err := regexp.Compile("^" + regexp.QuoteMeta(stem) + `-(\d{8}T\d{6}\.\d{3})(Z?)(?:-(\d+))?` + regexp.QuoteMeta(ext) + "$")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var bks []backup
	for _, e := range entries {
		m := rx.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		loc := time.Local
		if m[2] == "Z" {
			loc = time.UTC
		}
		t, err := time.ParseInLocation(backupTimeLayout, m[1], loc)
		if err != nil {
			info, ierr := e.Info()
			if ierr != nil {
				continue
			}
			t = info.ModTime()
		}
		n := 0
		if m[3] != "" {
			n, _ = strconv.Atoi(m[3])
		}
		bks = append(bks, backup{name: filepath.Join(dir, e.Name()), t: t, n: n})
	}
	sort.Slice(bks, func(i, j int) bool {
		if !bks[i].t.Equal(bks[j].t) {
			return bks[i].t.After(bks[j].t)
		}
		return bks[i].n > bks[j].n
	})
	return bks, nil
}

// pruneBackups keeps at most maxBackups newest rotated files of the stream at path
// (0: all) and removes those older than maxDays days (0: keep), judging age by the
// time in the name (the modification time when it does not parse).
func pruneBackups(path string, maxBackups, maxDays int, now time.Time, logger *zap.Logger) {
	bks, err := listBackups(path)
	if err != nil {
		logger.Warn("Cannot list rotated tasker output files", zap.String("path", path), zap.Error(err))
		return
	}
	cutoff := now.Add(-time.Duration(maxDays) * 24 * time.Hour)
	for i, b := range bks {
		if (maxBackups > 0 && i >= maxBackups) || (maxDays > 0 && b.t.Before(cutoff)) {
			if err := os.Remove(b.name); err != nil && !os.IsNotExist(err) {
				logger.Warn("Cannot remove a rotated tasker output file", zap.String("path", b.name), zap.Error(err))
			}
		}
	}
}
