package raftmode

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// stateWith returns a state holding one master "mymaster" at 10.0.0.1:6379.
func stateWith(t *testing.T) *state {
	t.Helper()
	s := newState()
	if res := s.apply(1, SetMaster{Name: "mymaster", Addr: "10.0.0.1:6379"}); !res.Accepted {
		t.Fatalf("setup: %+v", res)
	}
	return s
}

func lease(epoch uint64, holder string, at time.Time) LeaseRequest {
	return LeaseRequest{Master: "mymaster", Epoch: epoch, Holder: holder, At: at, TTL: 10 * time.Second}
}

func TestRaftApplyRules(t *testing.T) {
	tests := []struct {
		name   string
		before []Command // applied first, each must be accepted
		cmd    Command
		want   Rejection // "" means accepted
		check  func(t *testing.T, m MasterState)
	}{
		{
			name: "first lease granted",
			cmd:  lease(1, "a", t0),
			check: func(t *testing.T, m MasterState) {
				want := Lease{Epoch: 1, Holder: "a", GrantedAt: t0, Expires: t0.Add(10 * time.Second), Term: 1}
				if m.Lease != want {
					t.Errorf("lease = %+v, want %+v", m.Lease, want)
				}
			},
		},
		{
			name:   "same epoch other holder refused even after expiry",
			before: []Command{lease(1, "a", t0)},
			cmd:    lease(1, "b", t0.Add(time.Hour)),
			want:   RejectStaleEpoch,
		},
		{
			name:   "lower epoch refused",
			before: []Command{lease(5, "a", t0)},
			cmd:    lease(4, "b", t0.Add(time.Hour)),
			want:   RejectStaleEpoch,
		},
		{
			name:   "higher epoch refused while another holder's lease is unexpired",
			before: []Command{lease(1, "a", t0)},
			cmd:    lease(2, "b", t0.Add(9*time.Second)),
			want:   RejectLeaseHeld,
		},
		{
			name:   "higher epoch granted at the exact expiry",
			before: []Command{lease(1, "a", t0)},
			cmd:    lease(2, "b", t0.Add(10*time.Second)),
			check: func(t *testing.T, m MasterState) {
				if m.Lease.Holder != "b" || m.Lease.Epoch != 2 {
					t.Errorf("lease = %+v, want b@2", m.Lease)
				}
			},
		},
		{
			name:   "same holder may take a higher epoch while its own lease runs",
			before: []Command{lease(1, "a", t0)},
			cmd:    lease(2, "a", t0.Add(time.Second)),
		},
		{
			name:   "renewal by the holder extends expiry",
			before: []Command{lease(3, "a", t0)},
			cmd:    lease(3, "a", t0.Add(5*time.Second)),
			check: func(t *testing.T, m MasterState) {
				if want := t0.Add(15 * time.Second); !m.Lease.Expires.Equal(want) {
					t.Errorf("expires = %v, want %v", m.Lease.Expires, want)
				}
				if !m.Lease.GrantedAt.Equal(t0) {
					t.Errorf("granted_at moved to %v", m.Lease.GrantedAt)
				}
			},
		},
		{
			name:   "stale renewal never shortens the lease",
			before: []Command{lease(3, "a", t0.Add(5*time.Second))},
			cmd:    lease(3, "a", t0),
			check: func(t *testing.T, m MasterState) {
				if want := t0.Add(15 * time.Second); !m.Lease.Expires.Equal(want) {
					t.Errorf("expires = %v, want %v", m.Lease.Expires, want)
				}
			},
		},
		{
			name:   "lease at or below config epoch refused",
			before: []Command{SetMaster{Name: "other", Addr: "h:1", ConfigEpoch: 7}},
			cmd:    LeaseRequest{Master: "other", Epoch: 7, Holder: "a", At: t0, TTL: time.Second},
			want:   RejectStaleEpoch,
		},
		{name: "lease for unknown master", cmd: LeaseRequest{Master: "nope", Epoch: 1, Holder: "a", At: t0, TTL: time.Second}, want: RejectUnknownMaster},
		{name: "lease epoch zero", cmd: lease(0, "a", t0), want: RejectInvalid},
		{name: "lease without holder", cmd: lease(1, "", t0), want: RejectInvalid},
		{name: "lease without time", cmd: lease(1, "a", time.Time{}), want: RejectInvalid},
		{name: "lease with zero ttl", cmd: LeaseRequest{Master: "mymaster", Epoch: 1, Holder: "a", At: t0}, want: RejectInvalid},
		{
			name:   "switch by the lease holder",
			before: []Command{lease(4, "a", t0)},
			cmd:    SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 4, Holder: "a"},
			check: func(t *testing.T, m MasterState) {
				if m.Addr != "10.0.0.2:6380" || m.ConfigEpoch != 4 {
					t.Errorf("after switch: %+v", m)
				}
			},
		},
		{
			name:   "switch by someone else refused",
			before: []Command{lease(4, "a", t0)},
			cmd:    SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 4, Holder: "b"},
			want:   RejectNotHolder,
		},
		{
			name:   "switch for an epoch without lease refused",
			before: []Command{lease(4, "a", t0)},
			cmd:    SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 5, Holder: "a"},
			want:   RejectNotHolder,
		},
		{
			name: "second switch in the same epoch refused (config epoch monotonic)",
			before: []Command{
				lease(4, "a", t0),
				SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 4, Holder: "a"},
			},
			cmd:  SwitchMaster{Master: "mymaster", Addr: "10.0.0.3:6381", Epoch: 4, Holder: "a"},
			want: RejectStaleEpoch,
		},
		{
			name: "lease after a switch must exceed the config epoch",
			before: []Command{
				lease(4, "a", t0),
				SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 4, Holder: "a"},
			},
			cmd:  lease(4, "b", t0.Add(time.Hour)),
			want: RejectStaleEpoch,
		},
		{name: "switch to a bad address", before: []Command{lease(1, "a", t0)}, cmd: SwitchMaster{Master: "mymaster", Addr: "nope", Epoch: 1, Holder: "a"}, want: RejectInvalid},
		{name: "switch to port zero", before: []Command{lease(1, "a", t0)}, cmd: SwitchMaster{Master: "mymaster", Addr: "h:0", Epoch: 1, Holder: "a"}, want: RejectInvalid},
		{name: "switch of unknown master", cmd: SwitchMaster{Master: "x", Addr: "h:1", Epoch: 1, Holder: "a"}, want: RejectUnknownMaster},
		{name: "add duplicate master", cmd: SetMaster{Name: "mymaster", Addr: "h:1"}, want: RejectMasterExists},
		{name: "add master without name", cmd: SetMaster{Addr: "h:1"}, want: RejectInvalid},
		{name: "add master with empty host", cmd: SetMaster{Name: "m2", Addr: ":1"}, want: RejectInvalid},
		{name: "remove unknown master", cmd: SetMaster{Name: "x", Remove: true}, want: RejectUnknownMaster},
		{name: "remove master", cmd: SetMaster{Name: "mymaster", Remove: true}},
		{name: "pointer commands work too", cmd: &LeaseRequest{Master: "mymaster", Epoch: 1, Holder: "a", At: t0, TTL: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := stateWith(t)
			for i, c := range tc.before {
				if res := s.apply(1, c); !res.Accepted {
					t.Fatalf("before[%d] %T rejected: %+v", i, c, res)
				}
			}
			before := s.snapshot()
			res := s.apply(1, tc.cmd)
			if res.Reason != tc.want || res.Accepted != (tc.want == "") {
				t.Fatalf("apply %+v = %+v, want reason %q", tc.cmd, res, tc.want)
			}
			if !res.Accepted && !snapshotsEqual(before, s.snapshot()) {
				t.Errorf("rejected command changed state:\nbefore %+v\nafter  %+v", before, s.snapshot())
			}
			if tc.check != nil {
				tc.check(t, res.Master)
			}
		})
	}
}

