package configs

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sentinelgo/sentinel/settings"
)

// Source says which format a Config was read from; it decides where runtime
// state is persisted (see NewStore).
type Source uint8

// The configuration formats.
const (
	SourceYAML Source = iota // native YAML; state goes to a separate state file
	SourceConf               // Redis sentinel.conf; state is rewritten into it
)

// String returns "yaml" or "conf".
func (s Source) String() string {
	switch s {
	case SourceYAML:
		return "yaml"
	case SourceConf:
		return "conf"
	default:
		return "source(" + strconv.Itoa(int(s)) + ")"
	}
}

// Defaults shared by both formats (Redis 7.0 values where Redis has one).
const (
	DefaultPort            = 26379
	DefaultDownAfter       = 30 * time.Second
	DefaultFailoverTimeout = 3 * time.Minute
	DefaultParallelSyncs   = 1
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
	// The discovery limits; far above any real deployment (Redis has
	// none). They equal monitor.DefaultLimits (a supervisor test checks).
	DefaultMaxReplicasPerMaster  = 1000
	DefaultMaxSentinelsPerMaster = 100
)

// Config is a whole sentinel configuration, from YAML or sentinel.conf.
type Config struct {
	Sentinel Sentinel `yaml:"sentinel"`
	Masters  []Master `yaml:"masters"`
	// Election selects vote or raft mode (configs/election.go).
	Election Election `yaml:"election,omitempty"`

	// Source is the format the configuration was read from.
	Source Source `yaml:"-"`
	// Path is the file it was read from ("" for Load of bytes).
	Path string `yaml:"-"`
	// Unsupported lists the sentinel.conf server directives that were parsed
	// but are not acted on (tls-*, aclfile, user, ...), so the caller can
	// warn about each. Always empty for YAML.
	Unsupported []Directive `yaml:"-"`

	// lines maps a field path (as printed by Validate) to its YAML line.
	lines map[string]int
}

// Directive is one sentinel.conf line that was parsed but is not acted on.
type Directive struct {
	Line int      // 1-based line number
	Name string   // the directive, lower-cased (e.g. "tls-port")
	Args []string // its arguments after unquoting
}

// Sentinel holds the process-wide settings.
type Sentinel struct {
	// ID is the sentinel's run id, 40 hex characters (sentinel myid).
	// Empty: the supervisor generates one and persists it.
	ID string `yaml:"id,omitempty"`
	// Bind lists the addresses to listen on (bind); empty means all.
	// A leading '-' marks an address that may be missing (Redis 7).
	Bind []string `yaml:"bind,omitempty"`
	// Port is the client port (port), default 26379.
	Port int `yaml:"port"`
	// AnnounceIP is the address our hellos carry (sentinel announce-ip).
	AnnounceIP string `yaml:"announce_ip,omitempty"`
	// AnnouncePort is the port our hellos carry (sentinel announce-port);
	// 0 means Port.
	AnnouncePort int `yaml:"announce_port,omitempty"`
	// AnnounceHostnames uses host names in replies, hellos and the state
	// (sentinel announce-hostnames).
	AnnounceHostnames bool `yaml:"announce_hostnames"`
	// ResolveHostnames accepts host names for data nodes (sentinel
	// resolve-hostnames).
	ResolveHostnames bool `yaml:"resolve_hostnames"`
	// StateFile is where runtime state is kept in YAML mode; default is
	// "<config without .yaml>.state.yaml" next to the config (StatePath).
	StateFile string `yaml:"state_file,omitempty"`
	// Dir is the working directory (dir), absolute once loaded: relative
	// logfile, pidfile, state_file and script paths (including those set
	// at run time) resolve against it (see WorkDir). From sentinel.conf it
	// is relative to the directory the process started in and always set
	// (that directory when the file has no dir); from YAML it is relative
	// to the YAML file. The library never chdirs; the binary does.
	Dir string `yaml:"dir,omitempty"`
	// LogLevel is debug, info, warn or error (loglevel; Redis's verbose,
	// notice and warning map to debug, info and warn).
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// LogFile is the log destination (logfile); empty means stderr.
	LogFile string `yaml:"logfile,omitempty"`
	// PidFile is written at start-up when set (pidfile).
	PidFile string `yaml:"pidfile,omitempty"`
	// Daemonize is accepted for compatibility (daemonize) but never acted
	// on: the process never forks; run it under a service manager.
	Daemonize bool `yaml:"daemonize"`
	// ProtectedMode refuses clients other than 127.0.0.1 and ::1 while
	// the default user has no password, whatever Bind says (protected-mode,
	// as Redis 7.0). YAML default: on; sentinel.conf default: off, as in
	// Redis's Sentinel.
	ProtectedMode bool `yaml:"protected_mode"`
	// RequirePass is the password clients must AUTH with (requirepass).
	RequirePass     Secret `yaml:"requirepass,omitempty"`
	RequirePassFile string `yaml:"requirepass_file,omitempty"`
	// Users are the ACL users (user lines): one entry per user, its name
	// then its rules, Redis-quoted ("app on >pw -@all +ping"). A ">pw"
	// rule holds a plaintext password: prefer "#<sha256 hex>". Checked
	// for syntax here; the server refuses to start on an unknown command.
	// ACL SETUSER/DELUSER changes are saved as the rewrite's user lines.
	Users []string `yaml:"users,omitempty"`
	// ACLFile loads the users from a file of user lines instead (aclfile);
	// ACL SAVE and ACL LOAD use it. Not together with Users.
	ACLFile string `yaml:"aclfile,omitempty"`
	// ACLLogMaxLen bounds ACL LOG (acllog-max-len); 0 means 128.
	ACLLogMaxLen int `yaml:"acllog_max_len,omitempty"`
	// ACLPubsubDefault is acl-pubsub-default: "resetchannels" (Redis
	// 7.0's default: new users get no channel) or "allchannels".
	ACLPubsubDefault string `yaml:"acl_pubsub_default,omitempty"`
	// TLS is the TLS listener of the sentinel port (tls-*, configs/tls.go).
	TLS TLS `yaml:"tls,omitempty"`
	// SentinelUser and SentinelPass authenticate us to peer sentinels
	// (sentinel sentinel-user / sentinel-pass); without SentinelPass the
	// RequirePass is used, as Redis does.
	SentinelUser     string `yaml:"sentinel_user,omitempty"`
	SentinelPass     Secret `yaml:"sentinel_pass,omitempty"`
	SentinelPassFile string `yaml:"sentinel_pass_file,omitempty"`
	// DenyScriptsReconfig forbids SENTINEL SET of script paths (sentinel
	// deny-scripts-reconfig), default true.
	DenyScriptsReconfig bool `yaml:"deny_scripts_reconfig"`
	// MetricsAddr is the HTTP listener for /metrics (host:port); empty
	// disables it.
	MetricsAddr string `yaml:"metrics_addr,omitempty"`
	// Pprof serves /debug/pprof on the metrics listener; off by default
	// (profiles reveal memory contents). YAML only.
	Pprof bool `yaml:"pprof,omitempty"`
	// WebConfigFile is a web.config file in prometheus/exporter-toolkit's
	// format (tls_server_config, basic_auth_users with bcrypt hashes) for
	// the metrics listener; read again on every connection. YAML only (or
	// --web.config.file).
	WebConfigFile string `yaml:"web_config_file,omitempty"`
	// Webhooks are http(s) URLs that receive every warning-level event as
	// JSON (POST, retried with backoff). YAML only.
	Webhooks []string `yaml:"webhooks,omitempty"`
	// CurrentEpoch is the persisted current epoch (sentinel current-epoch).
	CurrentEpoch uint64 `yaml:"current_epoch,omitempty"`
	// Limits bound what discovery may add to each master. YAML only;
	// sentinel.conf (Redis has no such directive) always has the defaults.
	Limits Limits `yaml:"limits"`
}

