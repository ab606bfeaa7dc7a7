package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/configs/sdsargs"
	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/settings"
)

// TestDoorRefusesWhatTheLoaderRefuses: every name, address and value the
// run-time door refuses is one a loader refuses too, and the other way
// round for names (one function decides both).
func TestDoorRefusesWhatTheLoaderRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refused bool
	}{
		{"mymaster", false},
		{"my-master_1.x", false},
		{"müster", false},
		{"", true},
		{"a\tb", true},
		{"a\x00b", true},
		{"a\x1bb", true},
		{"a b", true},
		{"a,b", true},
		{"a\nb", true},
		{"a\x7fb", true},
		{"a\u0085b", true}, // NEL, a Unicode line break
		{"a\u00a0b", true}, // no-break space
		{"\xff", true},     // not UTF-8: Prometheus panics on such a label value
	} {
		t.Run(strconv.Quote(tc.name), func(t *testing.T) {
			doorErr := CheckMonitor(tc.name, Addr{"127.0.0.1", 6379}, false)
			if (doorErr != nil) != tc.refused {
				t.Fatalf("CheckMonitor(%q) = %v, want refused=%v", tc.name, doorErr, tc.refused)
			}
			conf := "sentinel monitor " + sdsargs.Quote(tc.name) + " 127.0.0.1 6379 1\n"
			_, confErr := ParseConf([]byte(conf), "sentinel.conf")
			if (confErr != nil) != tc.refused {
				t.Fatalf("ParseConf(%q) = %v, want refused=%v", conf, confErr, tc.refused)
			}
			if tc.refused && tc.name != "" && !strings.Contains(confErr.Error(), "(line 1)") {
				t.Errorf("ParseConf error %q does not name the line", confErr)
			}
			check := &Config{Sentinel: Default().Sentinel, Masters: []Master{testMaster(tc.name, 6379)}}
			if err := check.Validate(); (err != nil) != tc.refused {
				t.Fatalf("Validate(%q) = %v, want refused=%v", tc.name, err, tc.refused)
			}
		})
	}
}

func TestCheckMasterSetting(t *testing.T) {
	for _, tc := range []struct {
		option, value string
		ok            bool
	}{
		// Numbers are the core's rule (monitor.ParseSetArgs), refused before
		// this door.
		{"down-after-milliseconds", "5000", true},
		{"quorum", "0", true},
		{"notification-script", "", true},
		{"notification-script", "/usr/local/bin/notify.sh", true},
		{"client-reconfig-script", "reconf.sh", true}, // relative to dir, as in Redis
		{"client-reconfig-script", "../../x.sh", true},
		{"client-reconfig-script", "bad\x00.sh", false},
		{"client-reconfig-script", "bad\xff.sh", false},
		{"rename-command", "CONFIG XCONFIG", true},
		{"rename-command", "CONFIG X\tCONFIG", false},
		{"rename-command", "CON,FIG XCONFIG", false},
		{"auth-pass", "any \x00 bytes, \"quoted\"", true},
		{"auth-user", "", true},
		{"no-such-option", "x", true}, // the core refuses it with Redis's words
	} {
		if err := CheckMasterSetting(tc.option, tc.value); (err == nil) != tc.ok {
			t.Errorf("CheckMasterSetting(%q, %q) = %v, want ok=%v", tc.option, tc.value, err, tc.ok)
		}
	}
	// A refused value is named in the error, a password never is.
	if err := CheckMasterSetting("rename-command", "a b\x01"); err == nil || !strings.Contains(err.Error(), `"a b\x01"`) {
		t.Errorf("error %v does not quote the value", err)
	}
}

func TestCheckRuntimeSetting(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"announce-ip", "", true},
		{"announce-ip", "10.0.0.1", true},
		{"announce-ip", "sentinel-1.example", true},
		{"announce-ip", "10.0.0.1 x", false},
		{"announce-ip", "a,b", false},
		{"announce-ip", "a\x00", false},
		{"announce-port", "0", true},
		{"announce-port", "65536", false},
		{"resolve-hostnames", "YES", true},
		{"resolve-hostnames", "maybe", false},
		{"sentinel-pass", "anything at all\n", true},
		{"ANNOUNCE-PORT", "1", true},
		{"loglevel", "notice", false}, // a sentinel.conf directive only, as in Redis 7.0
		{"no-such-parameter", "1", false},
	} {
		if err := CheckRuntimeSetting(tc.name, tc.value); (err == nil) != tc.ok {
			t.Errorf("CheckRuntimeSetting(%q, %q) = %v, want ok=%v", tc.name, tc.value, err, tc.ok)
		}
	}
	// A refusal answers with Redis's words, naming the refused word.
	for _, tc := range []struct{ name, value, want string }{
		{"nosuch", "1", "ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET"},
		{"announce-port", "x", "ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'"},
		{"Resolve-Hostnames", "maybe", "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'Resolve-Hostnames'"},
		{strings.Repeat("y", 200), "1", "ERR Invalid argument '" + strings.Repeat("y", 200) + "' to SENTINEL CONFIG SET"},
	} {
		var se *SettingError
		if err := CheckRuntimeSetting(tc.name, tc.value); !errors.As(err, &se) || se.RESPError() != tc.want {
			t.Errorf("CheckRuntimeSetting(%q, %q) = %v, want %q", tc.name, tc.value, err, tc.want)
		}
	}
}

