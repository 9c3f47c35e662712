// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

// Command taskergen simulates Tasker workflows and emits the events they publish: to
// the tasker receiver over HTTP, as Tasker's structured log lines in a file, or to
// stdout. It prints a JSON summary of exactly what it produced, for tests to compare
// with what came out of the collector. See README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tasker-systems/otelcol-tasker/cmd/taskergen/internal/simulate"
	"github.com/tasker-systems/otelcol-tasker/internal/ctxsleep"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

var errInterrupted = errors.New("interrupted")

// defaultURL is where the tasker receiver listens by default (otelcol-config.yaml).
const defaultURL = "http://127.0.0.1:4320/v1/events"

type config struct {
	sim simulate.Options

	http httpConfig

	logFile     string
	logFormat   string
	logPrefix   bool
	logLevel    severity
	plainLines  int
	rotateBytes int64
	rotateKeep  int
	pid         int
	environment string

	stdout      string // auto, events, log, none
	summaryPath string
	rate        float64
	progress    time.Duration
	quiet       bool
}

type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }
func (f *headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: want Name: value", v)
	}
	f.h.Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{sim: simulate.Defaults()}
	o := &c.sim
	fs := flag.NewFlagSet("taskergen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: taskergen [flags]\n\nSimulates Tasker workflows and emits their events (see cmd/taskergen/README.md).\n\nFlags:")
		fs.PrintDefaults()
	}

	// Simulation.
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of every random choice: same seed and flags, same output")
	fs.IntVar(&o.Tasks, "tasks", o.Tasks, "number of tasks to simulate")
	shapes := fs.String("shapes", "linear,diamond,fanout", "DAG shapes, each with an optional weight: linear, diamond, fanout (e.g. linear=3,fanout=1)")
	fs.IntVar(&o.Steps, "steps", o.Steps, "steps of a linear task")
	fs.IntVar(&o.Width, "width", o.Width, "parallel steps of a fanout task (it has width+2 steps)")
	start := fs.String("start", "now", "simulated clock at the first task: RFC 3339 time, or now")
	fs.DurationVar(&o.Arrival, "arrival", o.Arrival, "mean simulated time between task arrivals (exponential; 0: all at --start)")
	fs.DurationVar(&o.StepDuration, "step-duration", o.StepDuration, "mean simulated duration of a step attempt (log-normal)")
	fs.Float64Var(&o.Jitter, "duration-jitter", o.Jitter, "sigma of the log-normal step duration (0: every attempt takes --step-duration)")
	fs.Float64Var(&o.FailProb, "fail", o.FailProb, "probability that a step attempt fails")
	fs.Float64Var(&o.RetryableProb, "retryable", o.RetryableProb, "probability that a failure is retryable (else the step fails for good)")
	fs.IntVar(&o.RetryLimit, "retry-limit", o.RetryLimit, "Tasker's retry_limit: a retryable step is retried while attempts < retry-limit")
	fs.DurationVar(&o.BackoffBase, "backoff-base", o.BackoffBase, "exponential backoff base_delay")
	fs.Float64Var(&o.BackoffMultiplier, "backoff-multiplier", o.BackoffMultiplier, "exponential backoff multiplier")
	fs.DurationVar(&o.BackoffMax, "backoff-max", o.BackoffMax, "cap of the exponential backoff")
	fs.Float64Var(&o.BackoffJitter, "backoff-jitter", o.BackoffJitter, "jitter_max_percentage of the exponential backoff (0: no jitter)")
	fs.Float64Var(&o.ServerBackoffProb, "server-backoff", o.ServerBackoffProb, "probability that a backoff is server_requested (retry_after 1-5 s)")
	fs.Float64Var(&o.DuplicateProb, "duplicates", o.DuplicateProb, "probability that an occurrence is published with all of Tasker's copies (1: Tasker's behaviour; else only its primary copy)")
	fs.BoolVar(&o.ExactDuplicates, "exact-duplicates", false, "copies repeat the primary copy's payload byte for byte (default: each publisher's own payload, as Tasker)")
	fs.BoolVar(&o.StringIDs, "string-ids", false, "emit task_id, step_id and step_ids as JSON strings")
	fs.BoolVar(&o.Orchestration, "orchestration", true, "also emit workflow.* and observability.task.enqueue events")
	namespaces := fs.String("namespaces", "", "comma-separated namespaces, one drawn per task, added as a namespace field (empty: none, as Tasker)")
	fs.StringVar(&o.TaskVersion, "task-version", o.TaskVersion, "version field of task and step events (empty: none, as Tasker)")
	fs.IntVar(&o.TSDigits, "ts-digits", o.TSDigits, "fractional-second digits of builder payload timestamps (Tasker's builder: 0)")
	fs.Int64Var(&o.FirstTaskID, "first-task-id", o.FirstTaskID, "task_id of the first task, then consecutive (0: from the seed, so that seeds never share ids)")
	fs.Int64Var(&o.FirstStepID, "first-step-id", o.FirstStepID, "step_id of the first step, then consecutive over all tasks (0: from the seed)")
	fs.IntVar(&o.Workers, "workers", o.Workers, "job worker processes (pid+1 ...), each with its own threads")
	fs.IntVar(&o.PoolThreads, "pool-threads", o.PoolThreads, "step-executor pool threads per worker (each keeps its own correlation id)")

	// HTTP.
	c.http.headers = http.Header{}
	fs.StringVar(&c.http.url, "http", "", "POST events to this URL, or \"default\" for the receiver's "+defaultURL+" (only this URL is ever contacted)")
	fs.StringVar(&c.http.format, "http-format", "ndjson", "request body: ndjson (one event per line) or array (a JSON array)")
	fs.IntVar(&c.http.batch, "batch", 100, "events per request")
	fs.StringVar(&c.http.secret, "secret", os.Getenv("TASKER_WEBHOOK_SECRET"), "sign each body: X-Tasker-Signature: sha256=<hex HMAC-SHA256> (default: $TASKER_WEBHOOK_SECRET)")
	fs.BoolVar(&c.http.gzip, "gzip", false, "gzip request bodies (Content-Encoding: gzip)")
	fs.BoolVar(&c.http.signCompressed, "sign-compressed", false, "with --gzip, sign the compressed bytes instead of the JSON")
	fs.BoolVar(&c.http.signTimestamp, "sign-timestamp", false, "with --secret, send X-Tasker-Timestamp (Unix seconds) and sign \"<timestamp>.<body>\" (the receiver's require_timestamp scheme)")
	fs.DurationVar(&c.http.timeout, "http-timeout", 30*time.Second, "timeout of one request")
	fs.IntVar(&c.http.maxRetries, "http-retries", 10, "retries of a request answered 503/429 or failing to connect, then give up")
	fs.DurationVar(&c.http.retryInitial, "http-retry-initial", 100*time.Millisecond, "first retry wait when the server sends no Retry-After (doubles)")
	fs.DurationVar(&c.http.retryMax, "http-retry-max", 30*time.Second, "longest retry wait, Retry-After included")
	fs.Var(&headerFlag{c.http.headers}, "H", "extra request header \"Name: value\" (repeatable)")

	// Logs.
	fs.StringVar(&c.logFile, "log-file", "", "write Tasker structured log lines to this file (truncated first)")
	fs.StringVar(&c.logFormat, "log-format", "json", "log payload format: json, logfmt or pretty (multi-line JSON)")
	fs.BoolVar(&c.logPrefix, "log-prefix", true, "prefix lines with the Rails logger's \"I, [time #pid]  INFO -- : \"")
	level := fs.String("log-level", "info", "lowest level written: debug (adds orchestration records), info, warn, error")
	fs.IntVar(&c.plainLines, "plain-lines", 0, "plain non-Tasker lines to spread among the log lines")
	fs.Int64Var(&c.rotateBytes, "rotate-bytes", 0, "rotate the log file when it would exceed this size: rename to PATH.1, reopen (0: never)")
	fs.IntVar(&c.rotateKeep, "rotate-keep", 1, "rotated files kept (PATH.1 ... PATH.N)")
	fs.IntVar(&c.pid, "pid", 4242, "process id of the web process in log lines (worker k: pid+k)")
	fs.StringVar(&c.environment, "environment", "production", "environment field of log lines")

	// Run.
	fs.StringVar(&c.stdout, "stdout", "auto", "what goes to stdout: events (NDJSON), log (log lines), none, or auto (events when there is no --http and no --log-file)")
	fs.StringVar(&c.summaryPath, "summary", "", "write the JSON summary to this file (default: stdout, or stderr when stdout carries events)")
	fs.Float64Var(&c.rate, "rate", 0, "items (publications and log entries) per second of wall-clock time (0: as fast as possible)")
	fs.DurationVar(&c.progress, "progress", 2*time.Second, "interval of progress lines on stderr (0: none)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.Shapes, err = simulate.ParseShapes(*shapes); err != nil {
		return nil, err
	}
	o.Namespaces = nil
	for _, ns := range strings.Split(*namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.Namespaces = append(o.Namespaces, ns)
		}
	}
	if *start == "now" || *start == "" {
		o.Start = time.Now().UTC().Truncate(time.Millisecond)
	} else if o.Start, err = time.Parse(time.RFC3339Nano, *start); err != nil {
		return nil, fmt.Errorf("--start: %w", err)
	}
	o.Start = o.Start.UTC()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if c.logLevel, err = parseSeverity(*level); err != nil {
		return nil, err
	}
	switch {
	case c.http.format != "array" && c.http.format != "ndjson":
		return nil, fmt.Errorf("--http-format %q: want array or ndjson", c.http.format)
	case c.logFormat != "json" && c.logFormat != "logfmt" && c.logFormat != "pretty":
		return nil, fmt.Errorf("--log-format %q: want json, logfmt or pretty", c.logFormat)
	case c.stdout != "auto" && c.stdout != "events" && c.stdout != "log" && c.stdout != "none":
		return nil, fmt.Errorf("--stdout %q: want auto, events, log or none", c.stdout)
	case c.http.batch < 1:
		return nil, errors.New("--batch must be at least 1")
	case c.http.maxRetries < 0:
		return nil, errors.New("--http-retries must not be negative")
	case c.rate < 0:
		return nil, errors.New("--rate must not be negative")
	case c.plainLines < 0 || c.rotateBytes < 0:
		return nil, errors.New("--plain-lines and --rotate-bytes must not be negative")
	case c.rotateKeep < 1:
		return nil, errors.New("--rotate-keep must be at least 1")
	}
	if c.http.url == "default" {
		c.http.url = defaultURL
	}
	if c.http.url != "" {
		if err := validateURL(c.http.url); err != nil {
			return nil, fmt.Errorf("--http: %w", err)
		}
	}
	if c.stdout == "auto" {
		c.stdout = "none"
		if c.http.url == "" && c.logFile == "" {
			c.stdout = "events"
		}
	}
	if c.summaryPath == "-" && c.stdout != "none" {
		return nil, errors.New("--summary -: stdout already carries " + c.stdout)
	}
	return c, nil
}

