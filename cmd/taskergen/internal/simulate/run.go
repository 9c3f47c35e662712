// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package simulate

import (
	"strconv"
	"strings"
	"time"
)

// One TaskRunnerJob execution (app/jobs/tasker/task_runner_job.rb,
// workflow_coordinator.rb, viable_step_discovery.rb, task_finalizer.rb).

const (
	nameError        = "NameError"
	nameErrorMessage = "uninitialized constant Tasker::Constants::TaskStatuses::FAILED"
	procError        = "Tasker::ProceduralError"
	gems             = "/usr/local/bundle/gems/"
)

func (s *taskSim) procMessage() string {
	return "task is not pending for task " + s.idText() + ", status is " + s.state
}

// jobBacktrace is the backtrace of an exception raised in TaskRunnerJob.
func jobBacktrace(procedural bool) []string {
	head := gems + "tasker-engine-0.1.0/app/jobs/tasker/task_runner_job.rb:198:in `validate_task_completion'"
	if procedural {
		head = gems + "tasker-engine-0.1.0/lib/tasker/orchestration/task_initializer.rb:95:in `start_task!'"
	}
	return []string{
		head,
		gems + "tasker-engine-0.1.0/app/jobs/tasker/task_runner_job.rb:158:in `execute_task_with_monitoring'",
		gems + "tasker-engine-0.1.0/app/jobs/tasker/task_runner_job.rb:54:in `block in perform'",
		gems + "tasker-engine-0.1.0/lib/tasker/concerns/structured_logging.rb:98:in `with_correlation_id'",
		gems + "tasker-engine-0.1.0/app/jobs/tasker/task_runner_job.rb:35:in `perform'",
		gems + "activejob-7.2.2/lib/active_job/execution.rb:68:in `block in _perform_job'",
		gems + "activesupport-7.2.2/lib/active_support/callbacks.rb:121:in `block in run_callbacks'",
	}
}

