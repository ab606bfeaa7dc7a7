package monitortest

import (
	"fmt"

	"github.com/sentinelgo/sentinel/monitor"
)

// handleAuthority prints whether the master named is withheld from
// clients as of now (fencing, issue 11): "authority <name> reached=r/k
// withheld=yes|no".
func (e *env) handleAuthority(a args) error {
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: authority <master>")
	}
	s := e.core.Snapshot(e.now)
	m := s.Master(a.pos[0])
	if m == nil {
		return fmt.Errorf("no master %q", a.pos[0])
	}
	au := monitor.AuthorityOf(m, s.At)
	withheld := "no"
	if monitor.Withheld(m, s.At) {
		withheld = "yes"
	}
	e.printf("authority %s reached=%d/%d withheld=%s", m.Name, au.Reached, au.Known, withheld)
	return nil
}