func takeover(epoch uint64, holder string, at time.Time) LeaseRequest {
	c := lease(epoch, holder, at)
	c.Takeover = true
	return c
}

// TestRaftLeaseTerms covers rule 1 of ADR 0003: another holder's unexpired
// lease blocks a new epoch only within the term that granted it.
func TestRaftLeaseTerms(t *testing.T) {
	type step struct {
		term uint64
		cmd  Command
	}
	aLease := Lease{Epoch: 1, Holder: "a", GrantedAt: t0, Expires: t0.Add(10 * time.Second), Term: 3}
	tests := []struct {
		name     string
		before   []step // applied first, each must be accepted
		term     uint64
		cmd      Command
		want     Rejection
		replaced Lease // Result.Replaced when accepted
		check    func(t *testing.T, m MasterState)
	}{
		{
			name:     "a new leader takes over a deposed leader's unexpired lease",
			before:   []step{{3, lease(1, "a", t0)}},
			term:     4,
			cmd:      takeover(2, "b", t0.Add(time.Second)),
			replaced: aLease,
			check: func(t *testing.T, m MasterState) {
				want := Lease{Epoch: 2, Holder: "b", GrantedAt: t0.Add(time.Second), Expires: t0.Add(11 * time.Second), Term: 4}
				if m.Lease != want {
					t.Errorf("lease = %+v, want %+v", m.Lease, want)
				}
			},
		},
		{
			name:   "no takeover within the term that granted the lease",
			before: []step{{3, lease(1, "a", t0)}},
			term:   3,
			cmd:    takeover(2, "b", t0.Add(time.Second)),
			want:   RejectLeaseHeld,
		},
		{
			name:   "no takeover without asking for one (an older proposer's entry)",
			before: []step{{3, lease(1, "a", t0)}},
			term:   4,
			cmd:    lease(2, "b", t0.Add(time.Second)),
			want:   RejectLeaseHeld,
		},
		{
			name:   "a takeover still needs a higher epoch",
			before: []step{{3, lease(5, "a", t0)}},
			term:   4,
			cmd:    takeover(5, "b", t0.Add(time.Second)),
			want:   RejectStaleEpoch,
		},
		{
			name:   "a renewal moves the lease to the renewing entry's term",
			before: []step{{3, lease(1, "a", t0)}, {5, lease(1, "a", t0.Add(time.Second))}},
			term:   5,
			cmd:    takeover(2, "b", t0.Add(2*time.Second)),
			want:   RejectLeaseHeld,
		},
		{
			name:     "an expired lease is replaced and reported",
			before:   []step{{3, lease(1, "a", t0)}},
			term:     3,
			cmd:      lease(2, "b", t0.Add(time.Hour)),
			replaced: aLease,
		},
		{
			name:     "the holder's own earlier epoch is reported too",
			before:   []step{{3, lease(1, "a", t0)}},
			term:     3,
			cmd:      lease(2, "a", t0.Add(time.Second)),
			replaced: aLease,
		},
		{
			name: "nothing replaced by a first lease",
			term: 1,
			cmd:  lease(1, "a", t0),
		},
		{
			name:   "nothing replaced by a renewal",
			before: []step{{3, lease(1, "a", t0)}},
			term:   3,
			cmd:    lease(1, "a", t0.Add(time.Second)),
		},
		{
			name:   "the deposed holder's switch is refused after a takeover",
			before: []step{{3, lease(1, "a", t0)}, {4, takeover(2, "b", t0.Add(time.Second))}},
			term:   4,
			cmd:    SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 1, Holder: "a"},
			want:   RejectNotHolder,
		},
		{
			name:   "the new holder's switch commits",
			before: []step{{3, lease(1, "a", t0)}, {4, takeover(2, "b", t0.Add(time.Second))}},
			term:   4,
			cmd:    SwitchMaster{Master: "mymaster", Addr: "10.0.0.2:6380", Epoch: 2, Holder: "b"},
			check: func(t *testing.T, m MasterState) {
				if m.Addr != "10.0.0.2:6380" || m.ConfigEpoch != 2 {
					t.Errorf("after switch: %+v", m)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := stateWith(t)
			for i, st := range tc.before {
				if res := s.apply(st.term, st.cmd); !res.Accepted {
					t.Fatalf("before[%d] %+v rejected: %+v", i, st.cmd, res)
				}
			}
			before := s.snapshot()
			res := s.apply(tc.term, tc.cmd)
			if res.Reason != tc.want || res.Accepted != (tc.want == "") {
				t.Fatalf("apply %+v in term %d = %+v, want reason %q", tc.cmd, tc.term, res, tc.want)
			}
			if !res.Accepted && !snapshotsEqual(before, s.snapshot()) {
				t.Errorf("rejected command changed state:\nbefore %+v\nafter  %+v", before, s.snapshot())
			}
			if res.Replaced != tc.replaced {
				t.Errorf("replaced = %+v, want %+v", res.Replaced, tc.replaced)
			}
			if tc.check != nil {
				tc.check(t, res.Master)
			}
		})
	}
}

