// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// layout orders what is written: the live points of each family in input order
// (st.famPts[st.famOff[f]:st.famOff[f+1]]), the families in name order (st.order), and
// the target_info family (st.infoFam, its series in st.info).
func (st *convState) layout() {
	if !st.enc.opts.NoTargetInfo {
		if _, taken := st.famIdx[TargetInfoName]; !taken {
			st.targetInfo()
		}
	}
	st.famOff = slices.Grow(st.famOff[:0], len(st.fams)+1)[:len(st.fams)+1]
	clear(st.famOff)
	for i := range st.pts {
		if p := &st.pts[i]; !p.dup && !st.fams[p.fam].dropped {
			st.famOff[p.fam+1]++
		}
	}
	for i := 1; i < len(st.famOff); i++ {
		st.famOff[i] += st.famOff[i-1]
	}
	st.items = st.famOff[len(st.fams)]
	st.famPts = slices.Grow(st.famPts[:0], st.items)[:st.items]
	next := append(st.next[:0], st.famOff[:len(st.fams)]...)
	for i := range st.pts {
		if p := &st.pts[i]; !p.dup && !st.fams[p.fam].dropped {
			st.famPts[next[p.fam]] = int32(i)
			next[p.fam]++
		}
	}
	st.next = next
	st.order = st.order[:0]
	for fi := range st.fams {
		if st.famOff[fi+1] > st.famOff[fi] || fi == st.infoFam {
			st.order = append(st.order, fi)
		}
	}
	slices.SortFunc(st.order, func(a, b int) int { return strings.Compare(st.fams[a].name, st.fams[b].name) })
}

// identifying resource attributes: job and instance already say them.
func identifying(k string) bool {
	return k == "service.name" || k == "service.namespace" || k == "service.instance.id"
}

// targetInfo makes one target_info series (value 1) per resource that has series and
// attributes other than the identifying ones; its labels are job, instance and those
// attributes. Identical ones are written once.
func (st *convState) targetInfo() {
	seen := map[string]bool{}
	for ri := range st.res {
		r := &st.res[ri]
		if !r.used {
			continue
		}
		var ls []label
		for _, l := range r.base {
			if l.name == "job" || l.name == "instance" {
				ls = append(ls, l)
			}
		}
		n := len(ls)
		r.r.Attributes().Range(func(k string, v pcommon.Value) bool {
			if val := labelValue(v); k != "" && val != "" && !identifying(k) {
				ls = append(ls, label{name: st.labelName(k), value: val, key: k})
			}
			return true
		})
		if len(ls) == n {
			continue
		}
		sortLabels(ls)
		ls = joinSameNames(ls)
		st.key = st.key[:0]
		for _, l := range ls {
			st.key = append(append(append(append(st.key, l.name...), 0xff), l.value...), 0xff)
		}
		if seen[string(st.key)] {
			continue
		}
		seen[string(st.key)] = true
		st.info = append(st.info, ls)
	}
	if len(st.info) > 0 {
		st.infoFam = len(st.fams)
		st.fams = append(st.fams, family{name: TargetInfoName, typ: famGauge, help: "Target metadata"})
	}
}

// joinSameNames merges sorted labels of the same name, values joined with ";".
func joinSameNames(ls []label) []label {
	out := 0
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		for i+1 < len(ls) && ls[i+1].name == l.name {
			i++
			l.value += ";" + ls[i].value
		}
		ls[out] = l
		out++
	}
	return ls[:out]
}
