//go:build linux

package partition

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netLab is a set of network namespaces joined by a bridge that lives in a
// namespace of its own, so nothing is added to the test's own namespace.
// Hosts get 10.77.<lab>.<n>/24 on eth0.
type netLab struct {
	t      *testing.T
	prefix string // unique per test process: names of namespaces and links
	subnet string // "10.77.<k>"
	sw     string // the switch namespace
	hosts  []string
	// drop: cut with iptables DROP rules (packets silently lost, as on a
	// failed network: established connections hang until a timeout)
	// instead of blackhole routes (a send fails at once). PARTITION_CUT=drop.
	drop bool
}

// requireLab skips unless the test can build namespaces.
func requireLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("network namespaces and real processes are skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	for _, bin := range []string{"ip", "redis-server"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found", bin)
		}
	}
}

// newLab creates the switch namespace with its bridge; t.Cleanup removes
// every namespace the lab created (their links and addresses go with them).
func newLab(t *testing.T) *netLab {
	t.Helper()
	pid := os.Getpid() % 100000
	l := &netLab{t: t, prefix: fmt.Sprintf("sg%d", pid), subnet: fmt.Sprintf("10.77.%d", pid%250+1)}
	if os.Getenv("PARTITION_CUT") == "drop" {
		if _, err := exec.LookPath("iptables"); err != nil {
			t.Skip("PARTITION_CUT=drop needs iptables (apt-get install iptables)")
		}
		l.drop = true
	}
	l.sw = l.prefix + "sw"
	t.Cleanup(l.destroy)
	l.ip("netns", "add", l.sw)
	l.nsIP(l.sw, "link", "add", "br0", "type", "bridge")
	l.nsIP(l.sw, "link", "set", "br0", "up")
	return l
}

// addHost creates namespace <prefix>h<n> with eth0 at <subnet>.<n> on the
// bridge and returns its name.
func (l *netLab) addHost(n int) string {
	l.t.Helper()
	ns := fmt.Sprintf("%sh%d", l.prefix, n)
	l.ip("netns", "add", ns)
	l.hosts = append(l.hosts, ns)
	hostEnd, swEnd := fmt.Sprintf("%sa%d", l.prefix, n), fmt.Sprintf("%sb%d", l.prefix, n)
	l.ip("link", "add", hostEnd, "netns", ns, "type", "veth", "peer", "name", swEnd, "netns", l.sw)
	l.nsIP(l.sw, "link", "set", swEnd, "master", "br0")
	l.nsIP(l.sw, "link", "set", swEnd, "up")
	l.nsIP(ns, "link", "set", hostEnd, "name", "eth0")
	l.nsIP(ns, "addr", "add", l.addr(n)+"/24", "dev", "eth0")
	l.nsIP(ns, "link", "set", "eth0", "up")
	l.nsIP(ns, "link", "set", "lo", "up")
	return ns
}

func (l *netLab) addr(n int) string { return fmt.Sprintf("%s.%d", l.subnet, n) }

// cut makes host a and the hosts bs unreachable from each other (blackhole
// routes, or DROP rules with drop, on both sides; the clients' host is not
// touched).
func (l *netLab) cut(a int, bs ...int) {
	l.t.Helper()
	for _, b := range bs {
		l.block("-A", a, b)
		l.block("-A", b, a)
	}
}

// heal removes what cut added.
func (l *netLab) heal(a int, bs ...int) {
	l.t.Helper()
	for _, b := range bs {
		l.block("-D", a, b)
		l.block("-D", b, a)
	}
}

// block adds (op -A) or removes (-D) host from's side of a cut from host
// to: a blackhole route, or with drop iptables rules that silently drop
// what goes to and comes from it.
func (l *netLab) block(op string, from, to int) {
	l.t.Helper()
	if !l.drop {
		verb := map[string]string{"-A": "add", "-D": "del"}[op]
		l.nsIP(l.host(from), "route", verb, "blackhole", l.addr(to)+"/32")
		return
	}
	l.ip("netns", "exec", l.host(from), "iptables", "-w", "5", op, "OUTPUT", "-d", l.addr(to)+"/32", "-j", "DROP")
	l.ip("netns", "exec", l.host(from), "iptables", "-w", "5", op, "INPUT", "-s", l.addr(to)+"/32", "-j", "DROP")
}

func (l *netLab) host(n int) string { return fmt.Sprintf("%sh%d", l.prefix, n) }

func (l *netLab) nsIP(ns string, args ...string) {
	l.t.Helper()
	l.ip(append([]string{"netns", "exec", ns, "ip"}, args...)...)
}

func (l *netLab) ip(args ...string) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// destroy deletes every namespace of the lab; deleting a namespace removes
// its veth ends and routes. Errors are reported, never fatal (cleanup).
func (l *netLab) destroy() {
	for _, ns := range append(append([]string(nil), l.hosts...), l.sw) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, "ip", "netns", "del", ns).CombinedOutput()
		cancel()
		if err != nil && !strings.Contains(string(out), "No such file") {
			l.t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	}
}

// proc is a process started in a namespace; stopped by PID at cleanup.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// start runs bin with args in namespace ns (ip netns exec execs it, so the
// PID is the program's), output to logPath.
func (l *netLab) start(ns, logPath, bin string, args ...string) *proc {
	l.t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		l.t.Fatalf("start %s in %s: %v", bin, ns, err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() { // owned by the cleanup below, which waits for it
		_ = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	l.t.Cleanup(func() { p.kill(l.t) })
	return p
}

func (p *proc) kill(t *testing.T) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("process %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

// nsDialer dials from inside a namespace: its goroutines lock their OS
// thread and enter the namespace, and a socket belongs to the namespace
// of the thread that created it. Usable as go-redis's Options.Dialer.
type nsDialer struct {
	reqs chan dialReq
}

type dialReq struct {
	ctx           context.Context
	network, addr string
	reply         chan dialReply
}

type dialReply struct {
	conn net.Conn
	err  error
}

// newDialer starts workers in namespace ns; they stop at the test's
// cleanup (the threads they locked are thrown away with them, never
// reused).
func newDialer(t *testing.T, ns string, workers int) *nsDialer {
	ctx, cancel := context.WithCancel(context.Background())
	d := &nsDialer{reqs: make(chan dialReq)}
	ready := make(chan error, workers)
	done := make(chan struct{}, workers)
	for range workers {
		go d.worker(ctx, ns, ready, done)
	}
	t.Cleanup(func() {
		cancel()
		for range workers {
			<-done
		}
	})
	for range workers {
		if err := <-ready; err != nil {
			t.Fatalf("dialer in %s: %v", ns, err)
		}
	}
	return d
}

func (d *nsDialer) worker(ctx context.Context, ns string, ready chan<- error, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	f, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		ready <- err
		return
	}
	err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
	f.Close()
	if err != nil {
		ready <- err
		return
	}
	ready <- nil
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-d.reqs:
			var nd net.Dialer
			c, err := nd.DialContext(r.ctx, r.network, r.addr)
			r.reply <- dialReply{c, err}
		}
	}
}

// Dial has go-redis's Dialer signature.
func (d *nsDialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	r := dialReq{ctx: ctx, network: network, addr: addr, reply: make(chan dialReply, 1)}
	select {
	case d.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case rep := <-r.reply:
		return rep.conn, rep.err
	case <-ctx.Done():
		go func() { // the worker answers; close what it opened too late
			if rep := <-r.reply; rep.conn != nil {
				rep.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