// doorInput is one run-time change: a SENTINEL MONITOR, one SENTINEL SET
// and one SENTINEL CONFIG SET.
type doorInput struct {
	name, host         string
	port, quorum       int
	resolve            bool
	setOpt, setVal     string
	globalOpt, globVal string
}

// applyDoor applies an accepted doorInput to a master and the settings
// the way the core and the supervisor do; ok is false when the door
// refuses something. An absolute script path is made inside scriptDir, a
// relative one inside workDir (the sentinel's dir), where the supervisor
// looks for it.
func applyDoor(t *testing.T, in doorInput, scriptDir, workDir string) (Master, RuntimeSettings, bool) {
	t.Helper()
	// The door is the RESP server's reading of SENTINEL SET and the
	// core's quorum rule (monitor), then this package's checks.
	words := []string{in.setOpt, in.setVal}
	if strings.EqualFold(in.setOpt, "rename-command") {
		from, to, _ := strings.Cut(in.setVal, " ")
		words = []string{in.setOpt, from, to}
	}
	parsed, err := monitor.ParseSetArgs(words)
	if err != nil || settings.CheckQuorum(int64(in.quorum)) != nil ||
		CheckMonitor(in.name, Addr{in.host, in.port}, in.resolve) != nil ||
		CheckMasterSetting(in.setOpt, in.setVal) != nil ||
		CheckRuntimeSetting(in.globalOpt, in.globVal) != nil {
		return Master{}, RuntimeSettings{}, false
	}
	m := DefaultMaster()
	m.Name, m.Addr, m.Quorum = in.name, Addr{in.host, in.port}, in.quorum
	n, _ := strconv.ParseInt(in.setVal, 10, 64)
	switch parsed[0].Name {
	case "down-after-milliseconds":
		m.DownAfter = time.Duration(n) * time.Millisecond
	case "failover-timeout":
		m.FailoverTimeout = time.Duration(n) * time.Millisecond
	case "parallel-syncs":
		m.ParallelSyncs = int(n)
	case "quorum":
		m.Quorum = int(n)
	case "master-reboot-down-after-period":
		m.RebootDownAfter = time.Duration(n) * time.Millisecond
	case "auth-pass":
		m.AuthPass = Secret(in.setVal)
	case "auth-user":
		m.AuthUser = in.setVal
	case "notification-script", "client-reconfig-script":
		if in.setVal == "" {
			break
		}
		// The door also wants an executable file; make one at that path
		// inside scriptDir (absolute) or workDir (relative, kept as
		// written, as Redis keeps it), or skip a path the file system
		// refuses.
		if strings.Contains(in.setVal, "..") {
			return Master{}, RuntimeSettings{}, false
		}
		path, value := scriptDir+in.setVal, scriptDir+in.setVal
		if !filepath.IsAbs(in.setVal) {
			path, value = filepath.Join(workDir, in.setVal), in.setVal
		}
		if os.MkdirAll(filepath.Dir(path), 0o755) != nil || os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755) != nil {
			return Master{}, RuntimeSettings{}, false
		}
		if strings.EqualFold(in.setOpt, "notification-script") {
			m.NotificationScript = value
		} else {
			m.ClientReconfigScript = value
		}
	case "rename-command":
		from, to, _ := strings.Cut(in.setVal, " ")
		if !strings.EqualFold(from, to) {
			m.RenameCommands = map[string]string{from: to}
		}
	}
	rs := SettingsOf(Default().Sentinel)
	rs.ResolveHostnames = in.resolve
	switch strings.ToLower(in.globalOpt) {
	case "announce-ip":
		rs.AnnounceIP = in.globVal
	case "announce-port":
		rs.AnnouncePort, _ = strconv.Atoi(in.globVal)
	case "announce-hostnames":
		rs.AnnounceHostnames, _ = parseYesNo(in.globVal)
	case "sentinel-user":
		rs.SentinelUser = in.globVal
	case "sentinel-pass":
		rs.SentinelPass = Secret(in.globVal)
	}
	return m, rs, true
}

