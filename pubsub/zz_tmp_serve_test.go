package pubsub

import (
	"os"
	"testing"
	"time"
)

func TestTmpServe(t *testing.T) {
	if os.Getenv("TMP_SERVE") == "" {
		t.Skip()
	}
	ts := startServer(t, nil)
	os.WriteFile("/tmp/serve.addr", []byte(ts.addr), 0o644)
	time.Sleep(40 * time.Second)
}
