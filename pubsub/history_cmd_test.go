package pubsub

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/monitor/history"
)

type historyController struct {
	*fakeController
	recs []history.Record
}

func (h *historyController) History(_ context.Context, name string) ([]history.Record, error) {
	return h.recs, nil
}

func TestSentinelHistory(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	rec := history.Record{Master: "mymaster", Start: t0, End: t0.Add(1500 * time.Millisecond), Result: history.ResultSwitched,
		Attempts: 1, Leader: "me", Epoch: 4, From: "127.0.0.1:16380", To: "127.0.0.1:16381",
		Phases: []history.Phase{{Name: history.PhaseSDown, At: t0}, {Name: history.PhaseSwitched, At: t0.Add(1500 * time.Millisecond)}},
		Events: []history.Event{{At: t0, Type: "+sdown", Payload: "master mymaster 127.0.0.1 16380"}}}
	srv := startServer(t, func(o *Options) {
		o.Controller = &historyController{fakeController: o.Controller.(*fakeController), recs: []history.Record{rec}}
	})
	c := dialRaw(t, srv.addr)
	v := c.do("SENTINEL", "HISTORY", "mymaster")
	if len(v.Elems) != 1 {
		t.Fatalf("records = %d (%+v)", len(v.Elems), v)
	}
	fields := map[string]string{}
	r := v.Elems[0].Elems
	for i := 0; i+1 < len(r); i += 2 {
		fields[r[i].Str] = r[i+1].Str
	}
	for k, want := range map[string]string{"result": "switched", "duration-ms": "1500", "from": "127.0.0.1:16380",
		"to": "127.0.0.1:16381", "epoch": "4", "start": "1700000000000"} {
		if fields[k] != want {
			t.Errorf("%s = %q, want %q", k, fields[k], want)
		}
	}
	if got := errText(t, c.do("SENTINEL", "HISTORY", "nosuch")); !strings.Contains(got, "No such master") {
		t.Errorf("unknown master: %q", got)
	}
	if got := errText(t, c.do("SENTINEL", "HISTORY")); !strings.Contains(strings.ToLower(got), "wrong number of arguments") {
		t.Errorf("no name: %q", got)
	}
}

func TestSentinelHistory_WithoutHistory(t *testing.T) {
	srv := startServer(t, nil)
	c := dialRaw(t, srv.addr)
	if got := errText(t, c.do("SENTINEL", "HISTORY", "mymaster")); !strings.Contains(got, "not available") {
		t.Errorf("got %q", got)
	}
}