// jobRun simulates one execution of job j starting at t. It returns when the
// execution ended, the earliest end of a backoff that keeps the task pending (zero
// if none), and whether it raised Tasker::ProceduralError.
func (s *taskSim) jobRun(t time.Time, j *job) (time.Time, time.Time, bool) {
	s.run++
	s.proc = 1 + s.rng.IntN(len(s.w.jobs))
	th := s.w.jobs[s.proc-1][s.rng.IntN(len(s.w.jobs[s.proc-1]))]
	// TaskRunnerJob sets a fresh correlation id for every perform.
	jc := ctx{proc: s.proc, thread: th.ID, corr: correlationID(s.rng, t), tags: jobTags(j)}
	s.jc = jc
	begin := t
	attempt := int64(j.executions + 1) // Tasker's `executions + 1`: one more than the real execution
	s.plain(t, jc, LevelInfo, "Performing Tasker::TaskRunnerJob (Job ID: "+j.id+") from Async(default) enqueued at "+
		ISO8601(t.Add(-s.between(2, 9)), 9)+" with arguments: "+s.idText())
	t = t.Add(us(400))
	s.f(s.id("task_id", s.taskID), String("job_id", j.id), String("queue_name", "default"), Int("attempt", attempt))
	s.logRec(t, jc, LevelInfo, "task_runner_job", "TaskRunnerJob execution started").Occ = OccRunStarted
	t = t.Add(us(1500))
	s.taskEntity("enqueued")
	s.f(String("queue_name", "default"))
	s.logRec(t, jc, LevelInfo, "task_runner_job", "Task enqueued")
	if s.o.Orchestration {
		s.taskPayload(t, "enqueue")
		s.f(String("job_id", j.id), String("correlation_id", jc.corr), String("queue_name", "default"),
			Int("attempt", attempt), raw("task_context", s.context))
		s.publish(t, TaskEnqueue, "job")
	}
	t = t.Add(us(200))
	s.plain(t, jc, LevelInfo, "TaskRunnerJob: Starting execution for task "+s.idText())
	s.taskEntity("job_execution_started")
	s.f(String("job_id", j.id), String("queue_name", "default"), Int("attempt", attempt))
	s.logRec(t.Add(us(100)), jc, LevelInfo, "task_runner_job", "Task job_execution_started")
	t = t.Add(s.between(1, 4))

	if s.state != "pending" {
		// start_task! refuses a task that is not pending.
		s.processed = 0
		s.jobException(t, jc, j, procError, s.procMessage(), t.Sub(begin), true)
		return t.Add(us(500)), time.Time{}, true
	}

	// start_task!: the state machine's pending→in_progress, then the initializer's.
	handle := t
	s.transition(t, "in_progress", TaskStartRequested)
	sm := s.last()
	t = t.Add(us(700))
	s.taskEntity("started")
	s.logRec(t, jc, LevelInfo, "task_initializer", "Task started")
	s.taskPayload(t, "started")
	s.f(raw("task_context", s.context))
	s.publish(t, TaskStartRequested, "initializer")
	s.dupe(s.last(), sm)
	if s.o.Orchestration {
		t = t.Add(us(500))
		s.orch(t, "task_started")
		s.f(String("correlation_id", jc.corr), s.id("task_id", s.taskID))
		s.publish(t, WorkflowTaskStarted, "coordinator")
	}

	s.processed = 0
	var viable []int
	var wake time.Time
	for {
		t = t.Add(s.between(1, 3))
		viable, wake = s.viable(t, viable)
		if len(viable) == 0 {
			break
		}
		t = s.iteration(t, viable)
	}
	if s.o.Orchestration {
		s.orch(t, "no_viable_steps")
		s.f(Int("total_steps_checked", int64(len(s.steps))), // sequence.steps.size
			s.id("task_id", s.taskID), String("reason", "No steps ready for execution"))
		s.publish(t, WorkflowNoViableSteps, "discovery")
		p := s.last()
		s.orch(t.Add(us(150)), "no_viable_steps")
		s.f(s.id("task_id", s.taskID), String("reason", "No steps ready for execution"))
		s.publish(t.Add(us(150)), WorkflowNoViableSteps, "coordinator")
		s.dupe(p, s.last())
	}
	t = s.finalize(t.Add(s.between(1, 3)), jc, wake)
	s.perf(t, jc, "task_handler_execution", t.Sub(handle), s.id("task_id", s.taskID), String("task_name", s.dag.TaskName),
		String("handler_class", handlerClass(s.dag.TaskName))).Log.Component = "task_runner_job"
	return s.jobEnd(t.Add(us(100)), jc, j, begin), wake, false
}

// iteration runs one batch of viable steps concurrently, one pool thread each.
func (s *taskSim) iteration(t time.Time, viable []int) time.Time {
	if s.o.Orchestration {
		ids := make([]int64, len(viable))
		names := make([]string, len(viable))
		for k, i := range viable {
			ids[k] = s.stepBase + int64(i)
			names[k] = s.dag.Names[i]
		}
		stepIDs := Ints("step_ids", ids)
		if s.o.StringIDs {
			strIDs := make([]string, len(ids))
			for k, id := range ids {
				strIDs[k] = strconv.FormatInt(id, 10)
			}
			stepIDs = Strings("step_ids", strIDs)
		}
		count := Int("step_count", int64(len(viable)))
		s.orch(t, "viable_steps_discovered")
		s.f(Int("viable_count", int64(len(viable))), Strings("step_names", names), s.id("task_id", s.taskID), stepIDs,
			String("processing_mode", "concurrent"), count)
		s.publish(t, WorkflowViableStepsDiscovered, "discovery")
		p := s.last()
		s.orch(t.Add(us(200)), "viable_steps_discovered")
		s.f(s.id("task_id", s.taskID), stepIDs, String("processing_mode", "concurrent"), count)
		s.publish(t.Add(us(200)), WorkflowViableStepsDiscovered, "coordinator")
		s.dupe(p, s.last())
		s.orch(t.Add(us(400)), "steps_execution_started")
		s.f(s.id("task_id", s.taskID), String("task_name", s.dag.TaskName), count, String("processing_mode", "concurrent"))
		s.publish(t.Add(us(400)), WorkflowStepsExecutionStarted, "executor")
	}
	begin := t
	pool := s.w.pool[s.proc-1]
	base := s.rng.IntN(len(pool))
	end, ok := t, 0
	for k, i := range viable {
		th := pool[(base+k)%len(pool)]
		e, completed := s.attempt(i, t.Add(s.between(1, 5)), ctx{proc: s.proc, thread: th.ID, corr: th.Corr})
		if e.After(end) {
			end = e
		}
		if completed {
			ok++
		}
		s.processed++
	}
	t = end.Add(s.between(1, 3))
	s.perf(t.Add(-us(200)), s.jc, "concurrent_execution", t.Add(-us(200)).Sub(begin), s.id("task_id", s.taskID),
		Int("step_count", int64(len(viable))), Int("successful_count", int64(ok)), Int("failure_count", int64(len(viable)-ok)))
	if s.o.Orchestration {
		s.orch(t, "steps_execution_completed")
		s.f(s.id("task_id", s.taskID), String("task_name", s.dag.TaskName),
			Int("processed_count", int64(len(viable))), Int("successful_count", int64(ok)))
		s.publish(t, WorkflowStepsExecutionDone, "executor")
	}
	return t
}

