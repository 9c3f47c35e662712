"""The three recipes of docs/ANALYSIS.md on tasker_csv's files, with the standard library.

    python3 docs/analysis/recipes.py out/csv

prints {"tasks_per_outcome": [...], "failures_per_step": [...], "p95_step_duration": [...]}
in the shapes the DuckDB and jq recipes print.
"""
import csv
import glob
import json
import os
import sys
from collections import defaultdict


def rows(directory, signal):
    """Rows of <signal>.csv and of its rotated files (<signal>-<time>.csv), oldest first:
    the rotated names sort before the current one."""
    for path in sorted(glob.glob(os.path.join(directory, signal + "*.csv"))):
        with open(path, newline="", encoding="utf-8") as f:
            yield from csv.DictReader(f)


def number(s):
    return int(s) if s.lstrip("-").isdigit() else float(s)


def counter_totals(directory):
    """One total per counter series: the last value of a cumulative series (it repeats its
    running total at every export), the sum of delta rows. A series is every non-empty
    column but the time and the value."""
    totals = {}
    for r in rows(directory, "metrics"):
        if r["type"] != "counter" or r["value"] == "":
            continue
        # Empty cells are left out: a rotated file may lack a column the current one has.
        key = tuple(sorted((k, v) for k, v in r.items() if v and k not in ("timestamp", "value")))
        v = number(r["value"])
        if r["temporality"] == "delta":
            v += totals.get(key, (r, 0))[1]
        totals[key] = (r, v)
    return totals.values()


def per(totals, name, by, where=None):
    out = defaultdict(int)
    for r, v in totals:
        if r["name"] == name and (where is None or where(r)):
            out[r[by]] += v
    return sorted(out.items())


def p95(values):
    """Linear interpolation between the nearest ranks (DuckDB's quantile_cont)."""
    values = sorted(values)
    pos = (len(values) - 1) * 0.95
    i = int(pos)
    if i + 1 < len(values):
        return values[i] + (values[i + 1] - values[i]) * (pos - i)
    return values[i]


def main(directory):
    totals = list(counter_totals(directory))
    durations = [
        number(r["duration_ms"])
        for r in rows(directory, "traces")
        if r["attributes"] and "tasker.step.name" in json.loads(r["attributes"])
    ]
    print(json.dumps({
        "tasks_per_outcome": [{"outcome": k, "tasks": v} for k, v in
                              per(totals, "tasker.task.outcomes", "tasker_outcome")],
        "failures_per_step": [{"step": k, "failures": v} for k, v in
                              per(totals, "tasker.step.outcomes", "tasker_step_name",
                                  lambda r: r["tasker_outcome"] == "failed")],
        "p95_step_duration": [{"p95_ms": p95(durations), "attempts": len(durations)}],
    }))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/csv")
