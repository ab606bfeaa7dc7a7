package configs

import (
	"testing"
	"time"
)

func TestForgetAfter(t *testing.T) {
	cfg, err := ParseConf([]byte("sentinel monitor m 127.0.0.1 6379 2\nsentinel forget-after m 60000\n"), "sentinel.conf")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Masters[0].ForgetAfter; got != time.Minute {
		t.Errorf("sentinel.conf forget-after = %v, want 1m", got)
	}
	y, err := Load([]byte("masters:\n  - name: m\n    address: 127.0.0.1:6379\n    quorum: 2\n    forget_after: 10m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := y.Masters[0].ForgetAfter; got != 10*time.Minute {
		t.Errorf("YAML forget_after = %v, want 10m", got)
	}
}
