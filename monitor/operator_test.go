package monitor

import (
	"errors"
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/settings"
)

// FuzzSetDoorMatchesCore: the RESP server's reading of SENTINEL SET
// (ParseSetArgs) and the core's Set apply one table, so for any option and
// value they agree on whether it is refused and on the reply.
func FuzzSetDoorMatchesCore(f *testing.F) {
	for _, s := range [][2]string{
		{"quorum", "2"}, {"QUORUM", "0"}, {"quorum", "+2"}, {"quorum", "007"}, {"down-after-milliseconds", "1099511627776"},
		{"failover-timeout", "1099511627777"}, {"primary-reboot-down-after-period", "0"}, {"master-reboot-down-after-period", "-1"},
		{"auth-pass", "x y"}, {"notification-script", ""}, {"nosuch", "1"}, {"parallel-syncs", "1 "},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, option, value string) {
		if strings.EqualFold(option, "rename-command") {
			return // two words; TestParseSetArgs covers it
		}
		c := newTestCore(t, Config{Masters: []MasterConfig{{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 1}}}})
		settings, doorErr := ParseSetArgs([]string{option, value})
		var coreErr error
		if doorErr == nil {
			coreErr = c.Set(at(0), "m", settings)
		} else {
			coreErr = c.Set(at(0), "m", []Setting{{Name: option, Value: value}})
		}
		if (doorErr == nil) != (coreErr == nil) {
			t.Fatalf("%q %q: door %v, core %v", option, value, doorErr, coreErr)
		}
		if doorErr != nil && doorErr.Error() != coreErr.Error() {
			t.Fatalf("%q %q: door says %q, core %q", option, value, doorErr, coreErr)
		}
	})
}

func TestParseSetArgs(t *testing.T) {
	got, err := ParseSetArgs([]string{"Quorum", "3", "rename-command", "CONFIG", "XCONFIG", "primary-reboot-down-after-period", "0"})
	want := []Setting{{"quorum", "3"}, {"rename-command", "CONFIG XCONFIG"}, {"master-reboot-down-after-period", "0"}}
	if err != nil || len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("ParseSetArgs = %v, %v; want %v", got, err, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"quorum", "2", "parallel-syncs"}, "ERR Unknown option or number of arguments for SENTINEL SET 'parallel-syncs'"},
		{[]string{"rename-command", "CONFIG"}, "ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'"},
		{[]string{"rename-command", "", "X"}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{[]string{"rename-command", "A", "B C"}, "ERR Invalid argument 'B C' for SENTINEL SET 'rename-command'"},
		{[]string{"Down-After-Milliseconds", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'Down-After-Milliseconds'"},
		{[]string{"quorum", strings.Repeat("9", 200)}, "ERR Invalid argument '" + strings.Repeat("9", 128) + "' for SENTINEL SET 'quorum'"},
	} {
		_, err := ParseSetArgs(tc.args)
		var ce *CommandError
		if !errors.As(err, &ce) || ce.Error() != tc.want {
			t.Errorf("ParseSetArgs(%q) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestParseDebugArgs(t *testing.T) {
	got, err := ParseDebugArgs([]string{"PING-PERIOD", "500", "tilt-period", "1099511627776"})
	if err != nil || len(got) != 2 || got[0] != (Setting{"ping-period", "500"}) || got[1] != (Setting{"tilt-period", "1099511627776"}) {
		t.Fatalf("ParseDebugArgs = %v, %v", got, err)
	}
	c := newTestCore(t, Config{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ping-period"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'ping-period'"},
		{[]string{"nosuch", "1"}, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'nosuch'"},
		{[]string{"ping-period", "0"}, "ERR Invalid argument '0' for SENTINEL DEBUG 'ping-period'"},
		{[]string{"Ping-Period", "1099511627777"}, "ERR Invalid argument '1099511627777' for SENTINEL DEBUG 'Ping-Period'"},
	} {
		if _, err := ParseDebugArgs(tc.args); err == nil || err.Error() != tc.want {
			t.Errorf("ParseDebugArgs(%q) = %v, want %q", tc.args, err, tc.want)
		}
		if len(tc.args) == 2 {
			// The core refuses it with the same words.
			if err := c.Debug([]Setting{{tc.args[0], tc.args[1]}}); err == nil || err.Error() != tc.want {
				t.Errorf("Debug(%q) = %v, want %q", tc.args, err, tc.want)
			}
		}
	}
}

// TestMonitorQuorum: the core refuses what settings.CheckQuorum refuses,
// with Redis's text.
func TestMonitorQuorum(t *testing.T) {
	c := newTestCore(t, Config{})
	err := c.Monitor(at(0), MasterConfig{Name: "m", Addr: addr("10.0.0.1", 6379), MasterSettings: settings.MasterSettings{Quorum: 0}})
	if err == nil || err.Error() != "ERR "+settings.CheckQuorum(0).Error() {
		t.Fatalf("Monitor with quorum 0 = %v, want ERR %v", err, settings.CheckQuorum(0))
	}
}
