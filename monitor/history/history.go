package history

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelgo/sentinel/monitor"
)

// Bounds of what a Tracker keeps.
const (
	// MaxRecords is how many failovers are kept per master (the oldest go).
	MaxRecords = 16
	// MaxEvents is how many events one record keeps (later ones are
	// counted in Record.DroppedEvents).
	MaxEvents = 64
)

// Phases of a failover, in the order the issue and the page draw them.
// Not every sentinel sees every phase: only the leader has elected,
// promoted and reconfigured.
const (
	PhaseSDown        = "sdown"        // this sentinel saw the master down (+sdown)
	PhaseODown        = "odown"        // enough sentinels agreed (+odown)
	PhaseElected      = "elected"      // this sentinel won the vote (+elected-leader)
	PhasePromoted     = "promoted"     // the chosen replica answered as master (+promoted-slave)
	PhaseSwitched     = "switched"     // this sentinel moved to the new master (+switch-master)
	PhaseReconfigured = "reconfigured" // every replica reconfigured, or given up on (+failover-end)
)

// PhaseOrder lists the phases in their nominal order.
var PhaseOrder = []string{PhaseSDown, PhaseODown, PhaseElected, PhasePromoted, PhaseSwitched, PhaseReconfigured}

var phaseOf = map[string]string{
	monitor.EventSDown:         PhaseSDown,
	monitor.EventODown:         PhaseODown,
	monitor.EventElectedLeader: PhaseElected,
	monitor.EventPromotedSlave: PhasePromoted,
	monitor.EventSwitchMaster:  PhaseSwitched,
	monitor.EventFailoverEnd:   PhaseReconfigured,
}

// Results of a record.
const (
	ResultInProgress = "in_progress"
	ResultSwitched   = "switched"  // ended with +switch-master
	ResultRecovered  = "recovered" // the master came back (-sdown) with no switch
	// ResultInterrupted: the sentinel stopped while the record was in
	// progress; set when the history is read back.
	ResultInterrupted = "interrupted"
)

// Phase is one phase and when this sentinel saw it.
type Phase struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Event is one event of a failover, as published.
type Event struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Payload string    `json:"payload"`
}

// Record is one failover (or failover attempt) of a master.
type Record struct {
	Master string    `json:"master"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitzero"` // zero while in progress
	Result string    `json:"result"`
	// LastAbort is the last -failover-abort-* event of the record, or ""
	// (why an attempt failed, even when a later one succeeded).
	LastAbort string `json:"last_abort,omitempty"`
	Attempts  int    `json:"attempts"` // +try-failover events of this sentinel
	Leader    string `json:"leader,omitempty"`
	Epoch     uint64 `json:"epoch,omitempty"`
	From      string `json:"from,omitempty"` // old master address, from +switch-master
	To        string `json:"to,omitempty"`   // new master address
	// Phases are in the order they were first seen.
	Phases        []Phase `json:"phases"`
	Events        []Event `json:"events"`
	DroppedEvents int     `json:"dropped_events,omitempty"`
}

// PhaseAt returns when the record reached a phase, or the zero time.
func (r *Record) PhaseAt(name string) time.Time {
	for _, p := range r.Phases {
		if p.Name == name {
			return p.At
		}
	}
	return time.Time{}
}

// Tracker builds the records from the event stream. Not safe for
// concurrent use: the caller serialises.
type Tracker struct {
	myID    string
	masters map[string][]*Record // oldest first; the last may be open
}

// NewTracker returns an empty tracker; myID names this sentinel as the
// leader of the failovers it wins.
func NewTracker(myID string) *Tracker {
	return &Tracker{myID: myID, masters: map[string][]*Record{}}
}

// open returns master's record in progress, or nil.
func (t *Tracker) open(master string) *Record {
	rs := t.masters[master]
	if n := len(rs); n > 0 && rs[n-1].Result == ResultInProgress {
		return rs[n-1]
	}
	return nil
}

// opens are the events that start a record when none is open: the master
// seen down, or a failover that did not wait for it (SENTINEL FAILOVER).
var opens = map[string]bool{monitor.EventSDown: true, monitor.EventODown: true, monitor.EventTryFailover: true}

