// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func opts(mod func(*Options)) Options {
	o := Defaults()
	o.Tasks = 200
	o.FailProb = 0.25
	if mod != nil {
		mod(&o)
	}
	return o
}

func mustGenerate(t testing.TB, o Options) []Event {
	t.Helper()
	evs, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func encodeAll(evs []Event) []byte {
	var b []byte
	for i := range evs {
		if evs[i].Name == "" {
			continue
		}
		b = AppendObject(b, "event", evs[i].Name, evs[i].Fields)
		b = append(b, '\n')
	}
	return b
}

func TestDeterminism(t *testing.T) {
	a := mustGenerate(t, opts(nil))
	b := mustGenerate(t, opts(nil))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same options gave different events")
	}
	if string(encodeAll(a)) != string(encodeAll(b)) {
		t.Fatal("same options gave different bytes")
	}
	c := mustGenerate(t, opts(func(o *Options) { o.Seed = 2 }))
	if string(encodeAll(a)) == string(encodeAll(c)) || a[0].TaskID == c[0].TaskID {
		t.Fatal("another seed gave the same events")
	}
}

// A task's events depend only on (seed, task index, options): generating fewer tasks
// gives a prefix of the same tasks.
func TestTasksIndependent(t *testing.T) {
	all := mustGenerate(t, opts(nil))
	few := mustGenerate(t, opts(func(o *Options) { o.Tasks = 20 }))
	var fromAll []Event
	for _, e := range all {
		if e.Task < 20 {
			fromAll = append(fromAll, e)
		}
	}
	if !reflect.DeepEqual(fromAll, few) {
		t.Fatal("the first 20 tasks differ when more tasks are generated")
	}
}
func TestShapes(t *testing.T) {
	d := BuildDAG(Diamond, 0, 0)
	if len(d.Names) != 4 || !slices.Equal(d.Parents[3], []int{1, 2}) {
		t.Fatalf("diamond %+v", d)
	}
	f := BuildDAG(FanOut, 0, 3)
	if len(f.Names) != 5 || !slices.Equal(f.Parents[4], []int{1, 2, 3}) || !slices.Equal(f.Parents[2], []int{0}) {
		t.Fatalf("fanout %+v", f)
	}
	l := BuildDAG(Linear, 7, 0)
	if len(l.Names) != 7 || l.Names[6] != "step_7" || !slices.Equal(l.Parents[6], []int{5}) || l.Parents[0] != nil {
		t.Fatalf("linear %+v", l)
	}
	ws, err := ParseShapes("linear=3, fan-out,diamond=0")
	if err != nil || !reflect.DeepEqual(ws, []WeightedShape{{Linear, 3}, {FanOut, 1}}) {
		t.Fatalf("ParseShapes: %v %v", ws, err)
	}
	for _, bad := range []string{"", "ring", "linear=-1", "linear=0"} {
		if _, err := ParseShapes(bad); err == nil {
			t.Errorf("ParseShapes(%q) accepted", bad)
		}
	}
	// The mix follows the weights.
	evs := mustGenerate(t, opts(func(o *Options) { o.Shapes, _ = ParseShapes("linear=3,diamond=1"); o.Tasks = 400 }))
	count := map[string]int{}
	for _, e := range evs {
		if e.Occ == OccTaskCreated {
			count[e.TaskName]++
		}
	}
	if count["report_generation"] != 0 || count["order_fulfillment"] < 250 || count["inventory_reconciliation"] < 60 {
		t.Fatalf("shape mix %v", count)
	}
}

func TestValidate(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"fail>1":        func(o *Options) { o.FailProb = 1.5 },
		"neg tasks":     func(o *Options) { o.Tasks = -1 },
		"steps 0":       func(o *Options) { o.Steps = 0 },
		"digits":        func(o *Options) { o.TSDigits = 10 },
		"no shapes":     func(o *Options) { o.Shapes = nil },
		"multiplier<1":  func(o *Options) { o.BackoffMultiplier = 0.5 },
		"NaN duplicate": func(o *Options) { o.DuplicateProb = nanF() },
	} {
		o := Defaults()
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func nanF() float64 { var z float64; return z / z }

func TestEncoding(t *testing.T) {
	f := []Field{String("s", "a\"b\\c\n\x01é"), Int("n", -3), Float("f", 2), Float("g", 0.125), null("z"), Bool("b", true),
		raw("r", `{"x":1}`), Strings("l", []string{"a", "b"}), Ints("i", []int64{1, 2}),
		Time("t", time.Date(2026, 11, 22, 10, 0, 0, 5e6, time.UTC), 3)}
	got := string(AppendObject(nil, "event", "x.y", f))
	want := `{"event":"x.y","s":"a\"b\\c\n\u0001é","n":-3,"f":2.0,"g":0.125,"z":null,"b":true,"r":{"x":1},"l":["a","b"],"i":[1,2],"t":"2026-11-22T10:00:00.005Z"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	ts := time.Date(2026, 11, 22, 10, 0, 1, 23456789, time.UTC)
	for digits, want := range map[int]string{0: "2026-11-22T10:00:01Z", 3: "2026-11-22T10:00:01.023Z", 6: "2026-11-22T10:00:01.023456Z"} {
		if got := ISO8601(ts, digits); got != want {
			t.Errorf("ISO8601(%d) = %s, want %s", digits, got, want)
		}
	}
}
