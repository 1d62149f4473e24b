package acctest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TerraformRun is a terraform CLI run started in the background (StartTerraform), in a process
// group of its own with the provider processes it starts, so that a test can kill all of them
// at once, as an OOM killer, a CI timeout or a closed laptop would.
type TerraformRun struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

// StartTerraform starts the terraform CLI like Terraform does, without waiting for it.
func StartTerraform(t *testing.T, dir string, extra []string, args ...string) *TerraformRun {
	t.Helper()
	bin, err := CLIPath()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TF_CLI_CONFIG_FILE") == "" {
		t.Fatal("TF_CLI_CONFIG_FILE is not set: run the tests through make testacc, which writes the dev_overrides config")
	}
	run := &TerraformRun{done: make(chan struct{})}
	// Not the test's context: a test that ends kills the whole group (Kill), never only terraform.
	run.cmd = exec.CommandContext(context.Background(), bin, append(args, "-no-color")...)
	run.cmd.Dir = dir
	run.cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	run.cmd.Env = append(run.cmd.Env, extra...)
	run.cmd.Stdout = run.writer()
	run.cmd.Stderr = run.writer()
	run.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := run.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		run.err = run.cmd.Wait()
		close(run.done)
	}()
	t.Cleanup(func() { _ = run.Kill() })
	return run
}

type lockedWriter struct{ run *TerraformRun }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	return w.run.out.Write(p)
}

func (r *TerraformRun) writer() lockedWriter { return lockedWriter{r} }

// Done is closed when the run has ended.
func (r *TerraformRun) Done() <-chan struct{} { return r.done }

// Kill sends SIGKILL to terraform and every process of its group (the providers it runs),
// and waits until terraform is gone. It reports whether every process of the group is gone
// (a provider process is reaped by init once terraform died). Killing a run that has ended
// does nothing.
func (r *TerraformRun) Kill() bool {
	select {
	case <-r.done:
		return true
	default:
	}
	pgid := r.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = r.cmd.Process.Kill()
	}
	<-r.done
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
			return true
		}
	}
	return false
}

// Output is what the run has printed so far (stdout and stderr), and its error once ended.
func (r *TerraformRun) Output() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
		return r.out.String(), r.err
	default:
		return r.out.String(), nil
	}
}