// Observe feeds one event; it reports whether any record changed.
func (t *Tracker) Observe(at time.Time, e monitor.Event) bool {
	master := e.MasterName()
	if master == "" || e.Level == monitor.LevelDebug {
		return false
	}
	if e.Type == monitor.EventMonitorRemoved {
		_, had := t.masters[master]
		delete(t.masters, master)
		return had
	}
	onMaster := e.Instance != nil && e.Instance.Kind == monitor.KindMaster
	r := t.open(master)
	if r == nil {
		if !opens[e.Type] || (e.Instance != nil && !onMaster) {
			return false
		}
		r = &Record{Master: master, Start: at, Result: ResultInProgress}
		rs := append(t.masters[master], r)
		if len(rs) > MaxRecords {
			rs = rs[len(rs)-MaxRecords:]
		}
		t.masters[master] = rs
	}
	r.add(at, e)
	t.apply(r, at, e, onMaster)
	return true
}

func (r *Record) add(at time.Time, e monitor.Event) {
	if len(r.Events) >= MaxEvents {
		r.DroppedEvents++
		return
	}
	r.Events = append(r.Events, Event{At: at, Type: e.Type, Payload: e.Payload()})
}

func (r *Record) phase(name string, at time.Time) {
	if r.PhaseAt(name).IsZero() {
		r.Phases = append(r.Phases, Phase{Name: name, At: at})
	}
}

// apply moves the record along. The master's own +sdown/-sdown count;
// a replica's do not.
func (t *Tracker) apply(r *Record, at time.Time, e monitor.Event, onMaster bool) {
	if p, ok := phaseOf[e.Type]; ok && (onMaster || e.Instance == nil || e.Type == monitor.EventPromotedSlave) {
		r.phase(p, at)
	}
	switch e.Type {
	case monitor.EventTryFailover:
		r.Attempts++
	case monitor.EventElectedLeader:
		r.Leader = t.myID
	case monitor.EventVoteForLeader:
		// "<run id> <epoch>": whom this sentinel voted for.
		if f := strings.Fields(e.Extra); len(f) == 2 {
			r.Leader = f[0]
			r.Epoch, _ = strconv.ParseUint(f[1], 10, 64)
		}
	case monitor.EventNewEpoch:
		r.Epoch, _ = strconv.ParseUint(strings.TrimSpace(e.Extra), 10, 64)
	case monitor.EventFailoverAbortNotElected, monitor.EventFailoverAbortNoGoodSlave,
		monitor.EventFailoverAbortSlaveTimeout, monitor.EventFailoverAbortMasterRefused:
		r.LastAbort = e.Type
	case monitor.EventSwitchMaster:
		// "<name> <old ip> <old port> <new ip> <new port>"
		if f := strings.Fields(e.Payload()); len(f) == 5 {
			r.From, r.To = net.JoinHostPort(f[1], f[2]), net.JoinHostPort(f[3], f[4])
		}
		r.End, r.Result = at, ResultSwitched
	case monitor.EventSDownCleared:
		if onMaster {
			r.End, r.Result = at, ResultRecovered
		}
	}
}

// Records returns copies of master's records, oldest first.
func (t *Tracker) Records(master string) []Record {
	rs := t.masters[master]
	out := make([]Record, len(rs))
	for i, r := range rs {
		out[i] = r.clone()
	}
	return out
}

// All returns copies of every master's records.
func (t *Tracker) All() map[string][]Record {
	out := make(map[string][]Record, len(t.masters))
	for m := range t.masters {
		out[m] = t.Records(m)
	}
	return out
}

// Restore replaces the records with ones read back (Decode). A record
// left in progress by a stop is closed as interrupted at its last event:
// the restarted core does not remember the outage, so nothing would end it.
func (t *Tracker) Restore(all map[string][]Record) {
	t.masters = make(map[string][]*Record, len(all))
	for m, rs := range all {
		for i := range rs {
			r := rs[i].clone()
			if r.Result == ResultInProgress {
				r.Result, r.End = ResultInterrupted, r.Start
				if n := len(r.Events); n > 0 {
					r.End = r.Events[n-1].At
				}
			}
			t.masters[m] = append(t.masters[m], &r)
		}
	}
}

// Keep drops the records of masters not in names (removed while the
// sentinel was down); it reports whether it dropped any.
func (t *Tracker) Keep(names map[string]bool) bool {
	dropped := false
	for m := range t.masters {
		if !names[m] {
			delete(t.masters, m)
			dropped = true
		}
	}
	return dropped
}

func (r *Record) clone() Record {
	c := *r
	c.Phases = append([]Phase(nil), r.Phases...)
	c.Events = append([]Event(nil), r.Events...)
	return c
}
