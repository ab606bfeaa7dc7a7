package datanode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/sleep"
)

// Link types, as they appear in our client names.
const (
	linkTypeCmd    = "cmd"
	linkTypePubSub = "pubsub"
)

// errLinkClosed is returned once a target's links have been closed for good.
var errLinkClosed = errors.New("datanode: link closed")

// errLinkPanic wraps a panic recovered while a link handled a reply (go-redis
// asserts the shape of some replies); the link is dropped as broken.
var errLinkPanic = errors.New("datanode: recovered panic on link")

// errUnexpectedReply is a reply that is well-formed RESP but not what the
// command answers (PING answered by an array): the node is connected but the
// reply is not valid, as sentinelPingReplyCallback ignores it.
var errUnexpectedReply = errors.New("datanode: unexpected reply")

// redisConn is the go-redis implementation of nodeConn: one command client
// on one connection and, for data nodes, a probe link for PINGs
// (probelink.go, so a PING never waits behind another command) and one
// pub/sub subscription read by hellolink.go.
type redisConn struct {
	p *Pool
	t *target

	// One pacer per link type: a node that keeps closing, hanging up on,
	// or feeding garbage to a link is redialled no faster than Redis would.
	cmdPace, subPace *linkPacer

	// The PING lane and the lane of every other command (lane.go): each
	// has at most one command pending on its connection.
	pingLane, cmdLane *lane
	life              context.Context // ends with close: pending commands stop
	endLife           context.CancelFunc
	calls             sync.WaitGroup // pending commands' goroutines

	mu     sync.Mutex
	closed bool
	cmd    *redis.Client
	ps     *helloConn    // the live subscription, if any
	proven *redis.Client // cmd, once it had a reply (onCmdLane)
	// subDial dials the pub/sub link (data nodes only).
	subDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// probe is a data node's PING link (probelink.go); nil for peers.
	probe *probeLink
	// subNet is the latest pub/sub connection dialled: reconnect closes
	// it even while it is still being set up (close ends it with open).
	subNet net.Conn
	// subGen counts reconnects, so receiveHellos can tell a link we
	// closed from one the node broke.
	subGen uint64
	// open holds every connection handed to go-redis and not yet closed,
	// so close ends them all (track).
	open        map[uint64]net.Conn
	nextOpen    uint64
	lastLocalIP string // local address of the latest command connection
}

func newRedisConn(p *Pool, t *target) *redisConn {
	c := &redisConn{
		p:        p,
		t:        t,
		cmdPace:  &linkPacer{b: newBackoff(p.opts.ReconnectInitial, p.opts.ReconnectMax)},
		subPace:  &linkPacer{b: newBackoff(p.opts.ReconnectInitial, p.opts.ReconnectMax)},
		pingLane: newLane(),
		cmdLane:  newLane(),
	}
	c.life, c.endLife = context.WithCancel(context.Background())
	c.cmd = c.newClient(linkTypeCmd)
	if t.dataNode {
		c.subDial = c.dialer(linkTypePubSub)
		c.probe = newProbeLink(c, c.dialer(linkTypeCmd))
	}
	return c
}

// Per-connection bufio sizes of every link. Commands are small (a hello
// PUBLISH is ~150 bytes; bufio writes anything larger straight through), and
// the reader only has to hold a reply's header lines: the body of a bulk
// string (INFO, ~5 KiB) is read into its own buffer, straight from the
// socket once the small buffer is drained. With 250 masters, 4 KiB each way
// cost 8 MB of live heap on the command links alone (issue 14).
const (
	linkReadBufferSize  = 1 << 10
	linkWriteBufferSize = 512
)

