package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sentinelgo/sentinel/monitor"
)

// statusView is the JSON shape of /status: what an operator needs at a
// glance, with secrets left out.
type statusView struct {
	MyID         string         `json:"myid"`
	CurrentEpoch uint64         `json:"current_epoch"`
	Tilt         bool           `json:"tilt"`
	Masters      []statusMaster `json:"masters"`
}

type statusMaster struct {
	Name          string   `json:"name"`
	Address       string   `json:"address"`
	Status        string   `json:"status"`
	ConfigEpoch   uint64   `json:"config_epoch"`
	FailoverState string   `json:"failover_state"`
	Replicas      []string `json:"replicas"`
	Sentinels     []string `json:"sentinels"`
}

func buildStatus(s *monitor.Snapshot) statusView {
	v := statusView{MyID: s.MyID, CurrentEpoch: s.CurrentEpoch, Tilt: s.Tilt, Masters: []statusMaster{}}
	for i := range s.Masters {
		m := &s.Masters[i]
		sm := statusMaster{
			Name: m.Name, Address: m.CurrentAddr.String(), Status: masterStatus(m),
			ConfigEpoch: m.ConfigEpoch, FailoverState: m.FailoverState.String(),
			Replicas: []string{}, Sentinels: []string{},
		}
		for _, r := range m.Replicas {
			sm.Replicas = append(sm.Replicas, r.Addr.String()+" "+r.Flags.String())
		}
		for _, p := range m.Sentinels {
			sm.Sentinels = append(sm.Sentinels, p.Addr.String()+" "+p.RunID)
		}
		v.Masters = append(v.Masters, sm)
	}
	return v
}

// serveHTTP runs the observability listener until ctx ends.
func serveHTTP(ctx context.Context, log *slog.Logger, addr string, g prometheus.Gatherer, loop *Loop) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	// Profiles, on the same (operator-only) listener as the metrics.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		s := loop.Snapshot()
		if time.Since(s.At) > 5*time.Second {
			http.Error(w, "core loop stalled", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(buildStatus(loop.Snapshot()))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("supervisor: metrics listener: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("metrics listening", "addr", ln.Addr().String())
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
		return nil
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("supervisor: metrics server: %w", err)
	}
}
