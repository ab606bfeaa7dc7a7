package datanode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// LookupHost resolves a host name to IP addresses, like
// (*net.Resolver).LookupHost. Options.LookupHost injects one (tests map
// private names to loopback addresses without touching /etc/hosts).
type LookupHost func(ctx context.Context, host string) ([]string, error)

// maxDialAddrs bounds how many of a name's addresses one dial tries.
const maxDialAddrs = 8

// errNoAddress is a name that resolved to nothing usable.
var errNoAddress = errors.New("datanode: host name resolved to no address")

// dialHost opens a TCP connection to addr ("host:port"). A host name is
// resolved here, at every dial, and never remembered: a node whose name now
// points elsewhere (a rescheduled Kubernetes pod) is reached at its new
// address on the very next connection, and a name that does not resolve is
// a failed dial (the link is disconnected) rather than an error anywhere
// else. Without lookup, net.Dialer resolves (the system resolver, which
// also reads /etc/hosts); with one, its addresses are tried in order.
func dialHost(ctx context.Context, d *net.Dialer, lookup LookupHost, network, addr string) (net.Conn, error) {
	if lookup == nil {
		return d.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("datanode: dial %q: %w", addr, err)
	}
	if isIPHost(host) {
		return d.DialContext(ctx, network, addr)
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("datanode: resolve %q: %w", host, err)
	}
	var errs []error
	tried := 0
	for _, ip := range ips {
		if net.ParseIP(ip) == nil {
			continue // a resolver that answers garbage is not dialled
		}
		if tried == maxDialAddrs || ctx.Err() != nil {
			break
		}
		tried++
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: %q", errNoAddress, host)
	}
	return nil, errors.Join(errs...)
}

// isIPHost reports whether host is an IP address literal: only names are
// resolved, and only their addresses are worth reporting to the core.
func isIPHost(host string) bool { return net.ParseIP(host) != nil }

// linkReport remembers what a target last told the core about its links, so
// that each fact goes out once when it changes rather than at every
// attempt (a dead node is retried several times a second).
type linkReport struct {
	ip       string            // last Resolved IP
	sub      monitor.ReplyKind // last SubscribeResult kind
	subKnown bool              // sub has been reported
}

// reportIP tells the core that the command link of a named target reached
// ip, when that differs from what it was last told. The core shows this
// address where announce-hostnames is off, and matches it against the
// addresses peers and replicas report.
func (t *target) reportIP(ctx context.Context, ip string) {
	if isIPHost(t.addr.Host) || ip == "" || ctx.Err() != nil {
		return
	}
	t.mu.Lock()
	same := t.report.ip == ip
	t.report.ip = ip
	t.mu.Unlock()
	if !same {
		t.deliver(ctx, monitor.Resolved{At: time.Now(), Target: t.addr, IP: ip})
	}
}

// reportSubscribe tells the core how the latest attempt to subscribe the
// pub/sub link to the hello channel ended (ReplyPong: subscribed), when it
// differs from what the core was last told. A link that cannot subscribe
// (refused AUTH, -NOAUTH, -NOPERM, a renamed SUBSCRIBE, nothing listening)
// is a disconnected link, as in Redis, where such a link is torn down.
func (t *target) reportSubscribe(ctx context.Context, kind monitor.ReplyKind) {
	if ctx.Err() != nil {
		return // not delivered, so not remembered either
	}
	t.mu.Lock()
	same := t.report.subKnown && t.report.sub == kind
	t.report.sub, t.report.subKnown = kind, true
	t.mu.Unlock()
	if !same {
		t.deliver(ctx, monitor.SubscribeResult{At: time.Now(), Target: t.addr, Kind: kind})
	}
}
