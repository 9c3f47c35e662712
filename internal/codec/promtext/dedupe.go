// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package promtext

import (
	"encoding/binary"
	"hash/maphash"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

var keySeed = maphash.MakeSeed()

// The series of a family must differ in their labels. Two resources whose series collide
// (e.g. two Tasker processes with the same service.name and no service.instance.id) are
// told apart the way contrib's prometheusexporter does with
// resource_to_telemetry_conversion, but only where needed: the resource attributes whose
// values differ between the colliding resources become labels of every series of those
// resources. Series that still collide (identical resources, or one scope repeating a
// series) are left out and counted as duplicate_series.

// dedupe marks the duplicate series, after adding the distinguishing labels.
func (st *convState) dedupe() {
	if st.findDups(true) {
		st.addDistinguishingLabels()
		st.findDups(false)
	}
	for i := range st.pts {
		if st.pts[i].dup {
			st.drop(DropDuplicate, 1)
		}
	}
}

// renderKey writes the family and the labels of a point as an unambiguous key.
func (st *convState) renderKey(b []byte, p *point) []byte {
	b = binary.LittleEndian.AppendUint32(b[:0], uint32(p.fam))
	for _, l := range st.labelsOf(p) {
		b = append(b, l.name...)
		b = append(b, 0xff)
		b = append(b, l.value...)
		b = append(b, 0xff)
	}
	return b
}

// findDups marks the points whose series an earlier point already has. With union, a
// collision between two resources joins their groups instead, and findDups reports
// whether there was any.
func (st *convState) findDups(union bool) (collided bool) {
	clear(st.seen)
	for i := range st.pts {
		p := &st.pts[i]
		p.dup = false
		if st.fams[p.fam].dropped {
			continue
		}
		st.key = st.renderKey(st.key, p)
		h := maphash.Bytes(keySeed, st.key)
		for {
			j, ok := st.seen[h]
			if !ok {
				st.seen[h] = int32(i)
				break
			}
			q := &st.pts[j]
			st.key2 = st.renderKey(st.key2, q)
			if string(st.key2) != string(st.key) {
				h++ // a hash collision between different series: probe on
				continue
			}
			if union && st.find(int(q.res)) != st.find(int(p.res)) {
				st.res[st.find(int(p.res))].parent = st.find(int(q.res))
				collided = true
			} else {
				p.dup = true
			}
			break
		}
	}
	return collided
}

func (st *convState) find(i int) int {
	for st.res[i].parent != i {
		st.res[i].parent = st.res[st.res[i].parent].parent
		i = st.res[i].parent
	}
	return i
}

// addDistinguishingLabels gives every resource of a group of colliding resources the
// attributes whose values are not the same in all of them (absent counts as a value).
func (st *convState) addDistinguishingLabels() {
	groups := map[int][]int{}
	for i := range st.res {
		root := st.find(i)
		groups[root] = append(groups[root], i)
	}
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		values := map[string]map[string]int{} // key → value → resources with it
		for _, ri := range members {
			st.res[ri].r.Attributes().Range(func(k string, v pcommon.Value) bool {
				if values[k] == nil {
					values[k] = map[string]int{}
				}
				values[k][labelValue(v)]++
				return true
			})
		}
		var differing []string
		for k, vals := range values {
			if len(vals) > 1 || vals[firstKey(vals)] != len(members) {
				differing = append(differing, k)
			}
		}
		slices.Sort(differing)
		for _, ri := range members {
			r := &st.res[ri]
			r.extra = nil
			for _, k := range differing {
				v, ok := r.r.Attributes().Get(k)
				if !ok {
					continue
				}
				val, name := labelValue(v), st.labelName(k)
				if val == "" || hasName(r.base, name) || hasName(r.extra, name) {
					continue
				}
				r.extra = append(r.extra, label{name: name, value: val, key: k})
			}
			sortLabels(r.extra)
		}
	}
}

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}
