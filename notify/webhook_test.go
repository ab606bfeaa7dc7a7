package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
)

func switchMaster() monitor.Event {
	return monitor.Event{
		Type: monitor.EventSwitchMaster, Level: monitor.LevelWarning, Master: "mymaster",
		Extra: "mymaster 127.0.0.1 6379 127.0.0.1 6380",
	}
}

// recorder is an httptest handler that answers with a scripted list of
// statuses (then 200) and keeps the bodies it received.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	bodies   []WebhookMessage
	headers  []http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var msg WebhookMessage
	body, _ := io.ReadAll(req.Body)
	_ = json.Unmarshal(body, &msg)
	r.mu.Lock()
	r.bodies = append(r.bodies, msg)
	r.headers = append(r.headers, req.Header.Clone())
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

func (r *recorder) received() []WebhookMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WebhookMessage(nil), r.bodies...)
}

// runWebhook starts Run and stops it at test end.
func runWebhook(t *testing.T, o WebhookOptions) (*Webhook, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	w, err := NewWebhook(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return w, reg
}

func TestWebhook_PostsJSON(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	w, reg := runWebhook(t, WebhookOptions{URLs: []string{srv.URL + "/hook"}})
	before := time.Now().UTC().Truncate(time.Second)
	w.Notify(switchMaster())
	eventually(t, "one request", func() bool { return len(rec.received()) == 1 })
	got := rec.received()[0]
	if got.Event != "+switch-master" || got.Payload != "mymaster 127.0.0.1 6379 127.0.0.1 6380" || got.Master != "mymaster" {
		t.Fatalf("body = %+v", got)
	}
	at, err := time.Parse(time.RFC3339, got.Time)
	if err != nil || at.Before(before) {
		t.Fatalf("time %q is not an RFC 3339 time at or after %v (%v)", got.Time, before, err)
	}
	if ct := rec.headers[0].Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	eventually(t, "the success counter", func() bool {
		return counterValue(t, reg, "sentinel_notify_webhook_requests_total", "result", "success") == 1
	})
}

func TestWebhook_RetriesServerErrorsButNotClientErrors(t *testing.T) {
	tests := []struct {
		name             string
		statuses         []int
		wantRequests     int
		wantRetry        float64
		wantSuccess      float64
		wantFailed       float64
		wantFinalFailure bool
	}{
		{"500 then 503 then ok", []int{500, 503}, 3, 2, 1, 0, false},
		{"429 is retried", []int{429}, 2, 1, 1, 0, false},
		{"400 is not retried", []int{400}, 1, 0, 0, 1, true},
		{"gives up after max attempts", []int{500, 500, 500, 500}, 3, 2, 0, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{statuses: tc.statuses}
			srv := httptest.NewServer(rec)
			t.Cleanup(srv.Close)
			w, reg := runWebhook(t, WebhookOptions{
				URLs: []string{srv.URL}, MaxAttempts: 3, Backoff: time.Millisecond,
			})
			w.Notify(switchMaster())
			final := "success"
			if tc.wantFinalFailure {
				final = "failed"
			}
			eventually(t, "the final result", func() bool {
				return counterValue(t, reg, "sentinel_notify_webhook_requests_total", "result", final) == 1
			})
			if n := len(rec.received()); n != tc.wantRequests {
				t.Fatalf("%d requests, want %d", n, tc.wantRequests)
			}
			for result, want := range map[string]float64{"retry": tc.wantRetry, "success": tc.wantSuccess, "failed": tc.wantFailed} {
				if got := counterValue(t, reg, "sentinel_notify_webhook_requests_total", "result", result); got != want {
					t.Errorf("requests{%s} = %v, want %v", result, got, want)
				}
			}
		})
	}
}

// roundTripFunc is an http.RoundTripper without a network, so webhook
// timing runs inside a synctest bubble.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWebhook_BackoffDoublesUpToTheCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var attempts []time.Time
		client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
			return &http.Response{StatusCode: 502, Status: "502 Bad Gateway", Body: http.NoBody}, nil
		})}
		w, err := NewWebhook(WebhookOptions{
			URLs: []string{"http://hooks.invalid/x"}, Client: client, Logger: testLogger(t),
			MaxAttempts: 6, Backoff: time.Second, MaxBackoff: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		err = w.deliver(context.Background(), w.targets[0], WebhookMessage{Event: "+sdown"})
		if !errors.Is(err, ErrWebhookStatus) || !strings.Contains(err.Error(), "attempt 6 of 6") {
			t.Fatalf("deliver error = %v, want a status error after 6 attempts", err)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
		if len(attempts) != len(want)+1 {
			t.Fatalf("%d attempts, want %d", len(attempts), len(want)+1)
		}
		for i, d := range want {
			if got := attempts[i+1].Sub(attempts[i]); got != d {
				t.Errorf("delay before attempt %d = %v, want %v", i+2, got, d)
			}
		}
	})
}

func TestWebhook_PerCallTimeoutNamesTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The transport hangs until the request's context ends.
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})}
		w, err := NewWebhook(WebhookOptions{
			URLs: []string{"http://hooks.invalid/x"}, Client: client, Logger: testLogger(t),
			MaxAttempts: 2, Timeout: 3 * time.Second, Backoff: time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = w.deliver(context.Background(), w.targets[0], WebhookMessage{Event: "+sdown"})
		if err == nil || !strings.Contains(err.Error(), "no reply within 3s") {
			t.Fatalf("deliver error = %v, want the timeout cause", err)
		}
		// Two timed-out attempts and one backoff, in virtual time.
		if got := time.Since(start); got != 7*time.Second {
			t.Fatalf("took %v of virtual time, want 7s", got)
		}
	})
}