// Limits bound how many replicas and peer sentinels discovery may add to
// one master, so a hostile INFO reply or a hello flood cannot grow the
// state, the links and the state file without bound. What is over a limit
// is ignored, with one +discovery-limit warning.
type Limits struct {
	// MaxReplicasPerMaster bounds the replicas of one master (default 1000).
	MaxReplicasPerMaster int `yaml:"max_replicas_per_master"`
	// MaxSentinelsPerMaster bounds the other sentinels watching one master
	// (default 100).
	MaxSentinelsPerMaster int `yaml:"max_sentinels_per_master"`
}

// Master is one monitored master with its settings and persisted state.
type Master struct {
	// Name is the master's name (sentinel monitor <name>); no spaces or
	// commas, which would break the hello message.
	Name string `yaml:"name"`
	// Addr is the master's address; YAML accepts "address: host:port" or
	// "host:" and "port:".
	Addr Addr `yaml:"address"`
	// Host and Port are the other YAML spelling of Addr; Load moves them
	// into Addr and clears them.
	Host string `yaml:"host,omitempty"`
	Port int    `yaml:"port,omitempty"`
	// MasterSettings are the settings (quorum, timers, auth, scripts,
	// rename-command), shared with the core: YAML keys at this level.
	settings.MasterSettings `yaml:",inline"`
	// AuthPassFile names a file holding AuthPass (YAML only).
	AuthPassFile string `yaml:"auth_pass_file,omitempty"`

	// Persisted state (written by the sentinel itself).

	// ConfigEpoch is sentinel config-epoch.
	ConfigEpoch uint64 `yaml:"config_epoch,omitempty"`
	// LeaderEpoch is sentinel leader-epoch.
	LeaderEpoch uint64 `yaml:"leader_epoch,omitempty"`
	// Leader is the run id of the last elected leader (not in sentinel.conf,
	// which keeps only the epoch).
	Leader string `yaml:"leader,omitempty"`
	// KnownReplicas is sentinel known-replica.
	KnownReplicas []Addr `yaml:"known_replicas,omitempty"`
	// KnownSentinels is sentinel known-sentinel.
	KnownSentinels []KnownSentinel `yaml:"known_sentinels,omitempty"`
}