// newClient sets every go-redis option that matters explicitly (style §3.6):
// no retries (they would hide failures from the detector), one dial attempt,
// RESP2 (data nodes may be Redis 6, peers may be anything), no CLIENT
// SETINFO (not in the ACL Redis documents for sentinels), a small pool
// (poolSize: one connection to a peer sentinel, as Redis), and
// our own AUTH and CLIENT SETNAME so rename-command applies to them. Reads
// wait up to the pending limit (lane.go), not the command timeout: a reply
// that is only late must not cost the connection.
func (c *redisConn) newClient(linkType string) *redis.Client {
	o := c.p.opts
	return redis.NewClient(&redis.Options{
		Addr:                  c.t.addr.String(),
		Dialer:                c.dialer(linkType),
		OnConnect:             c.onConnect(linkType),
		Protocol:              2,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           c.pendingLimit(),
		WriteTimeout:          o.CommandTimeout,
		ContextTimeoutEnabled: true,
		PoolSize:              c.t.poolSize(),
		MaxIdleConns:          c.t.poolSize(),
		MaxActiveConns:        c.t.poolSize(),
		PoolTimeout:           o.CommandTimeout,
		ConnMaxIdleTime:       -1,
		PipelinePoolSize:      -1,
		// go-redis gives every connection 32 KiB read and write buffers;
		// a sentinel's commands and replies are small (INFO is ~5 KiB and
		// still reads fine through a smaller buffer), and with 250 masters
		// the defaults alone would be ~40 MB per sentinel.
		ReadBufferSize:           linkReadBufferSize,
		WriteBufferSize:          linkWriteBufferSize,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

func (c *redisConn) dialer(linkType string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	recordLocal := linkType == linkTypeCmd
	pace, metricLink := c.cmdPace, linkCommand
	if !recordLocal {
		pace, metricLink = c.subPace, linkPubSub
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// A command that finds its link about to be allowed waits for it
		// rather than failing: otherwise a PING every second against a
		// gate of 1–1.25 s would skip every other PING period and see a
		// returning node up to a period late.
		if wait := pace.wait(); wait > 0 {
			if dl, ok := ctx.Deadline(); ok && holdForDial(wait, time.Until(dl)) {
				if !sleep.For(ctx, wait) {
					return nil, ctx.Err()
				}
			}
		}
		if !pace.allow() {
			c.p.metrics.dialsDeferred.WithLabelValues(metricLink).Inc()
			return nil, fmt.Errorf("datanode: %s link to %s: %w", linkType, c.t.addr, errReconnectBackoff)
		}
		c.p.metrics.dials.WithLabelValues(metricLink).Inc()
		d := net.Dialer{Timeout: c.p.opts.DialTimeout, Control: unackedControl}
		conn, err := staggeredDial(ctx, dialStagger, maxDialAttempts, func(ctx context.Context) (net.Conn, error) {
			return c.p.dial(ctx, &d, network, addr)
		})
		if err != nil {
			// Neither a connection that never reached the node nor one
			// it never answered (a dropped SYN) cost it anything: not paced.
			if notReached(err) || dialTimedOut(err) {
				pace.refused()
			}
			return nil, err
		}
		if recordLocal {
			if la, ok := conn.LocalAddr().(*net.TCPAddr); ok {
				c.mu.Lock()
				c.lastLocalIP = la.IP.String()
				c.mu.Unlock()
			}
			if ra, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
				c.t.reportIP(ctx, ra.IP.String())
			}
		}
		if cfg := c.tlsConfig(); cfg != nil {
			cfg = cfg.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = c.t.addr.Host
			}
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = conn.Close()
				return nil, fmt.Errorf("datanode: TLS handshake with %s: %w", addr, err)
			}
			conn = tc
		}
		// Every byte go-redis reads passes the reply limits first.
		conn = guard(conn, c.p.opts.Limits, linkType+" link to "+c.t.addr.String(), pace.good, func(rej *RejectError) {
			c.p.metrics.repliesRejected.WithLabelValues(rej.Reason).Inc()
			c.p.log.Warn("reply rejected, closing link", "target", c.t.addr.String(), "link", linkType, "reason", rej.Reason, "err", rej)
		})
		if !recordLocal {
			c.mu.Lock()
			c.subNet = conn
			c.mu.Unlock()
		}
		return c.track(conn, c.p.metrics.links.WithLabelValues(metricLink))
	}
}

