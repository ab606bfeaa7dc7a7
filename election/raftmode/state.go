package raftmode

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"time"
)

// Lease is the right to run one failover of one master in one epoch. Only
// the holder of the lease for an epoch may commit the switch for that epoch.
type Lease struct {
	Epoch     uint64    `json:"epoch"`
	Holder    string    `json:"holder"`
	GrantedAt time.Time `json:"granted_at"`
	Expires   time.Time `json:"expires"`
	// Term is the raft term of the log entry that granted (or last
	// renewed) the lease. A lease from an earlier term than a takeover
	// request's belongs to a deposed leader (ADR 0003, rule 1). Snapshots
	// written before terms were recorded read as 0: an earlier term than
	// any entry's, which raft numbers from 1.
	Term uint64 `json:"term,omitempty"`
}

// MasterState is the agreed state of one supervised master.
type MasterState struct {
	Name string `json:"name"`
	// Addr is "host:port" of the master every sentinel must report.
	Addr string `json:"addr"`
	// ConfigEpoch is the epoch of the last committed switch; it only grows.
	ConfigEpoch uint64 `json:"config_epoch"`
	// Lease is the last granted lease (zero when none was ever granted).
	Lease Lease `json:"lease"`
}

// Snapshot is a copy of the replicated state, safe to keep and modify.
type Snapshot struct {
	Masters map[string]MasterState `json:"masters"`
	// HighestEpoch is the largest epoch any accepted command carried.
	HighestEpoch uint64 `json:"highest_epoch"`
}

// Command is one entry of the replicated log: LeaseRequest, SwitchMaster or
// SetMaster.
type Command interface {
	commandType() byte
}

// LeaseRequest asks for the failover lease of Master at Epoch for Holder.
// At is the proposer's clock when proposing; apply judges expiry against
// it, never against its own clock, so every replica reaches the same answer.
//
// Takeover asks to replace another holder's unexpired lease if it was
// granted in an earlier raft term than this entry's (its leader has been
// deposed). It is encoded as its own type byte, not in the JSON, so that
// a replica too old to know the rule stops at such an entry instead of
// refusing what the others grant.
type LeaseRequest struct {
	Master   string        `json:"master"`
	Epoch    uint64        `json:"epoch"`
	Holder   string        `json:"holder"`
	At       time.Time     `json:"at"`
	TTL      time.Duration `json:"ttl"`
	Takeover bool          `json:"-"`
}

// SwitchMaster records that Holder, holding the lease for Epoch, promoted
// Addr to be the master called Master.
type SwitchMaster struct {
	Master string `json:"master"`
	Addr   string `json:"addr"`
	Epoch  uint64 `json:"epoch"`
	Holder string `json:"holder"`
}

// SetMaster adds a master to supervise (SENTINEL MONITOR) or, with Remove,
// forgets one (SENTINEL REMOVE).
type SetMaster struct {
	Name        string `json:"name"`
	Addr        string `json:"addr,omitempty"`
	ConfigEpoch uint64 `json:"config_epoch,omitempty"`
	Remove      bool   `json:"remove,omitempty"`
}

// Command type bytes. A set high bit marks a type that older replicas may
// skip; every type defined today is mandatory.
const (
	typeLeaseRequest byte = 1
	typeSwitchMaster byte = 2
	typeSetMaster    byte = 3
	// typeLeaseTakeover is a LeaseRequest with Takeover set; mandatory.
	typeLeaseTakeover byte = 4

	// IgnorableFlag on a type byte tells a replica that does not know the
	// type to skip the entry instead of crashing.
	IgnorableFlag byte = 0x80
)

func (c LeaseRequest) commandType() byte {
	if c.Takeover {
		return typeLeaseTakeover
	}
	return typeLeaseRequest
}
func (SwitchMaster) commandType() byte { return typeSwitchMaster }
func (SetMaster) commandType() byte    { return typeSetMaster }

// Rejection says why apply refused a command. The empty value means accepted.
type Rejection string

// The reasons apply gives for refusing a command.
const (
	RejectInvalid       Rejection = "invalid command"
	RejectUnknownMaster Rejection = "unknown master"
	RejectMasterExists  Rejection = "master already exists"
	RejectStaleEpoch    Rejection = "epoch not above the last granted or committed epoch"
	RejectLeaseHeld     Rejection = "another holder has an unexpired lease"
	RejectNotHolder     Rejection = "proposer does not hold the lease for this epoch"
	RejectIgnored       Rejection = "unknown ignorable command skipped"
)

