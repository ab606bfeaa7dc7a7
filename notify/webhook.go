package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sentinelgo/sentinel/monitor"
	"github.com/sentinelgo/sentinel/sleep"
)

// Webhook defaults.
const (
	DefaultWebhookTimeout     = 5 * time.Second
	DefaultWebhookMaxAttempts = 5
	DefaultWebhookBackoff     = 500 * time.Millisecond
	DefaultWebhookMaxBackoff  = 30 * time.Second
	DefaultWebhookQueue       = 256
)

// maxResponseDrain bounds how much of a response body is read (and thrown
// away) so the connection can be reused without trusting the server.
const maxResponseDrain = 64 << 10

// ErrWebhookStatus is wrapped by errors for non-2xx replies.
var ErrWebhookStatus = errors.New("notify: webhook returned an error status")

// WebhookOptions configures Webhook. Zero values take the defaults above.
type WebhookOptions struct {
	URLs   []string     // http or https endpoints; each gets every event
	Logger *slog.Logger // nil: discard
	// Metrics receives the counters; when nil they are created on
	// Registerer (nil too: unregistered).
	Metrics    *Metrics
	Registerer prometheus.Registerer
	Client     *http.Client // nil: a client with no overall timeout (each call has its own)

	Timeout     time.Duration // per HTTP attempt
	MaxAttempts int           // attempts per event and URL, the first included
	Backoff     time.Duration // delay after the first failure, doubled after each
	MaxBackoff  time.Duration // cap on the delay
	QueueSize   int           // events waiting per URL; the oldest is dropped beyond it
}

// WebhookMessage is the JSON body POSTed for each event.
type WebhookMessage struct {
	Event   string `json:"event"`   // channel name, e.g. "+switch-master"
	Payload string `json:"payload"` // the message published on that channel
	Master  string `json:"master"`  // master the event concerns ("" when none)
	Time    string `json:"time"`    // RFC 3339, when the event was enqueued
}

// Webhook POSTs events as JSON to a set of URLs. Each URL has its own
// bounded queue and delivery goroutine, so a slow endpoint delays only
// itself; deliveries to one URL stay in event order.
type Webhook struct {
	log         *slog.Logger
	metrics     *Metrics
	client      *http.Client
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	targets     []*webhookTarget
}

type webhookTarget struct {
	url      string // full URL, used only for the request itself
	redacted string // safe for logs and errors
	queue    chan WebhookMessage
}

// NewWebhook validates the URLs and builds a Webhook; call Run to deliver.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	w := &Webhook{
		log:         o.Logger,
		metrics:     o.Metrics,
		client:      o.Client,
		timeout:     o.Timeout,
		maxAttempts: o.MaxAttempts,
		backoff:     o.Backoff,
		maxBackoff:  o.MaxBackoff,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.metrics == nil {
		w.metrics = NewMetrics(o.Registerer)
	}
	if w.client == nil {
		w.client = &http.Client{}
	}
	w.timeout = orDefault(w.timeout, DefaultWebhookTimeout)
	w.maxAttempts = orDefault(w.maxAttempts, DefaultWebhookMaxAttempts)
	w.backoff = orDefault(w.backoff, DefaultWebhookBackoff)
	w.maxBackoff = orDefault(w.maxBackoff, DefaultWebhookMaxBackoff)
	w.maxBackoff = max(w.maxBackoff, w.backoff)
	queueSize := o.QueueSize
	queueSize = orDefault(queueSize, DefaultWebhookQueue)
	var errs []error
	for i, raw := range o.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			// url.Parse's error repeats the whole URL, secrets included;
			// keep only its reason.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			errs = append(errs, fmt.Errorf("notify: webhook url %d: %w", i+1, err))
			continue
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			errs = append(errs, fmt.Errorf("notify: webhook url %d (%s): scheme must be http or https", i+1, RedactURL(raw)))
			continue
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("notify: webhook url %d (%s): no host", i+1, RedactURL(raw)))
			continue
		}
		w.targets = append(w.targets, &webhookTarget{
			url:      raw,
			redacted: RedactURL(raw),
			queue:    make(chan WebhookMessage, queueSize),
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return w, nil
}

// RedactURL returns scheme://host/path of a URL: no user info, query or
// fragment, which is where tokens live. Input that does not parse as an
// absolute URL with a host gives a fixed placeholder, never the raw text.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "<invalid url>"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// Notify queues the event for every URL, stamped with the current time.
// It never blocks: when a URL's queue is full, its oldest waiting event is
// dropped and counted. Which events come here is Router's decision.
func (w *Webhook) Notify(e monitor.Event) {
	msg := WebhookMessage{
		Event:   e.Type,
		Payload: e.Payload(),
		Master:  e.MasterName(),
		Time:    time.Now().UTC().Format(time.RFC3339),
	}
	for _, t := range w.targets {
		w.offer(t, msg)
	}
}

// offer puts msg on the target's queue, evicting the oldest entries while
// it is full. Concurrent offers may race for the freed slot; a bounded
// number of tries keeps this non-blocking, and the last resort drops msg.
func (w *Webhook) offer(t *webhookTarget, msg WebhookMessage) {
	for range 4 {
		select {
		case t.queue <- msg:
			return
		default:
		}
		select {
		case old := <-t.queue:
			w.dropped(t, old)
		default:
		}
	}
	w.dropped(t, msg)
}

func (w *Webhook) dropped(t *webhookTarget, msg WebhookMessage) {
	w.metrics.dropped.WithLabelValues(integrationWebhook).Inc()
	w.log.Debug("webhook queue full, event dropped", "url", t.redacted, "event", msg.Event)
}

// Run delivers queued events until ctx ends, then waits for the delivery
// goroutines and returns nil. Events still queued are discarded.
func (w *Webhook) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, t := range w.targets {
		wg.Go(func() { w.deliverLoop(ctx, t) })
	}
	wg.Wait()
	return nil
}