// onConnect authenticates and names a new connection the way
// sentinelReconnectInstance does, with the master's renamed AUTH and CLIENT.
func (c *redisConn) onConnect(linkType string) func(ctx context.Context, cn *redis.Conn) error {
	return func(ctx context.Context, cn *redis.Conn) error {
		user, pass := c.credentials()
		if pass != "" {
			args := []any{c.rename("AUTH")}
			if user != "" {
				args = append(args, user)
			}
			args = append(args, pass)
			if err := cn.Do(ctx, args...).Err(); err != nil {
				return fmt.Errorf("datanode: AUTH on %s: %w", c.t.addr, err)
			}
		}
		if name := c.p.clientName(linkType); name != "" {
			// A refused CLIENT SETNAME (ACL, renamed away) is harmless, as in
			// Redis; only a broken link fails the connection.
			var redisErr redis.Error
			if err := cn.Do(ctx, c.rename("CLIENT"), "SETNAME", name).Err(); err != nil && !errors.As(err, &redisErr) {
				return fmt.Errorf("datanode: CLIENT SETNAME on %s: %w", c.t.addr, err)
			}
		}
		return nil
	}
}

func (c *redisConn) credentials() (user, pass string) {
	if !c.t.dataNode {
		if c.p.opts.PeerCredentials == nil {
			return "", ""
		}
		return c.p.opts.PeerCredentials()
	}
	if c.p.opts.Credentials == nil {
		return "", ""
	}
	_, master := c.t.identity()
	return c.p.opts.Credentials(master)
}

// rename applies the master's rename-command table; peer sentinels have
// none (Redis would apply the master's table to them too, which only breaks
// PING and PUBLISH towards peers, so we do not).
func (c *redisConn) rename(command string) string {
	if !c.t.dataNode {
		return command
	}
	_, master := c.t.identity()
	return c.p.rename(master, command)
}

func (c *redisConn) client() (*redis.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errLinkClosed
	}
	return c.cmd, nil
}

func (c *redisConn) do(ctx context.Context, args ...any) (cmd *redis.Cmd) {
	cl, err := c.client()
	if err != nil {
		cmd := redis.NewCmd(ctx, args...)
		cmd.SetErr(err)
		return cmd
	}
	defer func() {
		if err := c.recovered(fmt.Sprint(args[0]), recover()); err != nil {
			cmd = redis.NewCmd(ctx, args...)
			cmd.SetErr(err)
			c.dropIfBroken(cl, err)
		}
	}()
	cmd = cl.Do(ctx, args...)
	c.dropIfBroken(cl, cmd.Err())
	c.markProven(cl, cmd.Err())
	return cmd
}

// markProven records that client cl had a reply (onCmdLane).
func (c *redisConn) markProven(cl *redis.Client, err error) {
	if !Classify(err).Connected() {
		return
	}
	c.mu.Lock()
	if c.cmd == cl {
		c.proven = cl
	}
	c.mu.Unlock()
}

// recovered turns a recovered panic value into a link error and a log
// line; nil when there was no panic. Whatever a node sends, the process
// survives and only that node's link is affected.
func (c *redisConn) recovered(op string, r any) error {
	if r == nil {
		return nil
	}
	c.p.metrics.panics.Inc()
	stack := debug.Stack()
	if len(stack) > 4<<10 {
		stack = stack[:4<<10]
	}
	c.p.log.Warn("recovered panic on link, dropping it", "target", c.t.addr.String(), "op", op, "panic", fmt.Sprint(r), "stack", string(stack))
	return fmt.Errorf("%w to %s during %s: %v", errLinkPanic, c.t.addr, op, r)
}

// dropIfBroken replaces the command client after a failure that says the
// link is gone, as Sentinel tears an instanceLink down and reconnects on
// the next tick. Keeping the old client would be slower: after PoolSize
// failed dials go-redis answers with the cached dial error and probes the
// server only once a second, which would delay noticing a restarted master.
func (c *redisConn) dropIfBroken(cl *redis.Client, err error) {
	// A pool timeout means the connection is busy (the other lane's
	// command is pending on a peer's single connection), not broken; that
	// command ends at its own pending limit.
	if err == nil || Classify(err).Connected() || errors.Is(err, redis.ErrPoolTimeout) {
		return
	}
	c.mu.Lock()
	if c.closed || c.cmd != cl {
		c.mu.Unlock()
		return // closed, or another lane already replaced it
	}
	c.cmd = c.newClient(linkTypeCmd)
	c.mu.Unlock()
	_ = cl.Close()
}