// Result is what applying one command produced. It is returned from the
// FSM, so raft hands it back to the proposer through ApplyFuture.Response.
type Result struct {
	Accepted bool
	Reason   Rejection
	// Detail explains an invalid command; empty otherwise.
	Detail string
	// Master is the master's state after the command (zero when unknown).
	Master MasterState
	// Replaced is the lease a granted LeaseRequest of a new epoch replaced
	// (expired, taken over from a deposed leader, or the holder's own
	// earlier one); zero when there was none, for a renewal and for every
	// other command. With Replaced.Epoch above Master.ConfigEpoch, that
	// lease's failover never committed its switch and may have promoted a
	// replica.
	Replaced Lease
}

// ErrUnknownCommand is returned by decodeCommand for a type byte this build
// does not know. Whether to skip or crash depends on the ignorable bit.
var ErrUnknownCommand = errors.New("raftmode: unknown command type")

// EncodeCommand turns a command into a log entry: one type byte, then JSON.
func EncodeCommand(cmd Command) ([]byte, error) {
	if cmd == nil {
		return nil, errors.New("raftmode: encode: nil command")
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("raftmode: encode command: %w", err)
	}
	return append([]byte{cmd.commandType()}, body...), nil
}

// decodeCommand parses a log entry. For an unknown type it returns
// ErrUnknownCommand and reports whether the type was marked ignorable.
func decodeCommand(data []byte) (cmd Command, ignorable bool, err error) {
	if len(data) == 0 {
		return nil, false, errors.New("raftmode: decode: empty command")
	}
	kind, body := data[0], data[1:]
	var target Command
	switch kind {
	case typeLeaseRequest, typeLeaseTakeover:
		var c LeaseRequest
		err = json.Unmarshal(body, &c)
		c.Takeover = kind == typeLeaseTakeover
		target = c
	case typeSwitchMaster:
		var c SwitchMaster
		err = json.Unmarshal(body, &c)
		target = c
	case typeSetMaster:
		var c SetMaster
		err = json.Unmarshal(body, &c)
		target = c
	default:
		return nil, kind&IgnorableFlag != 0, fmt.Errorf("%w %#x", ErrUnknownCommand, kind)
	}
	if err != nil {
		return nil, false, fmt.Errorf("raftmode: decode command type %d: %w", kind, err)
	}
	return target, false, nil
}

// state is the replicated state machine. It is not safe for concurrent use;
// the FSM serialises access.
type state struct {
	masters      map[string]*MasterState
	highestEpoch uint64
}

func newState() *state {
	return &state{masters: make(map[string]*MasterState)}
}

// applyBytes decodes and applies one log entry of raft term term. An
// entry of an unknown, non-ignorable type panics: a replica that cannot
// understand the log must stop rather than silently diverge from the
// others.
func (s *state) applyBytes(term uint64, data []byte) Result {
	cmd, ignorable, err := decodeCommand(data)
	switch {
	case errors.Is(err, ErrUnknownCommand) && ignorable:
		return Result{Reason: RejectIgnored}
	case errors.Is(err, ErrUnknownCommand):
		panic(fmt.Sprintf("raftmode: refusing to diverge: %v", err))
	case err != nil:
		// Every replica fails to decode the same bytes the same way, so
		// rejecting is deterministic and safe.
		return Result{Reason: RejectInvalid, Detail: err.Error()}
	}
	return s.apply(term, cmd)
}

// apply applies one decoded command, the entry of raft term term. It is
// deterministic: the result and the new state depend only on the old
// state, the command and the term (the same on every replica of the log).
func (s *state) apply(term uint64, cmd Command) Result {
	switch c := cmd.(type) {
	case LeaseRequest:
		return s.applyLease(term, c)
	case *LeaseRequest:
		return s.applyLease(term, *c)
	case SwitchMaster:
		return s.applySwitch(c)
	case *SwitchMaster:
		return s.applySwitch(*c)
	case SetMaster:
		return s.applySetMaster(c)
	case *SetMaster:
		return s.applySetMaster(*c)
	default:
		panic(fmt.Sprintf("raftmode: apply: unhandled command %T", cmd))
	}
}

func invalid(format string, args ...any) Result {
	return Result{Reason: RejectInvalid, Detail: fmt.Sprintf(format, args...)}
}

