package pubsub

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/acl"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/pubsub/resp"
	"github.com/sentinelgo/sentinel/sleep"
)

// Options configure a Server. Addrs and Controller are required.
type Options struct {
	// Addrs are the listen addresses ("127.0.0.1:26379", "[::1]:26379").
	// New binds them all, so a port conflict is reported before Run.
	Addrs []string
	// TLSAddrs are listen addresses served with TLS (tls-port); they need
	// TLSConfig. Addrs may then be empty (port 0 with a tls-port).
	TLSAddrs  []string
	TLSConfig *tls.Config
	// Logger receives connection-level logs; nil discards them.
	Logger *slog.Logger
	// Controller is the running sentinel.
	Controller Controller
	// RequirePass is the default user's password (requirepass); empty
	// means no password.
	RequirePass string
	// Users are extra users with every permission and one password each
	// (AUTH user pass); a shorthand for ACLUsers lines
	// "<name> on ><pass> ~* &* +@all".
	Users map[string]string
	// ACLUsers are the configured users ("user" lines of sentinel.conf),
	// applied after RequirePass as Redis does: a line for "default"
	// replaces what requirepass set. An invalid line makes New fail.
	ACLUsers []acl.UserLine
	// ACLLogMax bounds ACL LOG (acllog-max-len; 0 means Redis's 128).
	ACLLogMax int
	// ACLAllChannelsDefault is acl-pubsub-default allchannels: new users
	// may use every channel (Redis 7.0's default gives them none).
	ACLAllChannelsDefault bool
	// OnUsersChanged, when set, receives the user lines after ACL SETUSER
	// or DELUSER changed the users, to persist them (as Redis writes
	// "user" lines into sentinel.conf).
	OnUsersChanged UsersChanged
	// LoadACLFile and SaveACLFile read and write the aclfile for ACL LOAD
	// and ACL SAVE; nil (no aclfile) answers Redis's "not configured"
	// error.
	LoadACLFile func() ([]acl.UserLine, error)
	SaveACLFile func(lines []string) error
	// RunID is INFO's run_id; a random 40-hex id when empty.
	RunID string
	// Port is INFO's tcp_port; the first listener's port when zero.
	Port int
	// ConfigFile is INFO's config_file.
	ConfigFile string
	// Version is our own version, reported as INFO sentinelgo_version;
	// redis_version always says 7.0.15, the behaviour we reproduce.
	Version string
	// MaxClients bounds open client connections (maxclients, default
	// 10000); further connections get "-ERR max number of clients
	// reached" and are closed.
	MaxClients int
	// OutputLimit bounds the events waiting for one subscriber, in bytes,
	// as Redis's client-output-buffer-limit pubsub does; a subscriber over
	// it is disconnected. The zero value means Redis's default
	// (DefaultOutputLimit: 32 MB hard, 8 MB for 60 s soft).
	OutputLimit OutputLimit
	// WriteTimeout bounds each write to a client (a batch of replies, or
	// up to 64 KB of events); a write that does not complete in time,
	// because the client stopped reading and the socket buffers are full,
	// closes the connection (default 10 s).
	WriteTimeout time.Duration
	// Limits bound the requests accepted (zero fields: resp.DefaultLimits).
	Limits resp.Limits
	// Registerer receives the server's metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// ProtectedMode is protected-mode as Redis 7.0 applies it, whatever
	// the bind addresses: while the default user has no password
	// (nopass), a client whose address is not exactly 127.0.0.1 or ::1 is
	// answered DENIED and disconnected.
	ProtectedMode bool
}

// Defaults applied by New.
const (
	defaultMaxClients   = 10000
	defaultWriteTimeout = 10 * time.Second
	// maxReplyBuffer is when a long pipeline gets an intermediate flush,
	// so replies to a client that pipelines without end do not pile up.
	maxReplyBuffer = 64 << 10
)

// ErrServer is wrapped by errors New and Run return.
var ErrServer = errors.New("pubsub")