// handlerClass is the task handler's class name, as Tasker logs it.
func handlerClass(task string) string {
	b := []byte{}
	up := true
	for _, c := range []byte(task) {
		switch {
		case c == '_':
			up = true
		case up:
			b = append(b, c-'a'+'A')
			up = false
		default:
			b = append(b, c)
		}
	}
	return string(b) + "Handler"
}

// finalization is what the finalizer decides.
type finalization struct {
	execStatus, health, action, final string
}

func (s *taskSim) decide(wake time.Time) finalization {
	st := s.stats()
	switch {
	case st.completed == st.total:
		return finalization{"all_complete", "healthy", "finalize_task", "complete"}
	case !wake.IsZero():
		return finalization{"waiting_for_dependencies", "recovering", "wait_for_dependencies", "pending"}
	}
	return finalization{"blocked_by_failures", "blocked", "handle_failures", "error"}
}

// finalizerContext: the TaskExecutionContext fields the finalizer's events carry.
func (s *taskSim) finalizerContext(fin finalization) {
	st := s.stats()
	s.f(String("execution_status", fin.execStatus), String("health_status", fin.health),
		String("completion_percentage", st.percentage()), Int("total_steps", int64(st.total)), Int("ready_steps", 0),
		Int("failed_steps", int64(st.failed)), String("recommended_action", fin.action))
}

