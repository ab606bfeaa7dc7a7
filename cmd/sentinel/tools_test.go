package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinelgo/sentinel/configs"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckConfig(t *testing.T) {
	var out, errb bytes.Buffer
	good := writeFile(t, "sentinel.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n")
	if code := checkConfig([]string{good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "OK (1 master(s))") {
		t.Fatalf("good file: exit %d, %q", code, out.String())
	}
	out.Reset()
	bad := writeFile(t, "sentinel.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 0\nsentinel bogus x\nsentinel down-after-milliseconds nosuch 5\n")
	code := checkConfig([]string{bad}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != 4 || !strings.HasSuffix(lines[3], "3 problem(s)") {
		t.Fatalf("bad file: exit %d, output:\n%s", code, out.String())
	}
	for _, want := range []string{"sentinel.conf:3: sentinel bogus", "sentinel.conf:4:", "quorum"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	yamlBad := writeFile(t, "s.yaml", "masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 0\n")
	if code := checkConfig([]string{yamlBad}, &out, &errb); code != 1 || !strings.Contains(out.String(), "quorum") || !strings.Contains(out.String(), "line 4") {
		t.Errorf("bad YAML: exit %d, %q", code, out.String())
	}
	if code := checkConfig(nil, &out, &errb); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}

func TestConvertConfig_LoadsAsYAML(t *testing.T) {
	conf := writeFile(t, "sentinel.conf", "port 26380\nsentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 5000\nsentinel auth-pass m hunter2\n")
	var out, errb bytes.Buffer
	if code := convertConfig([]string{conf}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(errb.String(), "1 secret(s)") {
		t.Errorf("the secret leaked or was not reported: stdout %q stderr %q", out.String(), errb.String())
	}
	cfg, err := configs.Load(out.Bytes())
	if err != nil {
		t.Fatalf("converted YAML does not load: %v\n%s", err, out.String())
	}
	if cfg.Sentinel.Port != 26380 || len(cfg.Masters) != 1 || cfg.Masters[0].Name != "m" || cfg.Masters[0].Quorum != 2 ||
		cfg.Masters[0].DownAfter.Milliseconds() != 5000 {
		t.Errorf("converted: port %d masters %+v", cfg.Sentinel.Port, cfg.Masters)
	}
}

func TestOverrides(t *testing.T) {
	cfg := &configs.Config{}
	if err := (overrides{port: 26390, redisLogLevel: "warning", pprof: true}).apply(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.Port != 26390 || cfg.Sentinel.LogLevel != "warn" || !cfg.Sentinel.Pprof {
		t.Errorf("port %d level %q pprof %v", cfg.Sentinel.Port, cfg.Sentinel.LogLevel, cfg.Sentinel.Pprof)
	}
	for _, o := range []overrides{{redisLogLevel: "loud"}, {port: 70000}} {
		if err := o.apply(cfg); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestSplitDirectives(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("metrics-addr", "", "")
	fs.Bool("version", false, "")
	rest, lines := splitDirectives([]string{"--metrics-addr", "127.0.0.1:9479", "--sentinel", "announce-ip", "10.0.0.5",
		"--version", "--bind", "127.0.0.1", "::1", "--metrics-addr=x"}, fs)
	if want := []string{"--metrics-addr", "127.0.0.1:9479", "--version", "--metrics-addr=x"}; strings.Join(rest, " ") != strings.Join(want, " ") {
		t.Errorf("rest = %q, want %q", rest, want)
	}
	if want := []string{"sentinel announce-ip 10.0.0.5", "bind 127.0.0.1 ::1"}; strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", lines, want)
	}
}

func TestLoadConf_CommandLineDirectives(t *testing.T) {
	conf := writeFile(t, "sentinel.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n")
	cfg, err := loadConf(conf, []string{"sentinel announce-ip 10.0.0.5", "port 26390"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sentinel.AnnounceIP != "10.0.0.5" || cfg.Sentinel.Port != 26390 || cfg.Path != conf {
		t.Errorf("announce-ip %q port %d path %q", cfg.Sentinel.AnnounceIP, cfg.Sentinel.Port, cfg.Path)
	}
	if _, err := loadConf(conf, []string{"bogus-directive 1"}); err == nil {
		t.Error("a bad command-line directive was accepted")
	}
	if _, err := loadYAML("x.yaml", []string{"port 1"}); err == nil {
		t.Error("directives accepted with YAML")
	}
}
