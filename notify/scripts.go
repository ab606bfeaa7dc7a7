package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

// Redis's script limits (SENTINEL_SCRIPT_* in sentinel.c).
const (
	DefaultScriptMaxRunning = 16
	DefaultScriptMaxQueue   = 256
	DefaultScriptMaxRuntime = 60 * time.Second
	DefaultScriptRetryDelay = 30 * time.Second
	// DefaultScriptMaxRuns is SENTINEL_SCRIPT_MAX_RETRY. Redis's retry_num
	// counts executions, so a job runs at most this many times in all.
	DefaultScriptMaxRuns = 10
)

// ScriptKind says which of the two scripts a job runs.
type ScriptKind uint8

// Script kinds.
const (
	KindNotification   ScriptKind = iota // notification-script
	KindClientReconfig                   // client-reconfig-script
)

// String is the metric label value of the kind.
func (k ScriptKind) String() string {
	if k == KindClientReconfig {
		return "client_reconfig"
	}
	return "notification"
}

// ScriptLookup returns a master's configured script paths ("" when unset).
type ScriptLookup func(master string) (notificationScript, clientReconfigScript string)

// ScriptOptions configures Scripts. Zero values take Redis's defaults.
type ScriptOptions struct {
	Logger *slog.Logger // nil: discard
	// Metrics receives the counters; when nil they are created on
	// Registerer (nil too: unregistered).
	Metrics    *Metrics
	Registerer prometheus.Registerer
	// Lookup maps a master name to its scripts, for Notify and
	// ClientReconfig. Nil: those two do nothing (Enqueue still works).
	Lookup ScriptLookup
	// Report receives -script-error and -script-timeout (Warning) and
	// +script-child / -script-child (Debug) events. It is called from the
	// Run goroutine and must not block.
	Report func(monitor.Event)
	// Runner starts processes; nil means ExecRunner.
	Runner Runner

	MaxRunning int           // concurrent scripts (16)
	MaxQueue   int           // queued jobs, running ones included (256)
	MaxRuntime time.Duration // SIGKILL after this (script-max-runtime, 60 s)
	RetryDelay time.Duration // first retry delay, doubled each time (script-retry-delay, 30 s)
	MaxRuns    int           // executions per job, first run included (10)
}

// PendingScript is one job as SENTINEL PENDING-SCRIPTS shows it.
type PendingScript struct {
	Kind    ScriptKind
	Args    []string // argv: the script path first, then its arguments
	Running bool     // flags "running", else "scheduled"
	PID     int      // 0 unless running
	// RunTime is how long a running job has been running; RunDelay is how
	// long a scheduled job still waits before it may start (0: as soon as a
	// slot is free).
	RunTime  time.Duration
	RunDelay time.Duration
	Retries  int // retry-num: executions so far
}

// Scripts runs notification and client-reconfig scripts with Redis's
// semantics: bounded concurrency, a bounded queue, a maximum run time and
// retries with a doubling delay. Enqueueing never blocks; Run does the work.
type Scripts struct {
	log     *slog.Logger
	metrics *Metrics
	lookup  ScriptLookup
	report  func(monitor.Event)
	runner  Runner

	maxRunning int
	maxQueue   int
	maxRuns    int

	// wake coalesces "the queue changed" signals to the owner loop.
	wake chan struct{}

	// mu guards the queue and the timers below. Scripts is a leaf: only
	// the Run goroutine starts or reaps processes; the mutex only lets
	// Enqueue and Pending touch the queue without waiting for it.
	mu         sync.Mutex
	queue      []*scriptJob // oldest first
	running    int
	maxRuntime time.Duration
	retryDelay time.Duration
}

type scriptJob struct {
	kind      ScriptKind
	path      string
	args      []string
	env       []string
	runs      int // Redis retry_num: executions started
	running   bool
	proc      Process
	pid       int
	startedAt time.Time
	notBefore time.Time // retry delay: not to start before this
	timedOut  bool      // we sent SIGKILL after MaxRuntime
}