func (s *taskSim) finalize(t time.Time, jc ctx, wake time.Time) time.Time {
	fin := s.decide(wake)
	st := s.stats()
	id := s.idText()
	if s.o.Orchestration {
		s.orch(t, "task_finalization_started")
		s.f(s.id("task_id", s.taskID), Int("processed_steps_count", int64(s.processed)))
		s.publish(t, WorkflowFinalizationStarted, "coordinator")
		c := s.last()
		s.orch(t.Add(us(300)), "task_finalization_started")
		s.finalizerContext(fin)
		s.f(s.id("task_id", s.taskID), Int("processed_steps_count", int64(s.processed)))
		s.publish(t.Add(us(300)), WorkflowFinalizationStarted, "finalizer")
		s.dupe(s.last(), c)
	}
	t = t.Add(ms(1))
	s.plain(t, jc, LevelInfo, "TaskFinalizer: Making decision for task "+id+" with execution_status: "+fin.execStatus)
	s.plain(t.Add(us(50)), jc, LevelInfo, "TaskFinalizer: Task "+id+" context details - ready_steps: 0, total_steps: "+
		strconv.Itoa(st.total)+", pending_steps: "+strconv.Itoa(st.pending)+", in_progress_steps: 0, completed_steps: "+
		strconv.Itoa(st.completed)+", failed_steps: "+strconv.Itoa(st.failed))
	t = t.Add(us(200))
	switch fin.final {
	case "complete":
		var sm int
		t, sm = s.decision(t, jc, "- calling complete_task", "complete", TaskCompleted)
		s.taskEntity("completed")
		s.f(Int("total_steps", int64(st.total)))
		s.logRec(t, jc, LevelInfo, "task_finalizer", "Task completed")
		s.taskPayload(t, "completed")
		s.f(s.taskObject(t), String("completion_percentage", st.percentage()), String("health_status", fin.health))
		// completed_at: the finalizer passes a Ruby Time, replacing the builder's string.
		s.replace("completed_at", rubyTime("completed_at", t.Add(-us(900))))
		it := s.publish(t, TaskCompleted, "finalizer")
		it.Occ, it.Duration = OccTaskCompleted, t.Sub(s.arrival)
		s.dupe(s.last(), sm)
		s.plain(t.Add(us(100)), jc, LevelInfo, "TaskFinalizer: Task "+id+" completed successfully ("+strconv.Itoa(st.total)+
			" steps,\n"+strings.Repeat(" ", 28)+st.percentage()+"% complete)")
	case "error":
		var sm int
		t, sm = s.decision(t, jc, "- calling error_task", "error", TaskFailed)
		s.taskEntity("failed")
		// publish_task_failed logs error_steps.size, and the finalizer passes none.
		s.f(String("error", "steps_in_error_state"), Int("failed_step_count", 0))
		s.logRec(t, jc, LevelInfo, "task_finalizer", "Task failed")
		s.taskPayload(t, "failed")
		s.f(String("error_message", "steps_in_error_state"), Int("failed_steps_count", int64(st.failed)),
			String("completion_percentage", st.percentage()), String("health_status", fin.health), Strings("error_steps", nil))
		it := s.publish(t, TaskFailed, "finalizer")
		it.Occ, it.Duration = OccTaskFailed, t.Sub(s.arrival)
		it.Failure = &Failure{ErrorMessage: "steps_in_error_state"}
		s.dupe(s.last(), sm)
		s.plain(t.Add(us(100)), jc, LevelInfo, "TaskFinalizer: Task "+id+" failed - "+strconv.Itoa(st.failed)+
			" failed steps, "+fin.health+" health")
	default:
		var sm int
		t, sm = s.decision(t, jc, "- waiting for dependencies", "pending", TaskInitializeRequested)
		s.taskPayload(t, "pending_transition")
		s.f(String("reason", "waiting_for_dependencies"), Int("ready_steps", 0), Int("in_progress_steps", 0),
			String("completion_percentage", st.percentage()), String("health_status", fin.health))
		s.publish(t, TaskInitializeRequested, "finalizer")
		s.dupe(s.last(), sm)
		s.plain(t.Add(us(100)), jc, LevelInfo, "TaskFinalizer: Task "+id+" set to pending - waiting_for_dependencies (ready_steps: 0, in_progress: 0)")
	}
	t = t.Add(us(400))
	if s.o.Orchestration {
		s.orch(t, "task_finalization_completed")
		s.finalizerContext(fin)
		s.f(s.id("task_id", s.taskID), Int("processed_steps_count", int64(s.processed)), String("final_status", s.state))
		s.publish(t, WorkflowFinalizationCompleted, "finalizer")
		p := s.last()
		s.orch(t.Add(us(200)), "task_finalization_completed")
		s.f(s.id("task_id", s.taskID), Int("processed_steps_count", int64(s.processed)), String("final_status", s.state))
		s.publish(t.Add(us(200)), WorkflowFinalizationCompleted, "coordinator")
		s.dupe(p, s.last())
	}
	return t.Add(us(500))
}

// decision logs the finalizer's decision and makes the transition; it returns the
// time after it and the index of the state machine's event.
func (s *taskSim) decision(t time.Time, jc ctx, what, to, name string) (time.Time, int) {
	s.plain(t, jc, LevelInfo, "TaskFinalizer: Task "+s.idText()+" "+what)
	t = t.Add(ms(1))
	s.transition(t, to, name)
	return t.Add(us(600)), s.last()
}

// replace sets the value of key among the fields being built (keeping its place).
func (s *taskSim) replace(key string, f Field) {
	for i := len(s.arena) - 1; i >= s.mark; i-- {
		if s.arena[i].Key == key {
			s.arena[i] = f
			return
		}
	}
}

func msFloat(d time.Duration) float64 {
	return float64(d.Round(10*time.Microsecond).Microseconds()) / 1000
}