// Server is the client-facing RESP server of the sentinel.
type Server struct {
	opts      Options
	log       *slog.Logger
	ctrl      Controller
	listeners []net.Listener
	bus       *bus
	metrics   *metrics
	started   time.Time
	runOnce   atomic.Bool

	nextClientID atomic.Uint64

	// conns counts the accept loops and the connection goroutines (a
	// connection moves to a new goroutine after being idle); Run waits
	// for it.
	conns sync.WaitGroup
	// parker holds idle connections without a goroutine (park.go); nil
	// where it cannot run. Set by Run before any connection is accepted.
	parker *parker

	mu      sync.Mutex
	clients map[uint64]*client
	closed  bool

	stats serverStats
	pause clientPause // CLIENT PAUSE (client_pause.go)

	// acl holds the users and the ACL LOG.
	acl *aclState

	// commandCounters caches the per-command metric children, so
	// dispatch does not hash label values on every command.
	commandCounters map[string]prometheus.Counter

	// mastersReply caches the rendered SENTINEL MASTERS reply of the latest
	// snapshot, per protocol (index 2 and 3): the reply depends on nothing
	// else (ages are computed against the snapshot's time), and with many
	// masters rendering it is most of the cost of the command.
	mastersReply [4]atomic.Pointer[renderedReply]
	// addrReplies caches the GET-MASTER-ADDR-BY-NAME replies of the latest
	// snapshot (addrreply.go).
	addrReplies atomic.Pointer[addrReplies]
}

// renderedReply is a reply rendered for one snapshot.
type renderedReply struct {
	snap snapshotRef
	b    []byte
}

// serverStats feed INFO stats.
type serverStats struct {
	connections    atomic.Int64
	commands       atomic.Int64
	netIn          atomic.Int64
	netOut         atomic.Int64
	rejected       atomic.Int64
	errorReplies   atomic.Int64
	slowSubscriber atomic.Int64
	reads, writes  atomic.Int64 // read and write calls on client connections
	rates          rateSampler
}

// New validates the options and binds every listen address.
func New(opts Options) (*Server, error) {
	if opts.Controller == nil {
		return nil, fmt.Errorf("%w: Options.Controller is required", ErrServer)
	}
	if len(opts.Addrs) == 0 && len(opts.TLSAddrs) == 0 {
		return nil, fmt.Errorf("%w: Options.Addrs is empty", ErrServer)
	}
	if len(opts.TLSAddrs) > 0 && opts.TLSConfig == nil {
		return nil, fmt.Errorf("%w: Options.TLSAddrs needs TLSConfig", ErrServer)
	}
	if opts.MaxClients < 0 || opts.WriteTimeout < 0 {
		return nil, fmt.Errorf("%w: MaxClients and WriteTimeout must not be negative", ErrServer)
	}
	if l := opts.OutputLimit; l.Hard < 0 || l.Soft < 0 || l.SoftFor < 0 {
		return nil, fmt.Errorf("%w: OutputLimit fields must not be negative", ErrServer)
	}
	if opts.MaxClients == 0 {
		opts.MaxClients = defaultMaxClients
	}
	if opts.OutputLimit == (OutputLimit{}) {
		opts.OutputLimit = DefaultOutputLimit()
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = defaultWriteTimeout
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.RunID == "" {
		var b [20]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("%w: run id: %w", ErrServer, err)
		}
		opts.RunID = hex.EncodeToString(b[:])
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:    opts,
		log:     log,
		ctrl:    opts.Controller,
		metrics: newMetrics(opts.Registerer),
		started: time.Now(),
		clients: make(map[uint64]*client),
	}
	var err error
	if s.acl, err = newACL(opts); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrServer, err)
	}
	s.bus = newBus(s.metrics)
	s.commandCounters = map[string]prometheus.Counter{"unknown": s.metrics.commands.WithLabelValues("unknown")}
	for name, cmd := range commandTable {
		s.commandCounters[name] = s.metrics.commands.WithLabelValues(name)
		for _, sub := range cmd.subs {
			s.commandCounters[sub.name] = s.metrics.commands.WithLabelValues(sub.name)
		}
	}
	var lc net.ListenConfig
	for _, addr := range opts.Addrs {
		ln, err := lc.Listen(context.Background(), ListenNetwork(addr), addr)
		if err != nil {
			for _, l := range s.listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("%w: listen %s: %w", ErrServer, addr, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if err := s.listenTLS(&lc); err != nil {
		return nil, err
	}
	if s.opts.Port == 0 {
		if ta, ok := s.listeners[0].Addr().(*net.TCPAddr); ok {
			s.opts.Port = ta.Port
		}
	}
	return s, nil
}

// ListenNetwork is the network New listens on for addr: "tcp4" or "tcp6"
// for an IP address, so a wildcard takes only its own family, as Redis's
// IPV6_V6ONLY listeners do and "0.0.0.0" and "::" can both be bound
// (Go's "tcp" would make either dual-stack); "tcp" for anything else
// (":26379" listens on both families).
func ListenNetwork(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "tcp"
	}
	switch ip := net.ParseIP(host); {
	case ip == nil:
		return "tcp"
	case ip.To4() != nil:
		return "tcp4"
	default:
		return "tcp6"
	}
}

// Addr returns the first listener's address.
func (s *Server) Addr() net.Addr { return s.listeners[0].Addr() }

// Addrs returns every listener's address.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, ln := range s.listeners {
		out[i] = ln.Addr()
	}
	return out
}