// assertDoorRoundTrip: what the door accepted is written to sentinel.conf
// and to the YAML state file, and each loads back to the same values.
// onDisk goes through the stores' Save and the files' loaders (with
// fsync); otherwise the same rendering and parsing run in memory, which
// lets the fuzzer try a thousand times more inputs.
func assertDoorRoundTrip(t *testing.T, in doorInput, onDisk bool) {
	// A directory only when something is written (most fuzz inputs write
	// nothing, and a temp directory each costs more than the test).
	// The sentinel's dir is written into sentinel.conf only with a real
	// directory (the loader checks it, as Redis's chdir does).
	dir, workDir := "/nonexistent-fuzz-dir", ""
	if opt := strings.ToLower(in.setOpt); onDisk || strings.HasSuffix(opt, "-script") {
		dir = t.TempDir()
		workDir = filepath.Join(dir, "work")
		if err := os.Mkdir(workDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m, rs, ok := applyDoor(t, in, filepath.Join(dir, "scripts"), workDir)
	if !ok {
		return
	}
	st := State{MyID: testID, CurrentEpoch: 7, Masters: []Master{m}, Settings: &rs}

	conf := filepath.Join(dir, "sentinel.conf")
	base := []byte("port 26379\n")
	var cfg *Config
	var err error
	if onDisk {
		if err := os.WriteFile(conf, base, 0o600); err != nil {
			t.Fatal(err)
		}
		cs := NewConfStore(conf)
		cs.dir = workDir
		if err := cs.Save(st); err != nil {
			t.Fatalf("ConfStore.Save: %v", err)
		}
		cfg, err = LoadConf(conf)
	} else {
		cfg, err = ParseConf(renderConf(base, st, workDir), conf)
	}
	if err != nil {
		t.Fatalf("the door accepted %+v but sentinel.conf does not load back: %v\n%s", in, err, renderConf(base, st, workDir))
	}
	assertSameAccepted(t, "sentinel.conf", cfg, m, rs)

	yamlCfg := Default()
	yamlCfg.Path = filepath.Join(dir, "sentinel.yaml")
	yamlCfg.Sentinel.Dir = workDir
	sf := NewStateFile(yamlCfg.StatePath(), yamlCfg)
	text, err := sf.encode(st)
	if err != nil {
		t.Fatalf("encode state: %v", err)
	}
	var loaded *State
	if onDisk {
		if err := sf.Save(st); err != nil {
			t.Fatalf("StateFile.Save: %v", err)
		}
		loaded, err = LoadState(sf.Path())
	} else {
		loaded, err = parseState(text)
	}
	if err != nil {
		t.Fatalf("the door accepted %+v but the state file does not load back: %v\n%s", in, err, text)
	}
	assertSameAccepted(t, "state file", Merge(yamlCfg, loaded), m, rs)
}

func assertSameAccepted(t *testing.T, what string, cfg *Config, m Master, rs RuntimeSettings) {
	t.Helper()
	if len(cfg.Masters) != 1 {
		t.Fatalf("%s: loaded %d masters, want 1", what, len(cfg.Masters))
	}
	got := cfg.Masters[0]
	got.ConfigEpoch, got.LeaderEpoch = 0, 0
	got.RenameCommands = normMap(got.RenameCommands)
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("%s: master loads back as\n%#v\nwant\n%#v", what, got, m)
	}
	if gotRS := SettingsOf(cfg.Sentinel); !reflect.DeepEqual(gotRS, rs) {
		t.Fatalf("%s: settings load back as\n%#v\nwant\n%#v", what, gotRS, rs)
	}
}

func TestDoorRoundTrip(t *testing.T) {
	for _, in := range doorSeeds() {
		assertDoorRoundTrip(t, in, true)
	}
}

func doorSeeds() []doorInput {
	return []doorInput{
		{"mymaster", "127.0.0.1", 6379, 2, false, "down-after-milliseconds", "1500", "announce-ip", "10.0.0.9"},
		{"m", "::1", 1, 1, false, "auth-pass", "p \"w\"\x00\xff d", "sentinel-pass", "s\x01\ne'c\"r\\et"},
		{"müster", "db.example", 65535, 3, true, "rename-command", "CONFIG x-config", "sentinel-user", "ü ser"},
		{"m", "10.1.2.3", 6379, 1, false, "notification-script", "/a b/notify.sh", "announce-port", "26380"},
		{"m", "10.1.2.3", 6379, 1, false, "notification-script", "rel dir/notify.sh", "announce-port", "26380"},
		{"m", "10.1.2.3", 6379, 1, false, "client-reconfig-script", "reconf.sh", "announce-ip", "10.0.0.9"},
		{"m", "10.1.2.3", 6379, 1, false, "auth-user", "\xfe\xff", "announce-hostnames", "yes"},
		{"m", "10.1.2.3", 6379, 1, false, "master-reboot-down-after-period", "0", "announce-ip", ""},
		{"m", "10.1.2.3", 6379, 1, false, "parallel-syncs", "1099511627776", "sentinel-user", "~"},
		{"null", "10.1.2.3", 6379, 1, false, "rename-command", "<< null", "sentinel-pass", "- x: [y]"},
	}
}

// FuzzDoorRoundTrip: any SENTINEL MONITOR, SET and CONFIG SET the door
// accepts is written to both file formats and loads back to the same
// values.
func FuzzDoorRoundTrip(f *testing.F) {
	for _, in := range doorSeeds() {
		f.Add(in.name, in.host, in.port, in.quorum, in.resolve, in.setOpt, in.setVal, in.globalOpt, in.globVal)
	}
	f.Fuzz(func(t *testing.T, name, host string, port, quorum int, resolve bool, setOpt, setVal, globalOpt, globVal string) {
		assertDoorRoundTrip(t, doorInput{name, host, port, quorum, resolve, setOpt, setVal, globalOpt, globVal}, false)
	})
}