// NewScripts builds a Scripts; call Run to start executing.
func NewScripts(o ScriptOptions) *Scripts {
	s := &Scripts{
		log:        o.Logger,
		metrics:    o.Metrics,
		lookup:     o.Lookup,
		report:     o.Report,
		runner:     o.Runner,
		maxRunning: o.MaxRunning,
		maxQueue:   o.MaxQueue,
		maxRuns:    o.MaxRuns,
		maxRuntime: o.MaxRuntime,
		retryDelay: o.RetryDelay,
		wake:       make(chan struct{}, 1),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(o.Registerer)
	}
	if s.report == nil {
		s.report = func(monitor.Event) {}
	}
	if s.runner == nil {
		s.runner = ExecRunner{}
	}
	s.maxRunning = orDefault(s.maxRunning, DefaultScriptMaxRunning)
	s.maxQueue = orDefault(s.maxQueue, DefaultScriptMaxQueue)
	// The queue holds the running jobs too; it must have room for at least
	// one waiting job beside them, or the eviction rule has nothing to drop.
	s.maxQueue = max(s.maxQueue, s.maxRunning+1)
	s.maxRuns = orDefault(s.maxRuns, DefaultScriptMaxRuns)
	s.maxRuntime = orDefault(s.maxRuntime, DefaultScriptMaxRuntime)
	s.retryDelay = orDefault(s.retryDelay, DefaultScriptRetryDelay)
	return s
}