// ping counts only a PONG (or an error reply, which Classify sorts) as an
// answer, as sentinelPingReplyCallback does; anything else proves the link
// up but not the node available.
func (c *redisConn) ping(ctx context.Context) error {
	if c.probe != nil {
		return c.probe.send(ctx, nil).err
	}
	_, err := c.onPingLane(ctx, func(ctx context.Context) (any, error) { return nil, c.pingNow(ctx) })
	return err
}

// pingNow sends PING on whichever lane runs it.
func (c *redisConn) pingNow(ctx context.Context) error {
	v, err := c.do(ctx, c.rename("PING")).Result()
	if err != nil {
		return err
	}
	return c.checkPong(v)
}

// checkPong accepts a PING's reply only when it is a PONG.
func (c *redisConn) checkPong(v any) error {
	if s, ok := v.(string); !ok || !strings.HasPrefix(s, "PONG") {
		return fmt.Errorf("%w to PING from %s: %.64q", errUnexpectedReply, c.t.addr, fmt.Sprint(v))
	}
	return nil
}

func (c *redisConn) info(ctx context.Context) (string, error) {
	v, err := c.onCmdLane(ctx, func(ctx context.Context) (any, error) {
		return c.do(ctx, c.rename("INFO")).Text()
	})
	s, _ := v.(string)
	return s, err
}

func (c *redisConn) localIP(ctx context.Context) (string, error) {
	c.mu.Lock()
	ip := c.lastLocalIP
	c.mu.Unlock()
	if ip != "" {
		return ip, nil
	}
	// No connection yet: open one. A PING is what Redis would have sent
	// on a fresh link anyway.
	if err := c.onCmdLaneErr(ctx, c.pingNow); err != nil {
		return "", err
	}
	c.mu.Lock()
	ip = c.lastLocalIP
	c.mu.Unlock()
	if ip == "" {
		return "", fmt.Errorf("datanode: local address of the link to %s is unknown", c.t.addr)
	}
	return ip, nil
}

func (c *redisConn) publish(ctx context.Context, payload string) error {
	return c.sendOnCmdLane(ctx, c.rename("PUBLISH"), monitor.HelloChannel, payload)
}

func (c *redisConn) askPeer(ctx context.Context, a monitor.AskPeer) (any, error) {
	return c.onCmdLane(ctx, func(ctx context.Context) (any, error) {
		return c.do(ctx, "SENTINEL", "is-master-down-by-addr",
			a.MasterAddr.Host, strconv.Itoa(a.MasterAddr.Port),
			strconv.FormatUint(a.Epoch, 10), a.RunID).Result()
	})
}

// replicaOf sends sentinelSendSlaveOf's transaction in one pipeline on one
// connection: MULTI; SLAVEOF ...; CONFIG REWRITE; CLIENT KILL TYPE normal;
// CLIENT KILL TYPE pubsub; EXEC. CLIENT KILL skips the calling connection,
// so the EXEC reply still arrives. Only the link-level error is returned:
// queued-command errors (CONFIG REWRITE without a config file) do not undo
// the SLAVEOF, and Sentinel ignores them too.
func (c *redisConn) replicaOf(ctx context.Context, a monitor.ReplicaOf) error {
	return c.onCmdLaneErr(ctx, func(ctx context.Context) error { return c.replicaOfNow(ctx, a) })
}

