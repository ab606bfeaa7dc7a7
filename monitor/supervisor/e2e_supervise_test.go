package supervisor

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/notify"
)

// TestE2E_DiscoveryAndClients: one of our sentinels against a real master
// with two replicas; go-redis's own Sentinel clients are the oracle.
func TestE2E_DiscoveryAndClients(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "")
	sc := s.client()

	waitReplicas(t, sc, 2)

	addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
	if err != nil {
		t.Fatalf("GetMasterAddrByName: %v", err)
	}
	if got, want := addr[0]+":"+addr[1], topo.Master.Addr(); got != want {
		t.Fatalf("master addr = %s, want %s", got, want)
	}
	if _, err := sc.GetMasterAddrByName(ctx, "nosuchmaster").Result(); err != redis.Nil {
		t.Fatalf("unknown master: err = %v, want redis.Nil", err)
	}

	masters, err := sc.Masters(ctx).Result()
	if err != nil || len(masters) != 1 {
		t.Fatalf("Masters = %v, %v", masters, err)
	}
	m, err := sc.Master(ctx, "mymaster").Result()
	if err != nil {
		t.Fatalf("Master: %v", err)
	}
	if m["name"] != "mymaster" || m["port"] != strconv.Itoa(topo.Master.Port()) || m["flags"] != "master" || m["num-slaves"] != "2" {
		t.Fatalf("Master reply = %v", m)
	}

	reps, _ := sc.Replicas(ctx, "mymaster").Result()
	var got []string
	for _, r := range reps {
		if r["flags"] != "slave" {
			t.Errorf("replica %s flags = %q, want slave", r["name"], r["flags"])
		}
		got = append(got, r["ip"]+":"+r["port"])
	}
	sort.Strings(got)
	want := []string{topo.Replicas[0].Addr(), topo.Replicas[1].Addr()}
	sort.Strings(want)
	if got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("replicas = %v, want %v", got, want)
	}
	if sents, err := sc.Sentinels(ctx, "mymaster").Result(); err != nil || len(sents) != 0 {
		t.Fatalf("Sentinels = %v, %v; want none", sents, err)
	}

	// A failover client writes to the master through the sentinel.
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{s.addr()}, MaxRetries: -1})
	defer fc.Close()
	if err := fc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("write through failover client: %v", err)
	}
	if v, err := topo.Master.Client().Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("master has k=%q, %v", v, err)
	}
}

// TestE2E_ReplicaSDownAndBack: a subscriber sees +sdown for a killed
// replica and -sdown when it returns.
func TestE2E_ReplicaSDownAndBack(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 2)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "")
	sc := s.client()
	waitReplicas(t, sc, 2)
	rec := recordEvents(t, s.addr())

	victim := topo.Replicas[0]
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		_, ok := rec.first("+sdown", "slave "+victim.Addr())
		return ok
	}, "+sdown for the killed replica")
	if err := victim.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() bool {
		_, ok := rec.first("-sdown", "slave "+victim.Addr())
		return ok
	}, "-sdown when the replica returns")
	if _, ok := rec.firstPrefix("+sdown", "master "); ok {
		t.Fatalf("the master was marked down:\n%s", rec.dump())
	}
}

// TestE2E_StateSurvivesRestart: a restarted sentinel has the same run id and
// knows its replicas before it has asked the master anything.
func TestE2E_StateSurvivesRestart(t *testing.T) {
	requireRedis(t)
	topo := datanodetest.StartTopology(t, 2)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "")
	sc := s.client()
	waitReplicas(t, sc, 2)
	id := s.sup.Snapshot().MyID
	s.stop()

	// Kill the master too: the replicas can only come from the state file.
	if err := topo.Master.Kill(); err != nil {
		t.Fatal(err)
	}
	s.start()
	snap := s.sup.Snapshot()
	if snap.MyID != id {
		t.Fatalf("run id changed across restart: %s → %s", id, snap.MyID)
	}
	m := snap.Master("mymaster")
	if m == nil || len(m.Replicas) != 2 {
		t.Fatalf("after restart the master knows %v", m)
	}
	for _, r := range m.Replicas {
		if r.Addr.String() != topo.Replicas[0].Addr() && r.Addr.String() != topo.Replicas[1].Addr() {
			t.Fatalf("unexpected replica %s", r.Addr)
		}
	}
}