// jobEnd writes the end of the execution: success lines, or the NameError.
func (s *taskSim) jobEnd(t time.Time, jc ctx, j *job, begin time.Time) time.Time {
	exec := Float("execution_duration_ms", msFloat(t.Sub(begin)))
	s.taskEntity("job_execution_completed")
	s.f(String("job_id", j.id), String("final_status", s.state), exec)
	s.logRec(t, jc, LevelInfo, "task_runner_job", "Task job_execution_completed")
	t = t.Add(us(300))
	if s.state == "complete" {
		s.f(s.id("task_id", s.taskID), String("final_status", s.state), exec)
		s.logRec(t, jc, LevelInfo, "task_runner_job", "TaskRunnerJob: Task completed successfully")
		s.plain(t.Add(us(100)), jc, LevelInfo, "TaskRunnerJob: Completed execution for task "+s.idText())
		t = t.Add(us(400))
		s.perf(t.Add(-us(100)), jc, "task_runner_job_execution", t.Add(-us(100)).Sub(begin), s.id("task_id", s.taskID),
			String("job_id", j.id), String("final_status", s.state), String("correlation_id", jc.corr)).Log.Component = "task_runner_job"
		s.f(s.id("task_id", s.taskID), String("job_id", j.id), String("final_task_status", s.state),
			Float("duration_ms", msFloat(t.Sub(begin))))
		s.logRec(t, jc, LevelInfo, "task_runner_job", "TaskRunnerJob execution completed")
		s.plain(t.Add(us(200)), jc, LevelInfo, "Performed Tasker::TaskRunnerJob (Job ID: "+j.id+") from Async(default) in "+
			strconv.FormatFloat(msFloat(t.Sub(begin)), 'f', -1, 64)+"ms")
		return t.Add(us(300))
	}
	msg := "Task processing failed for task " + s.idText() + " - final status: " + s.state
	s.taskEntity("job_execution_failed")
	s.f(String("job_id", j.id), String("final_status", s.state), String("error", msg))
	s.logRec(t, jc, LevelInfo, "task_runner_job", "Task job_execution_failed")
	s.plain(t.Add(us(100)), jc, LevelError, "TaskRunnerJob: "+msg)
	t = t.Add(us(300))
	s.jobException(t, jc, j, nameError, nameErrorMessage, t.Sub(begin), false)
	return t.Add(us(500))
}

// jobException is TaskRunnerJob#perform's rescue: log_exception, a plain error line,
// then the exception goes to ActiveJob.
func (s *taskSim) jobException(t time.Time, jc ctx, j *job, class, msg string, took time.Duration, procedural bool) {
	s.f(String("entity_type", "exception"), String("exception_class", class), String("exception_message", msg),
		Strings("backtrace", jobBacktrace(procedural)), s.id("task_id", s.taskID), String("job_id", j.id),
		String("operation", "task_runner_job_execution"), Float("duration", took.Seconds()),
		Int("attempt", int64(j.executions+1)))
	s.logRec(t, jc, LevelError, "task_runner_job", "Exception occurred: "+class)
	s.plain(t.Add(us(150)), jc, LevelError, "TaskRunnerJob: Error processing task "+s.idText()+": "+msg)
}

// giveUp is ActiveJob's end of a job whose last retry failed: "Stopped retrying",
// then "Error performing" with the backtrace, one frame per line.
func (s *taskSim) giveUp(t time.Time, jc ctx, j *job, class, msg string) {
	s.plain(t, jc, LevelError, "Stopped retrying Tasker::TaskRunnerJob (Job ID: "+j.id+") due to a "+class+" ("+msg+
		"), which reoccurred on "+strconv.Itoa(j.executions)+" attempts.")
	took := strconv.FormatFloat(float64(20+s.rng.IntN(2000))/100, 'f', 2, 64)
	s.plain(t.Add(us(200)), jc, LevelError, "Error performing Tasker::TaskRunnerJob (Job ID: "+j.id+") from Async(default) in "+
		took+"ms: "+class+" ("+msg+"):\n"+strings.Join(jobBacktrace(class == procError), "\n"))
}
