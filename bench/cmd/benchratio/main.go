// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Command benchratio reads `go test -bench` output (several -count runs) on stdin and
// prints, per case, the median items/s and allocs/item of every implementation and its
// ratio to the contrib peer of the same case (an impl named contrib_*). Ratios, not
// absolute times, are what compares on a shared, noisy machine. A case with a
// redis_benchmark_hset row (redis-benchmark -P 64 HSET on the same server, same run)
// also gets the ratio of each tasker_cache_redis* row to it. It prints one line of
// progress per benchmark result on stderr as the results arrive.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

type sample struct {
	metrics map[string][]float64
}

func main() {
	samples := map[string]*sample{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		progress(name, m[2])
		s := samples[name]
		if s == nil {
			s = &sample{metrics: map[string][]float64{}}
			samples[name] = s
			order = append(order, name)
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			s.metrics[f[i+1]] = append(s.metrics[f[i+1]], v)
		}
	}
	// Group by case (the name without its last segment).
	cases := map[string][]string{}
	var caseOrder []string
	for _, name := range order {
		i := strings.LastIndex(name, "/")
		if i < 0 {
			continue
		}
		c := name[:i]
		if _, ok := cases[c]; !ok {
			caseOrder = append(caseOrder, c)
		}
		cases[c] = append(cases[c], name)
	}
	fmt.Println("| case | impl | items/s (median) | allocs/item | ratio items/s vs peer | ratio allocs vs peer |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, c := range caseOrder {
		names := cases[c]
		sort.Strings(names)
		var peer string
		for _, n := range names {
			// The first contrib_* impl in name order is the peer (e.g. contrib_otlp_json
			// before contrib_otlp_proto).
			if peer == "" && strings.HasPrefix(n[strings.LastIndex(n, "/")+1:], "contrib_") {
				peer = n
			}
		}
		for _, n := range names {
			ips, apo := itemsPerSec(samples[n]), allocsPerItem(samples[n])
			r1, r2 := "—", "—"
			if peer != "" && n != peer {
				if p := itemsPerSec(samples[peer]); p > 0 {
					r1 = fmt.Sprintf("%.2f×", ips/p)
				}
				if p := allocsPerItem(samples[peer]); p > 0 {
					r2 = fmt.Sprintf("%.2f×", apo/p)
				}
			}
			fmt.Printf("| %s | %s | %s | %.3f | %s | %s |\n", strings.TrimPrefix(c, "Benchmark"), n[strings.LastIndex(n, "/")+1:], human(ips), apo, r1, r2)
		}
	}
	redisRatios(caseOrder, cases, samples)
}

// redisRatios prints, per case with a redis_benchmark_hset row, each Redis row's
// median items/s over it.
func redisRatios(caseOrder []string, cases map[string][]string, samples map[string]*sample) {
	header := false
	for _, c := range caseOrder {
		var peer float64
		for _, n := range cases[c] {
			if strings.HasSuffix(n, "/redis_benchmark_hset") {
				peer = itemsPerSec(samples[n])
			}
		}
		if peer <= 0 {
			continue
		}
		for _, n := range cases[c] {
			impl := n[strings.LastIndex(n, "/")+1:]
			if !strings.HasPrefix(impl, "tasker_cache_redis") {
				continue
			}
			if !header {
				fmt.Println()
				fmt.Println("| case | impl | points/s (median) | redis-benchmark -P 64 HSET ops/s (median) | ratio |")
				fmt.Println("|---|---|---:|---:|---:|")
				header = true
			}
			ips := itemsPerSec(samples[n])
			fmt.Printf("| %s | %s | %s | %s | %.2f× |\n", strings.TrimPrefix(c, "Benchmark"), impl, human(ips), human(peer), ips/peer)
		}
	}
}

// progress prints one benchmark result as it arrives (stderr: stdout is the table).
func progress(name, rest string) {
	f := strings.Fields(rest)
	ips := ""
	for i := 0; i+1 < len(f); i++ {
		if f[i+1] == "items/s" {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				ips = human(v) + " items/s"
			}
		}
	}
	fmt.Fprintf(os.Stderr, "%s  %-70s %s\n", time.Now().Format("15:04:05"), strings.TrimPrefix(name, "Benchmark"), ips)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func itemsPerSec(s *sample) float64 { return median(s.metrics["items/s"]) }

// allocsPerItem is allocs/op divided by the items one op handles (items/s × s/op).
func allocsPerItem(s *sample) float64 {
	ips, nsop, allocs := itemsPerSec(s), median(s.metrics["ns/op"]), median(s.metrics["allocs/op"])
	items := ips * nsop / 1e9
	if items <= 0 {
		return 0
	}
	return allocs / items
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