// pacer holds the emission to rate events per second of wall-clock time.
type pacer struct {
	rate  float64
	start time.Time
	n     int64
}

func (p *pacer) wait(ctx context.Context, beforeSleep func()) error {
	if p.rate <= 0 {
		return nil
	}
	if p.n == 0 {
		p.start = time.Now()
	}
	due := p.start.Add(time.Duration(float64(p.n) / p.rate * float64(time.Second)))
	p.n++
	if d := time.Until(due); d > time.Millisecond {
		beforeSleep()
		return ctxsleep.Sleep(ctx, d)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, "taskergen:", err)
		return exitUsage
	}
	code, err := generate(ctx, c, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "taskergen:", err)
	}
	return code
}

func generate(ctx context.Context, c *config, stdout, stderr io.Writer) (int, error) {
	gen, err := simulate.New(c.sim)
	if err != nil {
		return exitUsage, err
	}
	var outStdout *bufio.Writer
	if c.stdout != "none" {
		outStdout = bufio.NewWriterSize(stdout, 64<<10)
	}

	// Log outputs: the file, and/or stdout in log mode.
	newEnc := func() *logEncoder {
		return &logEncoder{format: c.logFormat, prefix: c.logPrefix, pid: c.pid, env: c.environment,
			minLevel: c.logLevel}
	}
	var records int64
	if c.plainLines > 0 && (c.logFile != "" || c.stdout == "log") {
		if records, err = countRecords(c.sim, c.logLevel); err != nil {
			return exitUsage, err
		}
	}
	var logs []*logOutput
	var file *rotatingFile
	if c.logFile != "" {
		if file, err = openRotating(c.logFile, c.rotateBytes, c.rotateKeep); err != nil {
			return exitFailed, err
		}
		logs = append(logs, newLogOutput(newEnc(), file, c.sim.Seed, c.plainLines, records))
	}
	if c.stdout == "log" {
		logs = append(logs, newLogOutput(newEnc(), &streamSink{outStdout}, c.sim.Seed, c.plainLines, records))
	}
	var hout *httpOutput
	if c.http.url != "" {
		hout = newHTTPOutput(c.http)
	}

	tally := simulate.NewTally()
	stdoutEvents := 0
	var buf []byte
	pace := pacer{rate: c.rate}
	flushAll := func() {
		if outStdout != nil {
			_ = outStdout.Flush()
		}
		if file != nil {
			_ = file.Flush()
		}
	}
	began := time.Now()
	lastProgress := began
	progressed := false
	progress := func(final bool) {
		if c.quiet || c.progress <= 0 {
			return
		}
		now := time.Now()
		if !final && now.Sub(lastProgress) < c.progress || final && !progressed {
			return
		}
		lastProgress, progressed = now, true
		el := now.Sub(began).Seconds()
		sim := ""
		if tally.Events > 0 {
			sim = tally.Last.Format(time.RFC3339)
		}
		fmt.Fprintf(stderr, "taskergen: %d events, tasks %d/%d started, %d done, simulated clock %s, %.0f events/s\n",
			tally.Events, gen.Tasks(), c.sim.Tasks, tally.TasksCompleted+tally.TasksFailed, sim, float64(tally.Events)/max(el, 1e-9))
	}

	var runErr error
	interrupted := false
	for {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		ev, ok := gen.Next()
		if !ok {
			break
		}
		if err := pace.wait(ctx, flushAll); err != nil {
			interrupted = true
			break
		}
		tally.Add(ev)
		if c.stdout == "events" && ev.Name != "" {
			buf = simulate.AppendObject(buf[:0], "event", ev.Name, ev.Fields)
			buf = append(buf, '\n')
			if _, err := outStdout.Write(buf); err != nil {
				runErr = err
				break
			}
			stdoutEvents++
		}
		for _, l := range logs {
			if err := l.event(ev); err != nil {
				runErr = err
				break
			}
		}
		if runErr != nil {
			break
		}
		if hout != nil && ev.Name != "" {
			if err := hout.add(ctx, ev); err != nil {
				runErr = err
				break
			}
		}
		if tally.Events&1023 == 0 {
			progress(false)
		}
	}
	if runErr == nil && !interrupted && hout != nil {
		runErr = hout.flush(ctx)
	}
	if ctx.Err() != nil {
		interrupted = true
	}
	for _, l := range logs {
		if err := l.finish(c.sim.Start); err != nil && runErr == nil {
			runErr = err
		}
	}
	if outStdout != nil {
		if err := outStdout.Flush(); err != nil && runErr == nil {
			runErr = err
		}
	}
	progress(true)

	s := newSummary(c.sim.Seed, tally)
	s.Interrupted = interrupted
	s.StdoutEvents = stdoutEvents
	if len(logs) > 0 {
		l := logs[0] // the file if there is one, else stdout
		s.LogEntries, s.LogLines, s.LogDuplicates, s.LogLinesByName = l.entries+l.plainDone, l.written, l.dups, l.byName
		s.LogPlainEntries, s.PlainLines, s.LogFileLines = l.taskPlain, l.plainDone, l.lines
	}
	if file != nil {
		s.LogRotations = file.rotations
	}
	if hout != nil {
		s.HTTPRequests, s.HTTPRetries, s.HTTPBatches, s.HTTPEvents, s.HTTPBytes =
			hout.requests, hout.retries, hout.batches, hout.events, hout.bytes
	}
	if err := writeSummary(c, s, stdout, stderr); err != nil && runErr == nil {
		runErr = err
	}
	switch {
	case runErr != nil && !(interrupted && errors.Is(runErr, context.Canceled)):
		return exitFailed, runErr
	case interrupted:
		return exitInterrupted, errInterrupted
	}
	return exitOK, nil
}

func writeSummary(c *config, s *Summary, stdout, stderr io.Writer) error {
	b := s.JSON()
	switch {
	case c.summaryPath != "" && c.summaryPath != "-":
		tmp := c.summaryPath + ".tmp" + strconv.Itoa(os.Getpid())
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, c.summaryPath)
	case c.stdout == "none":
		_, err := stdout.Write(b)
		return err
	}
	_, err := stderr.Write(b)
	return err
}