func (c *redisConn) replicaOfNow(ctx context.Context, a monitor.ReplicaOf) (err error) {
	cl, err := c.client()
	if err != nil {
		return err
	}
	defer func() {
		if perr := c.recovered("replicaof", recover()); perr != nil {
			err = perr
			c.dropIfBroken(cl, err)
		}
	}()
	slaveOf := []any{c.rename("SLAVEOF"), "NO", "ONE"}
	if !a.NoOne {
		slaveOf[1], slaveOf[2] = a.NewMaster.Host, strconv.Itoa(a.NewMaster.Port)
	}
	var exec *redis.Cmd
	_, err = cl.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Do(ctx, c.rename("MULTI"))
		pipe.Do(ctx, slaveOf...)
		pipe.Do(ctx, c.rename("CONFIG"), "REWRITE")
		pipe.Do(ctx, c.rename("CLIENT"), "KILL", "TYPE", "normal")
		pipe.Do(ctx, c.rename("CLIENT"), "KILL", "TYPE", "pubsub")
		exec = pipe.Do(ctx, c.rename("EXEC"))
		return nil
	})
	c.dropIfBroken(cl, err)
	if err != nil && exec != nil && exec.Err() == nil {
		// Some queued command was refused but EXEC ran: that is success.
		return nil
	}
	return err
}

func (c *redisConn) failoverTo(ctx context.Context, a monitor.FailoverTo) error {
	ms := max(a.Timeout.Milliseconds(), 1)
	return c.sendOnCmdLane(ctx, c.rename("FAILOVER"), "TO", a.To.Host, strconv.Itoa(a.To.Port), "TIMEOUT", strconv.FormatInt(ms, 10))
}

func (c *redisConn) scriptKill(ctx context.Context) error {
	return c.sendOnCmdLane(ctx, c.rename("SCRIPT"), "KILL")
}

func (c *redisConn) receiveHellos(ctx context.Context, handle func(payload string), broken func()) {
	for ctx.Err() == nil {
		dials := c.subPace.dialCount()
		c.mu.Lock()
		gen := c.subGen
		c.mu.Unlock()
		hc, err := c.openHello(ctx)
		if hc == nil && err == nil {
			return // closed
		}
		subscribed := false
		if err == nil {
			subscribed, err = c.pump(ctx, hc, handle)
		} else if ctx.Err() == nil {
			c.p.metrics.commandError(cmdSubscribe, Classify(err))
			c.p.log.Debug("hello subscription failed", "target", c.t.addr.String(), "err", err)
		}
		c.mu.Lock()
		ours := c.closed || c.subGen != gen // reconnect or close ended it
		if hc != nil && c.ps == hc {
			c.ps, c.subNet = nil, nil
		}
		c.mu.Unlock()
		if err != nil && ctx.Err() == nil && !ours && Classify(err) == monitor.ReplyConnErr && !errors.Is(err, errReconnectBackoff) {
			// The node closed or reset the connection: report it now, it
			// is the earliest sign of a dead node we get.
			broken()
		}
		if err != nil && !ours {
			c.t.reportSubscribe(ctx, Classify(err))
		}
		if hc != nil {
			_ = hc.close()
		}
		// The first redial after a healthy link is immediate; a link that
		// keeps breaking waits out its backoff (the dialer would refuse
		// it anyway, so waiting here only saves the spin).
		wait := c.subPace.wait()
		if c.subPace.dialCount() == dials || !subscribed {
			// Nothing was dialled, so the backoff did not advance, or the
			// dial found nothing listening (not paced, see refused) or a
			// node that refused the subscription: never let an attempt
			// that never subscribed spin. Redis retries such a link once a
			// second; this is a quarter of that.
			wait = max(wait, c.p.opts.ReconnectInitial)
		}
		if !sleep.For(ctx, wait) {
			return
		}
	}
}