func snapshotsEqual(a, b Snapshot) bool {
	if a.HighestEpoch != b.HighestEpoch || len(a.Masters) != len(b.Masters) {
		return false
	}
	for k, v := range a.Masters {
		w, ok := b.Masters[k]
		if !ok || v.Name != w.Name || v.Addr != w.Addr || v.ConfigEpoch != w.ConfigEpoch ||
			v.Lease.Epoch != w.Lease.Epoch || v.Lease.Holder != w.Lease.Holder || v.Lease.Term != w.Lease.Term ||
			!v.Lease.GrantedAt.Equal(w.Lease.GrantedAt) || !v.Lease.Expires.Equal(w.Lease.Expires) {
			return false
		}
	}
	return true
}

func TestRaftHighestEpochTracksAcceptedCommands(t *testing.T) {
	s := stateWith(t)
	s.apply(1, lease(3, "a", t0))
	s.apply(1, lease(9, "b", t0)) // refused: a's lease runs
	if s.highestEpoch != 3 {
		t.Fatalf("highest epoch = %d, want 3", s.highestEpoch)
	}
	s.apply(1, SetMaster{Name: "m2", Addr: "h:2", ConfigEpoch: 12})
	if got := s.snapshot().HighestEpoch; got != 12 {
		t.Fatalf("highest epoch = %d, want 12", got)
	}
}

