package notify

import (
	"testing"

	"github.com/sentinelgo/sentinel/monitor"
)

type recordingNotifier struct{ got []string }

func (r *recordingNotifier) Notify(e monitor.Event) { r.got = append(r.got, e.Type) }

// TestRouter_RoutesByTheRules: scripts get Warning-level events about a
// master's instance (Redis's sentinelEvent rule), webhooks every
// Warning-level event, nobody anything below Warning.
func TestRouter_RoutesByTheRules(t *testing.T) {
	scripts, hooks := &recordingNotifier{}, &recordingNotifier{}
	r := &Router{routes: []route{{scripts, wantsScript}, {hooks, wantsWebhook}}}
	inst := &monitor.InstanceRef{Kind: monitor.KindMaster, Name: "mymaster"}
	r.Notify(monitor.Event{Type: monitor.EventSDown, Level: monitor.LevelWarning, Instance: inst})
	r.Notify(monitor.Event{Type: monitor.EventTilt, Level: monitor.LevelWarning, Extra: "#tilt mode entered"})
	r.Notify(monitor.Event{Type: monitor.EventSlave, Level: monitor.LevelNotice, Instance: inst})
	if want := []string{monitor.EventSDown}; !equal(scripts.got, want) {
		t.Errorf("scripts got %v, want %v", scripts.got, want)
	}
	if want := []string{monitor.EventSDown, monitor.EventTilt}; !equal(hooks.got, want) {
		t.Errorf("webhooks got %v, want %v", hooks.got, want)
	}
}

func TestNewRouter_NilNotifiersAreSkipped(t *testing.T) {
	r := NewRouter(nil, nil)
	r.Notify(monitor.Event{Type: monitor.EventSDown, Level: monitor.LevelWarning}) // must not panic
	if len(r.routes) != 0 {
		t.Fatalf("routes = %d, want 0", len(r.routes))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
