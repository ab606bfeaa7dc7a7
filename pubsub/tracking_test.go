package pubsub

import (
	"strings"
	"testing"
)

// TestClientTracking: the modes as CLIENT TRACKINGINFO, GETREDIR, CLIENT
// INFO and INFO show them (the byte-for-byte comparison with
// redis-sentinel is e2e_commands_test.go's).
func TestClientTracking(t *testing.T) {
	ts := startServer(t, nil)
	c := dialRaw(t, ts.addr)
	other := dialRaw(t, ts.addr)
	otherID := other.do("CLIENT", "ID").Int
	if v := c.do("CLIENT", "TRACKING", "on", "redirect", itoa64(otherID), "optin"); v.Str != "OK" {
		t.Fatalf("TRACKING on = %+v", v)
	}
	if v := c.do("CLIENT", "GETREDIR"); v.Int != otherID {
		t.Errorf("GETREDIR = %+v, want %d", v, otherID)
	}
	if info := c.do("CLIENT", "INFO").Str; !strings.Contains(info, " flags=t ") || !strings.Contains(info, " redir="+itoa64(otherID)+" ") {
		t.Errorf("CLIENT INFO = %q", info)
	}
	if info := c.do("INFO", "clients").Str; !strings.Contains(info, "tracking_clients:1\r\n") {
		t.Errorf("INFO clients = %q", info)
	}
	c.do("CLIENT", "CACHING", "yes")
	flags := func() string {
		v := c.do("CLIENT", "TRACKINGINFO")
		var out []string
		for _, f := range v.Elems[1].Elems {
			out = append(out, f.Str)
		}
		return strings.Join(out, ",")
	}
	if got := flags(); got != "on,optin,caching-yes" {
		t.Errorf("flags after CACHING yes = %q", got)
	}
	c.do("PING")
	if got := flags(); got != "on,optin" {
		t.Errorf("flags after the next command = %q", got)
	}
	other.send(encode("QUIT"))
	other.read()
	eventually(t, "the redirect target to be gone", func() bool { return flags() == "on,optin,broken_redirect" })
	if got := errText(t, c.do("CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab")); !strings.Contains(got, "PREFIX option") && !strings.Contains(got, "BCAST mode on/off") {
		t.Errorf("switching to BCAST = %q", got)
	}
	if v := c.do("CLIENT", "TRACKING", "off"); v.Str != "OK" || flags() != "off" {
		t.Errorf("TRACKING off = %+v, flags %q", v, flags())
	}
	if got := errText(t, c.do("CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab")); got != "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap." {
		t.Errorf("overlapping prefixes = %q", got)
	}
}
