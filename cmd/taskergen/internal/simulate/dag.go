// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import "strconv"

// DAG is the step graph of a task: step i depends on Parents[i] (indexes < i, so the
// indexes are a topological order).
type DAG struct {
	Shape    Shape
	TaskName string
	Names    []string
	Parents  [][]int
}

var linearNames = []string{"validate_order", "reserve_inventory", "charge_payment", "ship_order", "send_confirmation"}

// BuildDAG returns the DAG of shape with the given sizes (see Options.Steps, Width).
func BuildDAG(shape Shape, steps, width int) DAG {
	switch shape {
	case Diamond:
		return DAG{
			Shape:    Diamond,
			TaskName: "inventory_reconciliation",
			Names:    []string{"fetch_inventory", "reconcile_warehouse", "reconcile_storefront", "publish_report"},
			Parents:  [][]int{nil, {0}, {0}, {1, 2}},
		}
	case FanOut:
		d := DAG{Shape: FanOut, TaskName: "report_generation"}
		d.Names = append(d.Names, "fetch_partitions")
		d.Parents = append(d.Parents, nil)
		join := make([]int, 0, width)
		for i := 1; i <= width; i++ {
			d.Names = append(d.Names, "process_partition_"+strconv.Itoa(i))
			d.Parents = append(d.Parents, []int{0})
			join = append(join, i)
		}
		d.Names = append(d.Names, "aggregate_results")
		d.Parents = append(d.Parents, join)
		return d
	}
	d := DAG{Shape: Linear, TaskName: "order_fulfillment"}
	for i := range steps {
		name := "step_" + strconv.Itoa(i+1)
		if i < len(linearNames) {
			name = linearNames[i]
		}
		d.Names = append(d.Names, name)
		if i == 0 {
			d.Parents = append(d.Parents, nil)
		} else {
			d.Parents = append(d.Parents, []int{i - 1})
		}
	}
	return d
}