// KnownSentinel is a peer sentinel remembered across restarts.
type KnownSentinel struct {
	Addr  Addr   `yaml:"address"`
	RunID string `yaml:"run_id"`
}

// Addr is a host (IP or name) and port. In YAML it is the string
// "host:port" ("[::1]:6379" for IPv6).
type Addr struct {
	Host string
	Port int
}

// String returns host:port, bracketing IPv6 addresses.
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// ParseAddr parses "host:port" with a port in 1..65535.
func ParseAddr(s string) (Addr, error) {
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, fmt.Errorf("configs: address %q: want host:port", s)
	}
	if host == "" {
		return Addr{}, fmt.Errorf("configs: address %q: empty host", s)
	}
	port, err := parsePort(portText)
	if err != nil {
		return Addr{}, fmt.Errorf("configs: address %q: %w", s, err)
	}
	return Addr{Host: host, Port: port}, nil
}

func parsePort(s string) (int, error) {
	port, err := strconv.Atoi(s)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("port %q must be a number in 1..65535", s)
	}
	return port, nil
}

// MarshalYAML writes "host:port" ("" for the zero Addr).
func (a Addr) MarshalYAML() (any, error) {
	if a == (Addr{}) {
		return "", nil
	}
	return a.String(), nil
}

// UnmarshalYAML parses "host:port". A malformed value is reported as a
// yaml.TypeError so decoding goes on and every problem is reported at once.
func (a *Addr) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a host:port string", node.Line)}}
	}
	if node.Value == "" {
		*a = Addr{}
		return nil
	}
	parsed, err := ParseAddr(node.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", node.Line, strings.TrimPrefix(err.Error(), "configs: "))}}
	}
	*a = parsed
	return nil
}

// IsZero lets yaml.v3 omit an unset address.
func (a Addr) IsZero() bool { return a == (Addr{}) }

// NewRunID returns a random sentinel id: 40 lower-case hex characters, the
// form Redis generates for myid.
func NewRunID() (string, error) {
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("configs: new run id: %w", err)
	}
	return hex.EncodeToString(raw[:]), nil
}

// Default returns a Config with every default filled and no masters.
func Default() *Config {
	return &Config{
		Sentinel: Sentinel{
			Port:                DefaultPort,
			LogLevel:            DefaultLogLevel,
			LogFormat:           DefaultLogFormat,
			ProtectedMode:       true,
			DenyScriptsReconfig: true,
			Limits: Limits{
				MaxReplicasPerMaster:  DefaultMaxReplicasPerMaster,
				MaxSentinelsPerMaster: DefaultMaxSentinelsPerMaster,
			},
		},
	}
}

// DefaultMaster returns a Master with Redis's default settings.
func DefaultMaster() Master {
	return Master{MasterSettings: settings.MasterSettings{
		DownAfter:       DefaultDownAfter,
		FailoverTimeout: DefaultFailoverTimeout,
		ParallelSyncs:   DefaultParallelSyncs,
	}}
}

// Master returns the master called name, or nil.
func (c *Config) Master(name string) *Master {
	if i := c.masterIndex(name); i >= 0 {
		return &c.Masters[i]
	}
	return nil
}

// masterIndex is the index of the master called name, or -1.
func (c *Config) masterIndex(name string) int {
	for i := range c.Masters {
		if c.Masters[i].Name == name {
			return i
		}
	}
	return -1
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	out := *c
	out.Sentinel.Bind = append([]string(nil), c.Sentinel.Bind...)
	out.Sentinel.Webhooks = append([]string(nil), c.Sentinel.Webhooks...)
	out.Unsupported = append([]Directive(nil), c.Unsupported...)
	out.Masters = cloneMasters(c.Masters)
	out.Election = c.Election.Clone()
	out.lines = nil
	return &out
}

func cloneMasters(in []Master) []Master {
	if in == nil {
		return nil
	}
	out := make([]Master, len(in))
	for i, m := range in {
		out[i] = m.Clone()
	}
	return out
}

// Clone returns a deep copy.
func (m Master) Clone() Master {
	out := m
	out.MasterSettings = m.MasterSettings.Clone()
	out.KnownReplicas = append([]Addr(nil), m.KnownReplicas...)
	out.KnownSentinels = append([]KnownSentinel(nil), m.KnownSentinels...)
	return out
}

// StatePath is where runtime state is persisted: the sentinel.conf itself
// in conf mode; in YAML mode sentinel.state_file, or else the config path
// with its .yaml/.yml extension replaced by ".state.yaml".
func (c *Config) StatePath() string {
	if c.Source == SourceConf {
		return c.Path
	}
	if c.Sentinel.StateFile != "" {
		return c.Sentinel.StateFile
	}
	base := c.Path
	if base == "" {
		base = "sentinel.yaml"
	}
	for _, ext := range []string{".yaml", ".yml"} {
		if trimmed, ok := strings.CutSuffix(base, ext); ok {
			return trimmed + ".state.yaml"
		}
	}
	return base + ".state.yaml"
}