func TestWebhook_ContextEndsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Body: http.NoBody}, nil
		})}
		w, err := NewWebhook(WebhookOptions{
			URLs: []string{"http://hooks.invalid/x"}, Client: client, Logger: testLogger(t),
			MaxAttempts: 100, Backoff: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		err = w.deliver(ctx, w.targets[0], WebhookMessage{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deliver error = %v, want the context's deadline", err)
		}
	})
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestWebhook_SecretsNeverInErrorsOrLogs(t *testing.T) {
	// A closed server: every attempt fails with a transport error that,
	// unredacted, would repeat the URL.
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	secretURL := strings.Replace(addr, "http://", "http://admin:hunter2@", 1) + "/hook?token=s3cr3t#frag"
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, reg := runWebhook(t, WebhookOptions{
		URLs: []string{secretURL}, Logger: logger, MaxAttempts: 2, Backoff: time.Millisecond,
	})
	w.Notify(switchMaster())
	eventually(t, "the delivery to fail", func() bool {
		return counterValue(t, reg, "sentinel_notify_webhook_requests_total", "result", "failed") == 1
	})
	eventually(t, "the failure to be logged", func() bool { return strings.Contains(logs.String(), "webhook delivery failed") })
	err := w.deliver(context.Background(), w.targets[0], WebhookMessage{})
	for _, text := range []string{logs.String(), err.Error()} {
		for _, secret := range []string{"hunter2", "admin", "s3cr3t", "token", "frag"} {
			if strings.Contains(text, secret) {
				t.Fatalf("%q leaked into %q", secret, text)
			}
		}
	}
	if !strings.Contains(err.Error(), addr+"/hook") {
		t.Fatalf("error %q does not name the redacted URL %s/hook", err, addr)
	}
}

func TestWebhook_FullQueueDropsOldest(t *testing.T) {
	reg := prometheus.NewRegistry()
	w, err := NewWebhook(WebhookOptions{URLs: []string{"http://a.invalid/"}, QueueSize: 2, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	// Run is not started, so nothing drains the queue.
	for _, typ := range []string{"+a", "+b", "+c", "+d", "+e"} {
		w.Notify(monitor.Event{Type: typ})
	}
	if got := counterValue(t, reg, "sentinel_notify_dropped_total", "integration", "webhook"); got != 3 {
		t.Fatalf("dropped{webhook} = %v, want 3", got)
	}
	q := w.targets[0].queue
	if first, second := (<-q).Event, (<-q).Event; first != "+d" || second != "+e" {
		t.Fatalf("queue holds %s, %s; want the newest +d, +e", first, second)
	}
}

func TestNewWebhook_RejectsBadURLsWithoutLeakingThem(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"scheme", "ftp://u:pw-secret@host/x", "scheme must be http or https"},
		{"no host", "http:///path?token=pw-secret", "no host"},
		{"unparseable", "http://u:pw-secret@[::1/x", "webhook url 1"},
		{"control character", "http://host/\x7fpw-secret", "webhook url 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWebhook(WebhookOptions{URLs: []string{tc.url}})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pw-secret") {
				t.Fatalf("error %q leaks the secret", err)
			}
		})
	}
	if _, err := NewWebhook(WebhookOptions{URLs: []string{"https://example.com/hook"}}); err != nil {
		t.Fatalf("valid URL rejected: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://u:p@example.com:8443/a/b?token=x#f": "https://example.com:8443/a/b",
		"http://example.com":                         "http://example.com",
		"http://[::1]:80/x":                          "http://[::1]:80/x",
		"http://u:p@[::1/x":                          "<invalid url>",
		"mailto:user@example.com":                    "<invalid url>",
	}
	for in, want := range tests {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"https://u:p@example.com:8443/a/b?token=x#f", "http://[::1]:80/x", "mailto:a@b",
		"http://%zz", "", "//u:p@h/p", "http://h/%2F?x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := RedactURL(raw)
		if got == "<invalid url>" {
			return
		}
		if strings.ContainsAny(got, "?#") {
			t.Fatalf("RedactURL(%q) = %q keeps a query or fragment", raw, got)
		}
		u, err := parseURL(got)
		if err != nil {
			t.Fatalf("RedactURL(%q) = %q does not parse: %v", raw, got, err)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("RedactURL(%q) = %q keeps user info, query or fragment", raw, got)
		}
		if again := RedactURL(got); again != got {
			t.Fatalf("RedactURL is not idempotent: %q -> %q -> %q", raw, got, again)
		}
	})
}

func TestMetrics_PreinitialisedAndSafeToCreateTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	first := NewMetrics(reg)
	second := NewMetrics(reg) // must not panic, must share the series
	second.dropped.WithLabelValues(integrationScript).Inc()
	if got := counterValue(t, reg, "sentinel_notify_dropped_total", "integration", "script"); got != 1 {
		t.Fatalf("dropped{script} = %v, want 1", got)
	}
	if first.dropped != second.dropped {
		t.Fatal("second NewMetrics did not reuse the registered collector")
	}
	for _, series := range [][]string{
		{"sentinel_notify_scripts_run_total", "kind", "notification"},
		{"sentinel_notify_scripts_run_total", "kind", "client_reconfig"},
		{"sentinel_notify_script_failures_total", "kind", "client_reconfig", "reason", "timeout"},
		{"sentinel_notify_dropped_total", "integration", "webhook"},
		{"sentinel_notify_webhook_requests_total", "result", "retry"},
	} {
		if got := counterValue(t, reg, series[0], series[1:]...); got != 0 {
			t.Fatalf("%v = %v, want 0", series, got)
		}
	}
}