// applyLease grants, renews or refuses a lease. Another holder's unexpired
// lease blocks a new epoch only if it was granted in the entry's own term
// or later, or the request does not ask to take over: one leader appends
// per term, so a lease of an earlier term belongs to a deposed leader,
// which stops promoting before a new one can be elected (ADR 0003).
func (s *state) applyLease(term uint64, c LeaseRequest) Result {
	switch {
	case c.Epoch == 0:
		return invalid("lease epoch must be above 0")
	case c.Holder == "":
		return invalid("lease holder is empty")
	case c.TTL <= 0:
		return invalid("lease ttl %s must be positive", c.TTL)
	case c.At.IsZero():
		return invalid("lease request carries no time")
	}
	m, ok := s.masters[c.Master]
	if !ok {
		return Result{Reason: RejectUnknownMaster}
	}
	expires := c.At.Add(c.TTL)
	renewal := c.Epoch == m.Lease.Epoch && c.Holder == m.Lease.Holder
	if renewal {
		// A proposal stamped earlier than the last grant must not shorten
		// the lease others have already observed.
		if expires.After(m.Lease.Expires) {
			m.Lease.Expires = expires
		}
		m.Lease.Term = max(m.Lease.Term, term)
		return Result{Accepted: true, Master: *m}
	}
	if c.Epoch <= m.Lease.Epoch || c.Epoch <= m.ConfigEpoch {
		return Result{Reason: RejectStaleEpoch, Master: *m}
	}
	held := m.Lease.Holder != "" && m.Lease.Holder != c.Holder && c.At.Before(m.Lease.Expires)
	if held && !(c.Takeover && m.Lease.Term < term) {
		return Result{Reason: RejectLeaseHeld, Master: *m}
	}
	replaced := m.Lease
	m.Lease = Lease{Epoch: c.Epoch, Holder: c.Holder, GrantedAt: c.At, Expires: expires, Term: term}
	s.highestEpoch = max(s.highestEpoch, c.Epoch)
	return Result{Accepted: true, Master: *m, Replaced: replaced}
}

func (s *state) applySwitch(c SwitchMaster) Result {
	if err := checkAddr(c.Addr); err != nil {
		return invalid("switch address: %v", err)
	}
	if c.Holder == "" {
		return invalid("switch holder is empty")
	}
	m, ok := s.masters[c.Master]
	if !ok {
		return Result{Reason: RejectUnknownMaster}
	}
	if c.Epoch <= m.ConfigEpoch {
		return Result{Reason: RejectStaleEpoch, Master: *m}
	}
	if m.Lease.Epoch != c.Epoch || m.Lease.Holder != c.Holder {
		return Result{Reason: RejectNotHolder, Master: *m}
	}
	m.Addr = c.Addr
	m.ConfigEpoch = c.Epoch
	s.highestEpoch = max(s.highestEpoch, c.Epoch)
	return Result{Accepted: true, Master: *m}
}

func (s *state) applySetMaster(c SetMaster) Result {
	if c.Name == "" {
		return invalid("master name is empty")
	}
	existing, ok := s.masters[c.Name]
	if c.Remove {
		if !ok {
			return Result{Reason: RejectUnknownMaster}
		}
		delete(s.masters, c.Name)
		return Result{Accepted: true, Master: *existing}
	}
	if err := checkAddr(c.Addr); err != nil {
		return invalid("master address: %v", err)
	}
	if ok {
		return Result{Reason: RejectMasterExists, Master: *existing}
	}
	m := &MasterState{Name: c.Name, Addr: c.Addr, ConfigEpoch: c.ConfigEpoch}
	s.masters[c.Name] = m
	s.highestEpoch = max(s.highestEpoch, c.ConfigEpoch)
	return Result{Accepted: true, Master: *m}
}

// checkAddr accepts "host:port" with a non-empty host and a port in 1..65535.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if host == "" {
		return fmt.Errorf("%q: empty host", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be 1..65535", addr)
	}
	return nil
}

// snapshot returns a deep copy of the state.
func (s *state) snapshot() Snapshot {
	out := Snapshot{Masters: make(map[string]MasterState, len(s.masters)), HighestEpoch: s.highestEpoch}
	for name, m := range s.masters {
		out.Masters[name] = *m
	}
	return out
}

// stateFromSnapshot rebuilds a state, rejecting snapshots that could not
// have been produced by apply.
func stateFromSnapshot(snap Snapshot) (*state, error) {
	s := newState()
	s.highestEpoch = snap.HighestEpoch
	for _, name := range slices.Sorted(maps.Keys(snap.Masters)) {
		m := snap.Masters[name]
		if name == "" || m.Name != name {
			return nil, fmt.Errorf("raftmode: snapshot: master key %q holds name %q", name, m.Name)
		}
		if err := checkAddr(m.Addr); err != nil {
			return nil, fmt.Errorf("raftmode: snapshot: master %q: %w", name, err)
		}
		s.masters[name] = &m
	}
	return s, nil
}