func TestRaftEncodeDecodeRoundTrip(t *testing.T) {
	cmds := []Command{
		lease(7, "node-1", t0),
		takeover(8, "node-2", t0),
		SwitchMaster{Master: "m", Addr: "[::1]:6379", Epoch: 7, Holder: "node-1"},
		SetMaster{Name: "m", Addr: "h:1", ConfigEpoch: 3},
		SetMaster{Name: "m", Remove: true},
	}
	for _, c := range cmds {
		data, err := EncodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		if data[0] != c.commandType() {
			t.Errorf("%T: type byte %d, want %d", c, data[0], c.commandType())
		}
		got, ignorable, err := decodeCommand(data)
		if err != nil || ignorable {
			t.Fatalf("%T: decode: %v ignorable=%v", c, err, ignorable)
		}
		if lr, ok := c.(LeaseRequest); ok {
			glr := got.(LeaseRequest)
			if !glr.At.Equal(lr.At) || glr.TTL != lr.TTL || glr.Epoch != lr.Epoch || glr.Holder != lr.Holder || glr.Takeover != lr.Takeover {
				t.Errorf("lease round trip: got %+v want %+v", glr, lr)
			}
			continue
		}
		if got != c {
			t.Errorf("round trip: got %+v want %+v", got, c)
		}
	}
	if _, err := EncodeCommand(nil); err == nil {
		t.Error("EncodeCommand(nil) gave no error")
	}
}

func TestRaftApplyBytesUnknownCommands(t *testing.T) {
	s := stateWith(t)
	res := s.applyBytes(1, []byte{IgnorableFlag | 0x11, '{', '}'})
	if res.Accepted || res.Reason != RejectIgnored {
		t.Fatalf("ignorable unknown: %+v, want ignored", res)
	}

	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), "refusing to diverge") {
				t.Fatalf("unknown mandatory type: recover() = %v, want divergence panic", r)
			}
		}()
		s.applyBytes(1, []byte{0x11, '{', '}'})
	}()

	for _, bad := range [][]byte{nil, {typeLeaseRequest}, {typeSwitchMaster, '['}, {typeSetMaster, 'x'}} {
		res := s.applyBytes(1, bad)
		if res.Accepted || res.Reason != RejectInvalid {
			t.Errorf("applyBytes(%q) = %+v, want invalid", bad, res)
		}
	}
	_, _, err := decodeCommand([]byte{0x42})
	if !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("decode unknown type: %v, want ErrUnknownCommand", err)
	}
}