// Publish sends message to the subscribers of channel and of every
// matching pattern, and returns how many deliveries were queued. It never
// blocks: a subscriber over its OutputLimit is disconnected instead.
func (s *Server) Publish(channel, message string) int {
	return s.bus.publish(channel, message)
}

// Close releases the listeners of a server that will not Run (New bound
// them already). Run closes them itself when its context ends.
func (s *Server) Close() error {
	var errs []error
	for _, ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run serves until ctx is cancelled, then closes the listeners and every
// connection and waits for all of their goroutines. It may be called once.
func (s *Server) Run(ctx context.Context) error {
	if !s.runOnce.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrServer)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.startParker(ctx)
	for _, ln := range s.listeners {
		s.conns.Go(func() { s.acceptLoop(ctx, ln) })
	}
	<-ctx.Done()
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	s.mu.Lock()
	s.closed = true
	for _, c := range s.clients {
		c.close()
	}
	s.mu.Unlock()
	if s.parker != nil {
		s.parker.stop()
	}
	s.conns.Wait()
	return nil
}

func (s *Server) acceptLoop(ctx context.Context, ln net.Listener) {
	backoff := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, so the loop does
			// not spin, and try again.
			s.log.Warn("accept failed", "err", err, "addr", ln.Addr().String())
			if !sleep.For(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		s.metrics.connections.Inc()
		s.stats.connections.Add(1)
		c := s.register(nc)
		if c == nil {
			continue
		}
		s.conns.Go(func() { c.serve(ctx) })
	}
}

// register admits a connection, or refuses it when the server is closing
// or maxclients is reached (answering as Redis does before closing).
func (s *Server) register(nc net.Conn) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = nc.Close()
		return nil
	}
	if nopass, _ := s.acl.defaultOpen(); s.opts.ProtectedMode && nopass && !isLocalPeer(nc.RemoteAddr()) {
		s.refuse(nc, errProtectedMode)
		return nil
	}
	if len(s.clients) >= s.opts.MaxClients {
		s.refuse(nc, errMaxClients)
		return nil
	}
	c := newClient(s, nc)
	s.clients[c.id] = c
	s.metrics.clients.Set(float64(len(s.clients)))
	return c
}

func (s *Server) unregister(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c.id)
	s.metrics.clients.Set(float64(len(s.clients)))
}

// clientList returns the connected clients ordered by id.
func (s *Server) clientList() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sortClients(out)
	return out
}

// snapshot returns the controller's snapshot, never nil.
func (s *Server) snapshot() *monitor.Snapshot {
	if snap := s.ctrl.Snapshot(); snap != nil {
		if snap.At.IsZero() {
			cp := *snap
			cp.At = time.Now()
			return &cp
		}
		return snap
	}
	return &monitor.Snapshot{At: time.Now(), MyID: s.opts.RunID}
}

// authRequired reports whether new connections start unauthenticated:
// unless the default user is on and nopass, as in Redis.
func (s *Server) authRequired() bool {
	nopass, enabled := s.acl.defaultOpen()
	return !nopass || !enabled
}

// countCommand increments the command's counter (names come from the
// table, so the label set is fixed and pre-created in New).
func (s *Server) countCommand(name string) {
	if c, ok := s.commandCounters[name]; ok {
		c.Inc()
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// refuse answers a connection that is not admitted with an error, as Redis
// does before closing it, and counts it.
func (s *Server) refuse(nc net.Conn, text string) {
	s.metrics.rejected.Inc()
	s.stats.rejected.Add(1)
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(nc, "-"+text+"\r\n")
	_ = nc.Close()
}
