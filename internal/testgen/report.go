// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package testgen

import "testing"

// ReportItems reports the items/s of a benchmark that handles items per iteration.
func ReportItems(b *testing.B, items int) {
	b.ReportMetric(float64(b.N*items)/b.Elapsed().Seconds(), "items/s")
}