// FuzzApplyBytes feeds arbitrary entries to apply: known types must never
// panic, and the state's invariants must hold afterwards.
func FuzzApplyBytes(f *testing.F) {
	for _, c := range []Command{
		lease(1, "a", t0),
		takeover(3, "b", t0),
		SwitchMaster{Master: "mymaster", Addr: "h:1", Epoch: 1, Holder: "a"},
		SetMaster{Name: "x", Addr: "h:2"},
		SetMaster{Name: "mymaster", Remove: true},
	} {
		data, _ := EncodeCommand(c)
		f.Add(data)
	}
	f.Add([]byte{typeLeaseRequest, '{', '"', 'e', 'p', 'o', 'c', 'h', '"', ':', '-', '1', '}'})
	f.Add([]byte{IgnorableFlag | 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 {
			switch data[0] {
			case typeLeaseRequest, typeLeaseTakeover, typeSwitchMaster, typeSetMaster:
			default:
				if data[0]&IgnorableFlag == 0 {
					t.Skip("unknown mandatory types panic by design")
				}
			}
		}
		s := stateWith(t)
		s.apply(1, lease(2, "a", t0))
		before := s.snapshot().Masters["mymaster"]
		s.applyBytes(2, data)
		after, ok := s.snapshot().Masters["mymaster"]
		if !ok {
			return // removed
		}
		if after.ConfigEpoch < before.ConfigEpoch || after.Lease.Epoch < before.Lease.Epoch {
			t.Fatalf("epochs went backwards: %+v -> %+v", before, after)
		}
		if after.Lease.Epoch == before.Lease.Epoch && after.Lease.Holder != before.Lease.Holder {
			t.Fatalf("two holders for epoch %d: %q and %q", after.Lease.Epoch, before.Lease.Holder, after.Lease.Holder)
		}
		if err := checkAddr(after.Addr); err != nil {
			t.Fatalf("invalid address accepted: %v", err)
		}
	})
}

// FuzzLeaseSequences applies a random schedule of lease and switch requests
// (a new raft term with every holder change, takeovers asked for in some)
// and checks the safety rules against a brute-force record of grants.
func FuzzLeaseSequences(f *testing.F) {
	f.Add([]byte{0x01, 0x12, 0x23, 0x31, 0x42, 0x05})
	f.Add([]byte{0x11, 0x11, 0x91, 0xa1, 0x22})
	f.Add([]byte{0x04, 0x49, 0x0d, 0x84, 0x89})
	f.Fuzz(func(t *testing.T, schedule []byte) {
		s := stateWith(t)
		holders := []string{"a", "b", "c"}
		grantedTo := map[uint64]string{} // epoch -> holder, every grant ever
		lastConfig := uint64(0)
		at := t0
		term, proposer := uint64(1), ""
		for _, b := range schedule {
			holder := holders[int(b&0x03)%len(holders)]
			epoch := uint64(b>>2) & 0x07
			at = at.Add(time.Duration(b>>5) * 3 * time.Second)
			if holder != proposer {
				term, proposer = term+1, holder // one proposer per term
			}
			var res Result
			if b&0x80 != 0 {
				res = s.apply(term, SwitchMaster{Master: "mymaster", Addr: "h:1", Epoch: epoch, Holder: holder})
				if res.Accepted {
					if grantedTo[epoch] != holder {
						t.Fatalf("switch epoch %d by %q who never held its lease", epoch, holder)
					}
					if epoch <= lastConfig {
						t.Fatalf("config epoch went from %d to %d", lastConfig, epoch)
					}
					lastConfig = epoch
				}
				continue
			}
			before := s.masters["mymaster"].Lease
			res = s.apply(term, LeaseRequest{Master: "mymaster", Epoch: epoch, Holder: holder, At: at, TTL: 5 * time.Second, Takeover: b&0x40 != 0})
			if res.Accepted {
				if prev, ok := grantedTo[epoch]; ok && prev != holder {
					t.Fatalf("epoch %d granted to %q and %q", epoch, prev, holder)
				}
				grantedTo[epoch] = holder
				if before.Holder != "" && before.Holder != holder && at.Before(before.Expires) && before.Term >= term {
					t.Fatalf("term %d: %q's lease of term %d replaced before it expired", term, before.Holder, before.Term)
				}
			}
		}
	})
}
