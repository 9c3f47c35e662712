// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The life of one task, modelled on Tasker's code (tasker-reference §1, §7.1, §10):
// it is created in the web process (task.start_requested + observability.task.enqueue
// from TaskInitializer) and enqueued; each TaskRunnerJob execution, in a worker
// process, starts it (task.start_requested twice), runs the orchestration loop —
// viable steps discovered (twice) and executed concurrently on the executor's pool
// threads, each attempt publishing Tasker's seven events — until nothing is viable
// (workflow.no_viable_steps twice), then finalizes: complete (task.completed twice),
// failed for good (task.failed twice), or, when a failed step waits for its backoff,
// back to pending (task.initialize_requested twice). A run that does not end with the
// task complete ends in Tasker's NameError (validate_task_completion references
// TaskStatuses::FAILED), which ActiveJob retries 3 s later, up to 3 executions; a rerun
// of a failed task raises Tasker::ProceduralError. A pending task whose job gave up is
// enqueued again once its backoff has passed (the host's re-enqueue; Tasker's own
// engine never re-runs a failed step, §10.11 — the simulation retries it as Tasker's
// readiness SQL intends).

type errorKind struct{ class, message string }

var (
	retryableErrors = []errorKind{
		{"Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"},
		{"Faraday::ConnectionFailed", "Failed to open TCP connection to payments.internal:443 (Connection refused)"},
		{"Faraday::ServerError", "the server responded with status 503"},
		{"ActiveRecord::Deadlocked", "PG::TRDeadlockDetected: ERROR:  deadlock detected"},
		{"Tasker::RetryableError", "Rate limited by upstream API, retry later"},
	}
	permanentErrors = []errorKind{
		{"Tasker::PermanentError", "Invalid input: missing customer_id"},
		{"ArgumentError", "wrong number of arguments (given 1, expected 2)"},
		{"NoMethodError", "undefined method `fetch' for nil:NilClass"},
	}
)

type stepState struct {
	attempts      int // Tasker's `attempts`: finished attempts
	done          bool
	dead          bool // failed and will not run again
	nextEligible  time.Time
	lastAttempted time.Time // last_attempted_at (zero: nil)
	processed     time.Time // processed_at
	saved         time.Time // updated_at of the last save (zero: not saved since creation)
	results       string    // step.results as JSON ("": none)
}

// ctx is where a log line comes from: process, thread, correlation id, tags.
type ctx struct {
	proc   int
	thread string
	corr   string
	tags   string
}

type job struct {
	id         string
	executions int // ActiveJob's executions, the running one included
}

type taskSim struct {
	o        *Options
	w        *world
	rng      *rand.Rand
	idx      int
	taskID   int64
	stepBase int64
	dag      DAG
	ns       string
	context  string
	identity string
	arrival  time.Time
	steps    []stepState
	info     *TaskInfo
	evs      []Item
	skip     []bool // items left out (copies not published, see dupe)
	digits   int

	state     string // the task's state
	run       int
	proc      int // worker process of the current run
	processed int // steps processed in the current run
	jc        ctx // the current run's job thread

	// Payloads are carved out of one arena per task: f appends to it and payload
	// takes the fields appended since mark.
	arena []Field
	mark  int
	logs  []LogEntry // log entries, allocated in chunks (see entry)
}

// entry returns a new log entry from the task's chunk (a full chunk is left to the
// entries that point into it, and a new one started).
func (s *taskSim) entry() *LogEntry {
	if len(s.logs) == cap(s.logs) {
		s.logs = make([]LogEntry, 0, max(64, cap(s.logs)))
	}
	s.logs = s.logs[:len(s.logs)+1]
	return &s.logs[len(s.logs)-1]
}