func (w *Webhook) deliverLoop(ctx context.Context, t *webhookTarget) {
	log := w.log.With("url", t.redacted)
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-t.queue:
			err := w.deliver(ctx, t, msg)
			// Log a failure once per new error text, not once per event
			// (Alertmanager's retry stage does the same).
			switch {
			case err == nil && lastErr != "":
				log.Info("webhook delivering again")
				lastErr = ""
			case err != nil && err.Error() != lastErr && ctx.Err() == nil:
				log.Warn("webhook delivery failed", "event", msg.Event, "err", err)
				lastErr = err.Error()
			}
		}
	}
}

// deliver POSTs msg, retrying retryable failures with exponential backoff
// until it succeeds, MaxAttempts is reached or ctx ends.
func (w *Webhook) deliver(ctx context.Context, t *webhookTarget, msg WebhookMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("notify: webhook %s: encode: %w", t.redacted, err)
	}
	delay := w.backoff
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("notify: webhook %s: %w", t.redacted, err)
		}
		retry, err := w.post(ctx, t, body)
		if err == nil {
			w.metrics.webhookRequests.WithLabelValues(resultSuccess).Inc()
			return nil
		}
		if !retry || attempt >= w.maxAttempts || ctx.Err() != nil {
			w.metrics.webhookRequests.WithLabelValues(resultFailed).Inc()
			return fmt.Errorf("%w (attempt %d of %d)", err, attempt, w.maxAttempts)
		}
		w.metrics.webhookRequests.WithLabelValues(resultRetry).Inc()
		w.log.Debug("webhook attempt failed, retrying", "url", t.redacted, "attempt", attempt, "err", err)
		if !sleep.For(ctx, delay) {
			w.metrics.webhookRequests.WithLabelValues(resultFailed).Inc()
			return fmt.Errorf("notify: webhook %s: gave up while waiting to retry: %w", t.redacted, ctx.Err())
		}
		delay = min(delay*2, w.maxBackoff)
	}
}

// post makes one attempt. retry says whether trying again may help:
// transport errors, timeouts, 408, 429 and 5xx may; other statuses will not.
func (w *Webhook) post(ctx context.Context, t *webhookTarget, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeoutCause(ctx, w.timeout,
		fmt.Errorf("notify: webhook %s: no reply within %s", t.redacted, w.timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("notify: webhook %s: %w", t.redacted, unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sentinelgo-notify")
	resp, err := w.client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil && !errors.Is(cause, context.Canceled) {
			return true, cause
		}
		return true, fmt.Errorf("notify: webhook %s: %w", t.redacted, unwrapURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusRequestTimeout
	return retry, fmt.Errorf("notify: webhook %s: %w: %s", t.redacted, ErrWebhookStatus, resp.Status)
}

// unwrapURLError strips *url.Error, whose message repeats the full URL
// (credentials and query included).
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
