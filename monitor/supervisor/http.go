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
	"github.com/prometheus/exporter-toolkit/web"
)

// serveHTTP runs the observability listener until ctx ends.
func serveHTTP(ctx context.Context, log *slog.Logger, addr string, g prometheus.Gatherer, status *statusSource, pprofOn bool, webConfig string) error {
	loop := status.loop
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	// The status page: "/" and its files (statuspage.go).
	page := statusPage()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /static/", page)
	// Profiles, on the same (operator-only) listener as the metrics, only
	// when sentinel.pprof is set: a heap profile shows memory contents.
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/heap", pprof.Index)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace) // an execution trace: where the owner loop waited
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		s := loop.Snapshot()
		if time.Since(s.At) > 5*time.Second {
			http.Error(w, "core loop stalled", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if status.raftRoutes != nil {
		status.raftRoutes(mux) // raft mode's membership (raft.go)
	}
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		v := status.view()
		if r.URL.Query().Get("events") == "0" {
			// The page's poll: phases and results, not every event
			// (up to 16 × 64 per master), and no indentation.
			v.dropEvents()
		} else {
			enc.SetIndent("", "  ")
		}
		_ = enc.Encode(v)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("supervisor: metrics listener: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	// exporter-toolkit's web.config (TLS, basic auth), read again on
	// every connection; without one, plain HTTP as before.
	go func() {
		done <- web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, log.With("component", "http"))
	}()
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