// pump reads the subscription until it breaks or ctx ends. Silence longer
// than PubSubIdle is answered with a PING; the link is given up (pump
// returns so it is reopened) once it has been silent for three periods and
// open for the pending limit (pubSubGiveUp), as Sentinel closes a pub/sub
// link with no activity for 3 publish periods once it is older than
// min-link-reconnect-period: a node that accepts and never answers keeps
// it as long as the command link. subscribed says
// whether the node confirmed the subscription; the confirmation is reported
// to the core (the link is no longer disconnected).
func (c *redisConn) pump(ctx context.Context, hc *helloConn, handle func(payload string)) (subscribed bool, err error) {
	defer func() {
		if perr := c.recovered("subscribe", recover()); perr != nil {
			c.p.metrics.commandError(cmdSubscribe, Classify(perr))
			err = perr
		}
	}()
	stop := context.AfterFunc(ctx, func() { _ = hc.close() })
	defer stop()
	probing := false
	opened := time.Now()
	lastSeen := opened
	// The pending limit follows the master's down-after (SENTINEL SET can
	// change it), looked up at most once a second, not per hello.
	limit, limitAt := c.pendingLimit(), opened
	for {
		var msg helloMsg
		now := time.Now()
		if now.Sub(limitAt) >= time.Second {
			limit, limitAt = c.pendingLimit(), now
		}
		err := hc.waitReply(now.Add(c.p.opts.PubSubIdle), now.Add(limit))
		if err == nil {
			msg, err = hc.read()
		}
		if ctx.Err() != nil {
			return subscribed, nil
		}
		if err != nil {
			var redisErr respError
			now := time.Now()
			if isTimeout(err) && !errors.As(err, &redisErr) && !c.pubSubGiveUp(now.Sub(opened), now.Sub(lastSeen)) {
				if probing {
					continue // the PING is pending: keep waiting
				}
				probing = true
				if err = hc.ping(c.rename("PING"), c.p.opts.CommandTimeout); err == nil {
					continue
				}
			}
			c.p.metrics.commandError(cmdSubscribe, Classify(err))
			c.p.log.Debug("hello subscription broken", "target", c.t.addr.String(), "err", err)
			return subscribed, err
		}
		probing = false
		lastSeen = time.Now()
		switch msg.kind {
		case "message":
			if msg.channel == monitor.HelloChannel {
				handle(msg.payload)
			}
		case "subscribe":
			if msg.channel == monitor.HelloChannel && !subscribed {
				subscribed = true
				c.t.reportSubscribe(ctx, monitor.ReplyPong)
			}
		}
	}
}

func (c *redisConn) reconnect(pubSubOnly bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	ps, subNet := c.ps, c.subNet
	var old *redis.Client
	if !pubSubOnly {
		old = c.cmd
		c.cmd = c.newClient(linkTypeCmd)
		c.lastLocalIP = ""
	}
	c.ps, c.subNet = nil, nil
	c.subGen++
	c.mu.Unlock()
	// Closing the subscription makes pump return; receiveHellos reopens it.
	if ps != nil {
		_ = ps.close()
	}
	if !pubSubOnly && c.probe != nil {
		c.probe.reset()
	}
	if subNet != nil {
		_ = subNet.Close()
	}
	if old != nil {
		_ = old.Close()
	}
}

func (c *redisConn) close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cmd, open := c.cmd, c.open
	c.ps, c.open = nil, nil
	c.mu.Unlock()
	if c.probe != nil {
		c.probe.close()
	}
	// Every connection, the pub/sub and probe links' included, is in open
	// (track).
	for _, conn := range open {
		_ = conn.Close()
	}
	// Pending commands end with their context or their closed connection.
	defer c.calls.Wait()
	c.endLife()
	return cmd.Close()
}

// track hands conn to go-redis counted on the links gauge and registered
// on the link, so close ends it whatever go-redis is doing with it: still
// setting it up (AUTH, CLIENT SETNAME pending on a silent node, up to the
// pending limit) or finishing a dial it queued before the link closed.
// A link already closed gets no connection.
func (c *redisConn) track(conn net.Conn, g prometheus.Gauge) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return nil, errLinkClosed
	}
	c.nextOpen++
	id := c.nextOpen
	counted := countOpen(conn, g, func() {
		c.mu.Lock()
		delete(c.open, id)
		c.mu.Unlock()
	})
	if c.open == nil {
		c.open = make(map[uint64]net.Conn)
	}
	c.open[id] = counted
	return counted, nil
}