// TestE2E_NotificationScript: a warning event runs the master's
// notification-script with Redis's arguments, without a shell.
func TestE2E_NotificationScript(t *testing.T) {
	requireRedis(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	topo := datanodetest.StartTopology(t, 1)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "sentinel notification-script mymaster "+script+"\n")
	sc := s.client()
	waitReplicas(t, sc, 1)
	if err := topo.Replicas[0].Kill(); err != nil {
		t.Fatal(err)
	}
	want := "+sdown|slave " + topo.Replicas[0].Addr() + " 127.0.0.1 " + strconv.Itoa(topo.Replicas[0].Port()) + " @ mymaster 127.0.0.1 " + strconv.Itoa(topo.Master.Port())
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), want)
	}, "notification-script should run with %q", want)
}

// TestE2E_YAMLReadOnlyWithStateFile: started from a read-only YAML file, the
// sentinel keeps its state in a separate file and gets it back on restart.
func TestE2E_YAMLReadOnlyWithStateFile(t *testing.T) {
	requireRedis(t)
	ctx := t.Context()
	topo := datanodetest.StartTopology(t, 2)
	dir := t.TempDir()
	port := datanodetest.FreePort(t)
	yamlPath := filepath.Join(dir, "sentinel.yaml")
	text := "sentinel:\n  bind: [127.0.0.1]\n  port: " + strconv.Itoa(port) + "\n" +
		"masters:\n  - name: mymaster\n    address: " + topo.Master.Addr() + "\n    quorum: 1\n    down_after: 1s\n"
	if err := os.WriteFile(yamlPath, []byte(text), 0o444); err != nil {
		t.Fatal(err)
	}
	run := func() (*Supervisor, func()) {
		cfg, err := configs.LoadFile(yamlPath)
		if err != nil {
			t.Fatalf("LoadFile: %v", err)
		}
		sup, err := New(Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(testWriter{t, "[yaml] "}, nil))})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- sup.Run(rctx) }()
		return sup, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	sup, stop := run()
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		m := sup.Snapshot().Master("mymaster")
		return m != nil && len(m.Replicas) == 2
	}, "sentinel should discover both replicas")
	id := sup.Snapshot().MyID
	stop()

	after, err := os.ReadFile(yamlPath)
	if err != nil || string(after) != text {
		t.Fatalf("the YAML file was changed (err %v):\n%s", err, after)
	}
	state, err := os.ReadFile(filepath.Join(dir, "sentinel.state.yaml"))
	if err != nil {
		t.Fatalf("no state file next to the YAML: %v", err)
	}
	if !strings.Contains(string(state), id) {
		t.Fatalf("state file lacks the run id %s:\n%s", id, state)
	}

	sup, stop = run()
	defer stop()
	snap := sup.Snapshot()
	if snap.MyID != id || len(snap.Master("mymaster").Replicas) != 2 {
		t.Fatalf("after restart: id %s (want %s), master %+v", snap.MyID, id, snap.Master("mymaster"))
	}
}

// TestE2E_Webhook: warning events reach a webhook as JSON.
func TestE2E_Webhook(t *testing.T) {
	requireRedis(t)
	var mu sync.Mutex
	var got []notify.WebhookMessage
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.WebhookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	topo := datanodetest.StartTopology(t, 1)
	s := startOurs(t, addrOf(topo.Master), 1, time.Second, "", func(c *configs.Config) {
		c.Sentinel.Webhooks = []string{hook.URL + "/sentinel"}
	})
	waitReplicas(t, s.client(), 1)
	if err := topo.Replicas[0].Kill(); err != nil {
		t.Fatal(err)
	}
	datanodetest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			if m.Event == "+sdown" && m.Master == "mymaster" && strings.Contains(m.Payload, topo.Replicas[0].Addr()) {
				return true
			}
		}
		return false
	}, "the webhook should receive +sdown for the killed replica")
}