// simulateTask returns the items of task idx, in the order they were simulated, and
// their order in time.
func simulateTask(o *Options, w *world, idx int, arrival time.Time, taskID, stepBase int64, rng *rand.Rand, dag DAG) ([]Item, []int32) {
	s := &taskSim{o: o, w: w, rng: rng, idx: idx, taskID: taskID, stepBase: stepBase, dag: dag, arrival: arrival,
		digits: o.TSDigits, state: "pending"}
	if len(o.Namespaces) > 0 {
		s.ns = o.Namespaces[rng.IntN(len(o.Namespaces))]
	}
	prio := "normal"
	if rng.IntN(4) == 0 {
		prio = "high"
	}
	s.context = `{"request_id":"req_` + strconv.FormatUint(rng.Uint64()>>16, 16) + `","priority":"` + prio + `"}`
	s.identity = strconv.FormatUint(rng.Uint64(), 16)
	s.info = &TaskInfo{Task: idx, TaskID: taskID, TaskName: dag.TaskName, Namespace: s.ns, Version: o.TaskVersion,
		TotalSteps: len(dag.Names)}
	s.steps = make([]stepState, len(dag.Names))
	est := 100 + len(dag.Names)*45
	s.evs = make([]Item, 0, est)
	s.arena = make([]Field, 0, est*8)
	s.logs = make([]LogEntry, 0, est/2)
	s.life()
	// Leave out the skipped copies, then order by time, keeping the order of
	// appending among equal times; sort indexes, not the (large) items.
	order := make([]int32, 0, len(s.evs))
	for i := range s.evs {
		if i >= len(s.skip) || !s.skip[i] {
			order = append(order, int32(i))
		}
	}
	slices.SortStableFunc(order, func(a, b int32) int { return s.evs[a].Time.Compare(s.evs[b].Time) })
	for i, k := range order {
		s.evs[k].Seq = i
	}
	return s.evs, order
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
func us(n int) time.Duration { return time.Duration(n) * time.Microsecond }

// between returns a random duration in [lo, hi] milliseconds.
func (s *taskSim) between(lo, hi int) time.Duration { return ms(lo + s.rng.IntN(hi-lo+1)) }

// item appends an item at t.
func (s *taskSim) item(t time.Time, name string) *Item {
	s.evs = append(s.evs, Item{TaskInfo: s.info, Time: t, Name: name, Run: s.run, Status: s.state})
	return &s.evs[len(s.evs)-1]
}

// publish appends the event name from publisher with the payload built since the
// last item.
func (s *taskSim) publish(t time.Time, name, publisher string) *Item {
	fields := s.payload()
	if op, ok := orchLogged[name]; ok {
		// publish_event_with_logging: log_orchestration_event (debug) first.
		s.f(String("entity_type", "orchestration"), String("operation", op[0]), String("event_type", op[1]),
			s.id("task_id", s.taskID))
		for _, k := range []string{"step_count", "processing_mode", "reason", "processed_steps_count", "final_status",
			"processed_count", "successful_count"} {
			if v, ok := Get(fields, k); ok {
				s.f(Field{Key: k, Value: v})
			}
		}
		s.logRec(t, s.jc, LevelDebug, components[publisher], "Orchestration "+op[1])
	}
	it := s.item(t, name)
	it.Publisher, it.Fields = publisher, fields
	return it
}

// orchLogged: the workflow events published with a log_orchestration_event line
// (operation, event_type).
var orchLogged = map[string][2]string{
	WorkflowTaskStarted:           {"workflow_task_started", "started"},
	WorkflowViableStepsDiscovered: {"viable_steps_discovered", "discovered"},
	WorkflowNoViableSteps:         {"no_viable_steps", "detected"},
	WorkflowFinalizationStarted:   {"task_finalization", "started"},
	WorkflowFinalizationCompleted: {"task_finalization", "completed"},
	WorkflowStepsExecutionDone:    {"steps_execution_completed", "completed"},
}

var components = map[string]string{
	"coordinator": "workflow_coordinator", "discovery": "viable_step_discovery", "finalizer": "task_finalizer",
	"executor": "step_executor",
}

// last is the index of the last item.
func (s *taskSim) last() int { return len(s.evs) - 1 }

// dupe applies Options.DuplicateProb and ExactDuplicates to one occurrence: its
// primary item and the other copies Tasker published of it.
func (s *taskSim) dupe(primary int, copies ...int) {
	for n, k := range copies {
		s.evs[k].Copy = n + 1
	}
	if p := s.o.DuplicateProb; p < 1 && !(s.rng.Float64() < p) {
		for len(s.skip) < len(s.evs) {
			s.skip = append(s.skip, false)
		}
		for _, k := range copies {
			s.skip[k] = true
		}
		return
	}
	if s.o.ExactDuplicates {
		for _, k := range copies {
			s.evs[k].Fields = s.evs[primary].Fields
		}
	}
}

// logRec appends a structured log record with the fields built since the last item.
func (s *taskSim) logRec(t time.Time, c ctx, lvl Level, component, msg string) *Item {
	it := s.item(t, "")
	it.Log = s.entry()
	*it.Log = LogEntry{Level: lvl, Text: msg, Component: component, Process: c.proc, ThreadID: c.thread,
		Corr: c.corr, Tags: c.tags, Fields: s.payload()}
	return it
}

// plain appends a plain Rails.logger entry.
func (s *taskSim) plain(t time.Time, c ctx, lvl Level, text string) *Item {
	it := s.item(t, "")
	it.Log = s.entry()
	*it.Log = LogEntry{Level: lvl, Plain: true, Text: text, Process: c.proc, ThreadID: c.thread, Corr: c.corr, Tags: c.tags}
	return it
}

// taskEntity: log_task_event's fields.
func (s *taskSim) taskEntity(eventType string) {
	s.f(String("entity_type", "task"), s.id("entity_id", s.taskID), String("entity_name", s.dag.TaskName),
		String("event_type", eventType), String("task_status", s.state))
}

func (s *taskSim) idText() string { return strconv.FormatInt(s.taskID, 10) }

func (s *taskSim) uuid() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	h := strconv.FormatUint(a|1<<63, 16) + strconv.FormatUint(b|1<<63, 16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// life is the whole life of the task.
func (s *taskSim) life() {
	n := int64(len(s.dag.Names))
	t := s.arrival
	wt := s.w.web[s.rng.IntN(len(s.w.web))]
	web := ctx{proc: 0, thread: wt.ID, corr: wt.Corr}

	// TaskInitializer#initialize_task!: no transition row is written, so no
	// state-machine event; the initializer publishes task.start_requested itself.
	s.taskEntity("started")
	s.f(Int("step_count", n))
	s.logRec(t, web, LevelInfo, "task_initializer", "Task started")
	s.taskPayload(t, "started")
	s.f(raw("task_context", s.context), Int("step_count", n))
	s.publish(t, TaskStartRequested, "initializer").Occ = OccTaskCreated
	t = t.Add(us(300))
	s.taskEntity("enqueued")
	s.logRec(t, web, LevelInfo, "task_initializer", "Task enqueued")
	if s.o.Orchestration {
		s.taskPayload(t, "enqueue")
		s.f(raw("task_context", s.context))
		s.publish(t, TaskEnqueue, "initializer")
	}
	j := &job{id: s.uuid()}
	s.plain(t.Add(us(200)), web, LevelInfo, "Enqueued Tasker::TaskRunnerJob (Job ID: "+j.id+") to Async(default) with arguments: "+s.idText())
	t = t.Add(s.between(5, 30)) // waiting in the job queue

	for range 1000 {
		j.executions++
		end, wake, procedural := s.jobRun(t, j)
		if s.state == "complete" {
			return
		}
		jc := s.jc
		class, msg := nameError, nameErrorMessage
		if procedural {
			class, msg = procError, s.procMessage()
		}
		wait := 3*time.Second + s.between(0, 450)
		if j.executions < 3 {
			s.plain(end, jc, LevelInfo, "Retrying Tasker::TaskRunnerJob (Job ID: "+j.id+") after "+strconv.Itoa(j.executions)+
				" attempts in 3 seconds, due to a "+class+" ("+msg+").")
			t = end.Add(wait)
			continue
		}
		s.giveUp(end, jc, j, class, msg)
		if s.state == "error" {
			return // failed for good: nothing runs it again
		}
		// The job gave up on a pending task: the host enqueues a new one once the
		// backoff has passed.
		t = end.Add(wait)
		if wake.After(t) {
			t = wake
		}
		j = &job{id: s.uuid()}
		s.plain(t, web, LevelInfo, "Enqueued Tasker::TaskRunnerJob (Job ID: "+j.id+") to Async(default) with arguments: "+s.idText())
		t = t.Add(s.between(5, 30))
	}
}

func jobTags(j *job) string { return "[ActiveJob] [Tasker::TaskRunnerJob] [" + j.id + "] " }

func (s *taskSim) parentsDone(i int) bool {
	for _, p := range s.dag.Parents[i] {
		if !s.steps[p].done {
			return false
		}
	}
	return true
}

// viable returns the steps that can run at t, and the earliest time a failed step's
// backoff ends (zero if none waits).
func (s *taskSim) viable(t time.Time, out []int) ([]int, time.Time) {
	out = out[:0]
	var wake time.Time
	for i := range s.steps {
		st := &s.steps[i]
		if st.done || st.dead || !s.parentsDone(i) {
			continue
		}
		if st.nextEligible.After(t) {
			if wake.IsZero() || st.nextEligible.Before(wake) {
				wake = st.nextEligible
			}
			continue
		}
		out = append(out, i)
	}
	return out, wake
}