// orDefault is v, or def when v is zero or negative (an unset option).
func orDefault[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// SetTimers changes the maximum run time and the retry delay at run time
// (SENTINEL DEBUG script-max-runtime / script-retry-delay). Zero or negative
// values leave a setting unchanged. Running jobs use the new limit at once.
func (s *Scripts) SetTimers(maxRuntime, retryDelay time.Duration) {
	s.mu.Lock()
	if maxRuntime > 0 {
		s.maxRuntime = maxRuntime
	}
	if retryDelay > 0 {
		s.retryDelay = retryDelay
	}
	s.mu.Unlock()
	s.signal()
}

// NotificationArgs returns the notification-script arguments for an event
// (<event-type> <event-description>) and the master whose script applies.
// ok is false for events that do not run the script: only Warning-level
// events about an instance do (sentinelEvent).
func NotificationArgs(e monitor.Event) (master string, args []string, ok bool) {
	master = e.MasterName()
	if e.Level != monitor.LevelWarning || master == "" {
		return "", nil, false
	}
	return master, []string{e.Type, e.Payload()}, true
}

// ClientReconfigArgs returns client-reconfig-script's arguments in Redis's
// order: <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>.
func ClientReconfigArgs(a monitor.RunClientReconfigScript) []string {
	return []string{
		a.Master, a.Role, a.State,
		a.From.Host, strconv.Itoa(a.From.Port),
		a.To.Host, strconv.Itoa(a.To.Port),
	}
}

// Notify queues the master's notification-script for the event when the
// event qualifies and a script is configured. It never blocks.
func (s *Scripts) Notify(e monitor.Event) {
	master, args, ok := NotificationArgs(e)
	if !ok || s.lookup == nil {
		return
	}
	path, _ := s.lookup(master)
	if path == "" {
		return
	}
	env := []string{
		"SENTINEL_EVENT_TYPE=" + e.Type,
		"SENTINEL_EVENT_DESCRIPTION=" + args[1],
		"SENTINEL_MASTER_NAME=" + master,
	}
	s.enqueue(KindNotification, path, args, env)
}

// ClientReconfig queues the master's client-reconfig-script, when one is
// configured. It never blocks.
func (s *Scripts) ClientReconfig(a monitor.RunClientReconfigScript) {
	if s.lookup == nil {
		return
	}
	_, path := s.lookup(a.Master)
	if path == "" {
		return
	}
	env := []string{
		"SENTINEL_MASTER_NAME=" + a.Master,
		"SENTINEL_ROLE=" + a.Role,
		"SENTINEL_STATE=" + a.State,
	}
	s.enqueue(KindClientReconfig, path, ClientReconfigArgs(a), env)
}

// Enqueue queues path with args (the path is not repeated in args). It
// never blocks. It reports false only when path is empty; a full queue
// still accepts the job and drops the oldest waiting one instead.
func (s *Scripts) Enqueue(kind ScriptKind, path string, args ...string) bool {
	if path == "" {
		return false
	}
	s.enqueue(kind, path, args, nil)
	return true
}

func (s *Scripts) enqueue(kind ScriptKind, path string, args, env []string) {
	job := &scriptJob{kind: kind, path: path, args: args, env: env}
	s.mu.Lock()
	s.queue = append(s.queue, job)
	var dropped *scriptJob
	if len(s.queue) > s.maxQueue {
		// sentinelScheduleScriptExecution: drop the oldest job that is not
		// running. maxQueue > maxRunning guarantees there is one.
		for i, j := range s.queue {
			if !j.running {
				dropped = j
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	if dropped != nil {
		s.metrics.dropped.WithLabelValues(integrationScript).Inc()
		s.log.Warn("script queue full, dropped the oldest waiting job",
			"script", dropped.path, "attempt", dropped.runs)
	}
	s.signal()
}

// signal wakes the owner loop without blocking (capacity-1 coalescing).
func (s *Scripts) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending lists the queued jobs, oldest first, for SENTINEL PENDING-SCRIPTS.
func (s *Scripts) Pending() []PendingScript {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PendingScript, 0, len(s.queue))
	for _, j := range s.queue {
		p := PendingScript{
			Kind:    j.kind,
			Args:    append([]string{j.path}, j.args...),
			Running: j.running,
			Retries: j.runs,
		}
		if j.running {
			p.PID = j.pid
			p.RunTime = now.Sub(j.startedAt)
		} else if j.notBefore.After(now) {
			p.RunDelay = j.notBefore.Sub(now)
		}
		out = append(out, p)
	}
	return out
}

// scriptExit is a waiter goroutine's report to the owner loop.
type scriptExit struct {
	job    *scriptJob
	status ExitStatus
}

// Run executes queued jobs until ctx ends, then kills the running scripts
// (through the context given to the Runner), waits for them and returns
// nil. Jobs still queued are discarded, as a restarted Redis would.
func (s *Scripts) Run(ctx context.Context) error {
	var waiters sync.WaitGroup
	defer waiters.Wait()
	// exits is buffered to maxRunning so a waiter never blocks on the
	// owner; on shutdown waiters also give up through ctx.
	exits := make(chan scriptExit, s.maxRunning)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		s.startDue(ctx, now, &waiters, exits)
		s.killOverdue(now)
		if next, ok := s.nextDeadline(now); ok {
			timer.Reset(next.Sub(now))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer.C:
		case ex := <-exits:
			s.collect(ex, time.Now())
		}
	}
}

// startDue starts waiting jobs, oldest first, while slots are free
// (sentinelRunPendingScripts).
func (s *Scripts) startDue(ctx context.Context, now time.Time, waiters *sync.WaitGroup, exits chan<- scriptExit) {
	for {
		s.mu.Lock()
		var job *scriptJob
		if s.running < s.maxRunning {
			for _, j := range s.queue {
				if !j.running && !j.notBefore.After(now) {
					job = j
					break
				}
			}
		}
		if job == nil {
			s.mu.Unlock()
			return
		}
		job.runs++
		job.running = true
		job.timedOut = false
		job.startedAt = now
		s.running++
		s.mu.Unlock()

		s.metrics.scriptsRun.WithLabelValues(job.kind.String()).Inc()
		proc, err := s.runner.Start(ctx, job.path, job.args, job.env)
		if err != nil {
			// Redis's child calls _exit(2) when execve fails, which is
			// never retried and reported as "-script-error <path> 0 2".
			s.log.Warn("script could not be started", "script", job.path, "err", err)
			s.metrics.scriptFailures.WithLabelValues(job.kind.String(), reasonStart).Inc()
			s.mu.Lock()
			s.running--
			s.remove(job)
			s.mu.Unlock()
			s.report(scriptEvent("-script-error", monitor.LevelWarning, job.path, 0, 2))
			continue
		}
		s.mu.Lock()
		job.proc = proc
		job.pid = proc.PID()
		s.mu.Unlock()
		s.report(monitor.Event{Type: "+script-child", Level: monitor.LevelDebug, Extra: strconv.Itoa(job.pid)})
		waiters.Go(func() {
			st := proc.Wait()
			select {
			case exits <- scriptExit{job: job, status: st}:
			case <-ctx.Done():
			}
		})
	}
}

// killOverdue sends SIGKILL to jobs running longer than the maximum run
// time (sentinelKillTimedoutScripts). The exit is collected as a signal,
// which is retried.
func (s *Scripts) killOverdue(now time.Time) {
	s.mu.Lock()
	var overdue []*scriptJob
	for _, j := range s.queue {
		if j.running && j.proc != nil && !j.timedOut && now.Sub(j.startedAt) >= s.maxRuntime {
			j.timedOut = true
			overdue = append(overdue, j)
		}
	}
	s.mu.Unlock()
	for _, j := range overdue {
		s.report(monitor.Event{
			Type: "-script-timeout", Level: monitor.LevelWarning,
			Extra: j.path + " " + strconv.Itoa(j.pid),
		})
		if err := j.proc.Kill(); err != nil {
			s.log.Warn("could not kill timed-out script", "script", j.path, "err", err)
		}
	}
}

// nextDeadline is the earliest moment the loop must act without being
// woken: a running job's timeout or a scheduled retry.
func (s *Scripts) nextDeadline(now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	found := false
	consider := func(t time.Time) {
		if !found || t.Before(next) {
			next, found = t, true
		}
	}
	for _, j := range s.queue {
		switch {
		case j.running && !j.timedOut:
			consider(j.startedAt.Add(s.maxRuntime))
		case !j.running && j.notBefore.After(now) && s.running < s.maxRunning:
			consider(j.notBefore)
		}
	}
	return next, found
}

// collect handles a finished run (sentinelCollectTerminatedScripts):
// exit 1 or a signal is retried after a doubling delay until the runs are
// used up; anything else ends the job, reporting -script-error unless it
// exited 0.
func (s *Scripts) collect(ex scriptExit, now time.Time) {
	job, st := ex.job, ex.status
	s.report(monitor.Event{
		Type: "-script-child", Level: monitor.LevelDebug,
		Extra: fmt.Sprintf("%d %d %d", job.pid, st.Code, st.Signal),
	})
	failed := st.Signal != 0 || st.Code != 0
	if failed {
		reason := reasonExit
		switch {
		case job.timedOut:
			reason = reasonTimeout
		case st.Signal != 0:
			reason = reasonSignal
		}
		s.metrics.scriptFailures.WithLabelValues(job.kind.String(), reason).Inc()
	}
	retry := (st.Signal != 0 || st.Code == 1) && job.runs < s.maxRuns

	s.mu.Lock()
	s.running--
	job.running = false
	job.proc = nil
	job.pid = 0
	if retry {
		job.notBefore = now.Add(backoff(s.retryDelay, job.runs))
	} else {
		s.remove(job)
	}
	s.mu.Unlock()

	switch {
	case retry:
		s.log.Warn("script failed, will retry", "script", job.path,
			"attempt", job.runs, "exit_code", st.Code, "signal", st.Signal)
	case failed:
		s.report(scriptEvent("-script-error", monitor.LevelWarning, job.path, st.Signal, st.Code))
	}
}

// remove deletes job from the queue; s.mu must be held.
func (s *Scripts) remove(job *scriptJob) {
	for i, j := range s.queue {
		if j == job {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

// backoff is sentinelScriptRetryDelay: the base delay after the first run,
// doubled for each further run. The doubling is capped so that a large
// MaxRuns cannot overflow the duration.
func backoff(base time.Duration, runs int) time.Duration {
	d := base
	for i := 1; i < runs && i < 24; i++ {
		d *= 2
	}
	return d
}

func scriptEvent(typ string, level monitor.Level, path string, signal, code int) monitor.Event {
	return monitor.Event{Type: typ, Level: level, Extra: fmt.Sprintf("%s %d %d", path, signal, code)}
}
