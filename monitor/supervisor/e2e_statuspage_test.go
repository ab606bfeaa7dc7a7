package supervisor

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/monitor/history"
)

// TestStatusPage_Served: the page and its files come from the binary, with
// a CSP that allows nothing from elsewhere; other paths are 404.
func TestStatusPage_Served(t *testing.T) {
	h := statusPage()
	for path, want := range map[string]string{"/": "static/app.js", "/static/app.js": `fetch("status?events=0"`, "/static/style.css": ".master"} {
		rec := httpGet(t, h, path)
		if rec.code != http.StatusOK || !strings.Contains(rec.body, want) {
			t.Errorf("GET %s: %d, body lacks %q", path, rec.code, want)
		}
	}
	if rec := httpGet(t, h, "/"); !strings.Contains(rec.csp, "default-src 'none'") {
		t.Errorf("CSP = %q", rec.csp)
	}
	if rec := httpGet(t, h, "/static/nope.js"); rec.code != http.StatusNotFound {
		t.Errorf("GET /static/nope.js: %d", rec.code)
	}
}

// TestE2E_StatusPage opens the page in headless Chromium on one of three
// of our sentinels, kills the master, and checks that the same page (no
// reload) shows the failover row with its drawn phases and the new
// master. SENTINEL_STATUS_SCREENSHOT=docs/status-page.png (a path from
// the repository root) saves the screenshot there.
func TestE2E_StatusPage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server, sentinels and chromium")
	}
	chromiumPath(t)
	requireRedis(t)
	ours, topo := threeOfOurs(t)
	s := ours[0]
	br := startChromium(t)
	br.open("http://"+s.metrics+"/", 1280, 900)

	pageTrue := func(what, expr string) {
		t.Helper()
		datanodetest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() bool {
			var ok bool
			return br.eval(expr, &ok) == nil && ok
		}, "page: %s (%s)", what, expr)
	}
	pageTrue("first render, master ok, no failover yet",
		`document.body.dataset.renders >= 1 && document.querySelector('section.master[data-status="ok"]') !== null && document.querySelectorAll('tr.failover').length === 0`)
	var ok bool
	if err := br.eval(`window.__sameLoad = true`, &ok); err != nil {
		t.Fatal(err)
	}
	var rendersBefore int
	if err := br.eval(`Number(document.body.dataset.renders)`, &rendersBefore); err != nil {
		t.Fatal(err)
	}

	newAddr := killAndSwitch(t, ours, topo)
	pageTrue("the failover row, drawn", `document.querySelectorAll('tr.failover[data-result="switched"] rect.phase').length >= 2`)
	pageTrue("the new master", `document.querySelector('section.master .current-address').textContent === `+jsString(newAddr))
	pageTrue("the same page, updated by polling", `window.__sameLoad === true && Number(document.body.dataset.firstFailovers) === 0 && Number(document.body.dataset.renders) > `+strconv.Itoa(rendersBefore))
	pageTrue("the change in the activity list", `[...document.querySelectorAll('#activity li')].some(li => li.textContent.includes('failover switched'))`)
	var phases string
	if err := br.eval(`document.querySelector('tr.failover .phases').textContent`, &phases); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sdown +", "switched +"} {
		if !strings.Contains(phases, p) {
			t.Errorf("phases %q lack %q", phases, p)
		}
	}
	t.Logf("failover row phases: %s", phases)

	// The old master comes back: the page shows it as a replica of the
	// new one, with both replicas' links up, still without a reload.
	if err := topo.Master.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := datanodetest.WaitReplicaOf(t.Context(), topo.Master, newAddr, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	pageTrue("both replicas linked", `[...document.querySelectorAll('tr.replica')].filter(r => r.textContent.includes('up')).length === 2 && window.__sameLoad === true`)

	shot := filepath.Join(t.TempDir(), "status-page.png")
	if p := os.Getenv("SENTINEL_STATUS_SCREENSHOT"); p != "" {
		shot = filepath.Join("..", "..", p) // tests run in monitor/supervisor
	}
	// The picture is of the leader's page, whose timeline has every phase:
	// a second tab on it (the first one's checks are done).
	for _, o := range ours {
		st := statusOf(t, o)
		if len(st.Masters) == 1 && len(st.Masters[0].History) > 0 && !st.Masters[0].History[0].PhaseAt(history.PhaseElected).IsZero() {
			if o != s {
				br.open("http://"+o.metrics+"/", 1280, 900)
				pageTrue("the leader's page", `document.querySelectorAll('tr.failover rect.phase').length >= 4`)
			}
			break
		}
	}
	// Let the page settle on the switched master before the picture.
	pageTrue("master ok again", `document.querySelector('section.master[data-status="ok"]') !== null`)
	pageTrue("a replica promotable again", `document.querySelectorAll('td.reason.good').length >= 1`)
	br.screenshot(shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}

type getResult struct {
	code      int
	body, csp string
}

func httpGet(t *testing.T, h http.Handler, path string) getResult {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return getResult{code: rec.Code, body: rec.Body.String(), csp: rec.Header().Get("Content-Security-Policy")}
}

// jsString quotes an address for a JavaScript expression.
func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
