package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// ExitStatus is how a script run ended, in the terms of waitpid: a signal
// number when it was killed (Code is then 0, as WEXITSTATUS gives), else the
// exit code.
type ExitStatus struct {
	Code   int
	Signal int
}

// Process is a started script.
type Process interface {
	// PID is the operating-system process id (for -script-timeout and
	// SENTINEL PENDING-SCRIPTS).
	PID() int
	// Wait blocks until the process has exited and reports how.
	Wait() ExitStatus
	// Kill sends SIGKILL. Wait then reports Signal 9.
	Kill() error
}

// Runner starts scripts. ExecRunner runs real processes; tests substitute a
// fake whose processes are channels, so timing logic runs under synctest.
type Runner interface {
	// Start launches path with args (args excludes the path itself) and
	// extra environment entries appended to the sentinel's own. Cancelling
	// ctx kills the process.
	Start(ctx context.Context, path string, args []string, extraEnv []string) (Process, error)
}

// ExecRunner runs scripts with os/exec, without a shell: the path is
// executed directly and every argument is passed as-is.
type ExecRunner struct{}

// Start implements Runner.
func (ExecRunner) Start(ctx context.Context, path string, args []string, extraEnv []string) (Process, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	if len(extraEnv) > 0 {
		cmd.Env = append(os.Environ(), extraEnv...)
	}
	// Stdin, Stdout and Stderr stay nil (/dev/null): a script that leaves
	// a background child holding a pipe open must not stall Wait.
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("notify: start %s: %w", path, err)
	}
	return &execProcess{cmd: cmd}, nil
}

type execProcess struct{ cmd *exec.Cmd }

func (p *execProcess) PID() int { return p.cmd.Process.Pid }

func (p *execProcess) Kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("notify: kill pid %d: %w", p.cmd.Process.Pid, err)
	}
	return nil
}

func (p *execProcess) Wait() ExitStatus {
	// A non-zero exit is also an error here; the status below says all.
	_ = p.cmd.Wait()
	state := p.cmd.ProcessState
	if state == nil {
		// Wait failed before the process was reaped (not expected after a
		// successful Start); count it as a failure that is not retried.
		return ExitStatus{Code: 2}
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ExitStatus{Signal: int(ws.Signal())}
	}
	return ExitStatus{Code: state.ExitCode()}
}
