package supervisor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// chromium drives a headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4), so
// the test needs no WebSocket client and no extra module.
type chromium struct {
	t       *testing.T
	cmd     *exec.Cmd
	in      *os.File      // our end of Chromium's fd 3
	out     *os.File      // our end of Chromium's fd 4
	r       *bufio.Reader // over out
	id      int
	session string
}

// chromiumPath returns the browser, or skips the test without one.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install chromium; make deps installs it)")
	return ""
}

func startChromium(t *testing.T) *chromium {
	t.Helper()
	bin := chromiumPath(t)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{inR, outW} // fd 3: what it reads, fd 4: what it writes
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = inR.Close()
	_ = outW.Close()
	c := &chromium{t: t, cmd: cmd, in: inW, out: outR, r: bufio.NewReaderSize(outR, 1<<20)}
	t.Cleanup(func() {
		// The browser and every process it started are in its group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = inW.Close()
		_ = outR.Close()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("chromium stderr (last 2 KB): %s", tail(stderr.Bytes(), 2048))
		}
	})
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

type cdpReply struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// call sends one command (to the attached page once there is one) and
// returns its result, skipping the events in between. Bounded by 30 s.
func (c *chromium) call(method string, params any) (json.RawMessage, error) {
	c.id++
	msg := map[string]any{"id": c.id, "method": method, "params": params}
	if c.session != "" {
		msg["sessionId"] = c.session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	_ = c.in.SetWriteDeadline(deadline)
	if _, err := c.in.Write(append(b, 0)); err != nil {
		return nil, fmt.Errorf("cdp write: %w", err)
	}
	_ = c.out.SetReadDeadline(deadline)
	for range 100_000 {
		line, err := c.r.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("cdp read: %w", err)
		}
		var rep cdpReply
		if err := json.Unmarshal(line[:len(line)-1], &rep); err != nil {
			return nil, fmt.Errorf("cdp reply: %w", err)
		}
		if rep.ID != c.id {
			continue // an event, or the reply to another session's command
		}
		if rep.Error != nil {
			return nil, fmt.Errorf("cdp %s: %s", method, rep.Error.Message)
		}
		return rep.Result, nil
	}
	return nil, errors.New("cdp: no reply")
}

func (c *chromium) must(method string, params any) json.RawMessage {
	c.t.Helper()
	res, err := c.call(method, params)
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// open creates a page at url and attaches to it.
func (c *chromium) open(url string, width, height int) {
	c.t.Helper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(c.must("Target.createTarget", map[string]any{"url": url}), &created); err != nil {
		c.t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(c.must("Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}), &attached); err != nil {
		c.t.Fatal(err)
	}
	c.session = attached.SessionID
	c.must("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false})
}

// eval runs a JavaScript expression in the page and returns its value,
// decoded into out.
func (c *chromium) eval(expr string, out any) error {
	res, err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("page: %s", r.Exception.Text)
	}
	if len(r.Result.Value) == 0 {
		return errors.New("page: no value")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// screenshot writes the whole page as a PNG.
func (c *chromium) screenshot(path string) {
	c.t.Helper()
	var height float64
	if err := c.eval("document.documentElement.scrollHeight", &height); err != nil {
		c.t.Fatal(err)
	}
	var width float64
	if err := c.eval("document.documentElement.scrollWidth", &width); err != nil {
		c.t.Fatal(err)
	}
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON: decoded by encoding/json
	}
	res := c.must("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
	if err := json.Unmarshal(res, &shot); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		c.t.Fatal(err)
	}
}
