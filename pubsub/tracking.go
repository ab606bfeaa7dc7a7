package pubsub

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// trackingState is a connection's CLIENT TRACKING mode. A sentinel has no
// keys, so no invalidation is ever sent: like redis-sentinel, tracking
// only changes what CLIENT TRACKINGINFO, GETREDIR, CACHING, CLIENT LIST
// and INFO's tracking_clients show.
type trackingState struct {
	redirect      int64 // client id, 0 for none
	bcast         bool
	optin, optout bool
	noloop        bool
	caching       bool     // CLIENT CACHING YES/NO for the next command
	prefixes      []string // BCAST prefixes ("" for all keys)
}

// trackingOptions is what CLIENT TRACKING's arguments ask for.
type trackingOptions struct {
	redirect                     int64
	bcast, optin, optout, noloop bool
	prefixes                     []string
}

// parseTrackingOptions reads the options after ON|OFF with Redis's
// errors; it writes the error reply and returns false on a refusal.
func parseTrackingOptions(c *client, args [][]byte) (trackingOptions, bool) {
	var o trackingOptions
	for j := 0; j < len(args); j++ {
		more := len(args) - 1 - j
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "redirect" && more > 0:
			j++
			if o.redirect != 0 {
				c.err("ERR A client can only redirect to a single other client")
				return o, false
			}
			id, ok := resp.ParseInt(string(args[j]))
			if !ok {
				c.err(errNotInteger)
				return o, false
			}
			if !c.srv.clientExists(uint64(id)) || id <= 0 {
				c.err("ERR The client ID you want redirect to does not exist")
				return o, false
			}
			o.redirect = id
		case opt == "bcast":
			o.bcast = true
		case opt == "optin":
			o.optin = true
		case opt == "optout":
			o.optout = true
		case opt == "noloop":
			o.noloop = true
		case opt == "prefix" && more > 0:
			j++
			o.prefixes = append(o.prefixes, string(args[j]))
		default:
			c.err(errSyntax)
			return o, false
		}
	}
	return o, true
}

// trackingRefusal is Redis's check of new options against each other and
// against the connection's current mode; "" when they are accepted.
func trackingRefusal(o trackingOptions, cur *trackingState) string {
	switch {
	case !o.bcast && len(o.prefixes) > 0:
		return "ERR PREFIX option requires BCAST mode to be enabled"
	case cur != nil && cur.bcast != o.bcast:
		return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	case o.bcast && (o.optin || o.optout):
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	case o.optin && o.optout:
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	case cur != nil && ((o.optin && cur.optout) || (o.optout && cur.optin)):
		return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	}
	if !o.bcast {
		return ""
	}
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range o.prefixes {
		if cur != nil {
			for _, old := range cur.prefixes {
				if overlap(p, old) {
					return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, old)
				}
			}
		}
		for _, q := range o.prefixes[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

// cmdClientTracking answers CLIENT TRACKING ON|OFF [options].
func cmdClientTracking(_ context.Context, c *client, args [][]byte) {
	o, ok := parseTrackingOptions(c, args[3:])
	if !ok {
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.mu.Lock()
		cur := c.tracking
		c.mu.Unlock()
		if msg := trackingRefusal(o, cur); msg != "" {
			c.err(msg)
			return
		}
		// As Redis's enableTracking: the mode is replaced, BCAST prefixes
		// add up ("" stands for every key when none is given).
		next := &trackingState{redirect: o.redirect, bcast: o.bcast, optin: o.optin, optout: o.optout, noloop: o.noloop}
		if o.bcast {
			if cur != nil {
				next.prefixes = append(next.prefixes, cur.prefixes...)
			}
			add := o.prefixes
			if len(add) == 0 {
				add = []string{""}
			}
			for _, p := range add {
				if !slices.Contains(next.prefixes, p) {
					next.prefixes = append(next.prefixes, p)
				}
			}
			slices.Sort(next.prefixes) // a radix tree, read in order
		}
		c.mu.Lock()
		c.tracking = next
		c.mu.Unlock()
	case "off":
		c.mu.Lock()
		c.tracking = nil
		c.mu.Unlock()
	default:
		c.err(errSyntax)
		return
	}
	c.wr.SimpleString("OK")
}

// cmdClientCaching answers CLIENT CACHING YES|NO: allowed in OPTIN mode
// (YES) and OPTOUT mode (NO), for the next command.
func cmdClientCaching(_ context.Context, c *client, args [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tracking
	if t == nil {
		c.err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !t.optin {
			c.err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if !t.optout {
			c.err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.err(errSyntax)
		return
	}
	t.caching = true
	c.wr.SimpleString("OK")
}

// endCaching drops CLIENT CACHING's flag after any command but a CLIENT
// subcommand, as Redis resets it after the next command. It runs after
// every command on the serve goroutine, the only writer of c.tracking, so
// the common case (tracking off) reads it without the lock.
func (c *client) endCaching(cmd *command) {
	if c.tracking == nil || strings.HasPrefix(cmd.name, "client|") {
		return
	}
	c.mu.Lock()
	if c.tracking != nil && !c.tracking.bcast {
		c.tracking.caching = false
	}
	c.mu.Unlock()
}

// trackingView is what CLIENT LIST and TRACKINGINFO show of a mode.
func (s *Server) trackingView(t *trackingState) (redirect int64, broken bool) {
	if t == nil {
		return -1, false
	}
	return t.redirect, t.redirect != 0 && !s.clientExists(uint64(t.redirect))
}

func cmdClientGetRedir(_ context.Context, c *client, _ [][]byte) {
	c.mu.Lock()
	t := c.tracking
	c.mu.Unlock()
	redirect, _ := c.srv.trackingView(t)
	c.wr.Integer(redirect)
}

func cmdClientTrackingInfo(_ context.Context, c *client, _ [][]byte) {
	c.mu.Lock()
	var t *trackingState
	if c.tracking != nil {
		cp := *c.tracking
		t = &cp
	}
	c.mu.Unlock()
	redirect, broken := c.srv.trackingView(t)
	flags := []string{"off"}
	var prefixes []string
	if t != nil {
		flags = []string{"on"}
		for _, f := range []struct {
			on   bool
			name string
		}{{t.bcast, "bcast"}, {t.optin, "optin"}, {t.optout, "optout"},
			{t.caching && t.optin, "caching-yes"}, {t.caching && t.optout, "caching-no"},
			{t.noloop, "noloop"}, {broken, "broken_redirect"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		prefixes = t.prefixes
	}
	c.wr.MapLen(3)
	c.wr.BulkString("flags")
	c.wr.SetLen(len(flags))
	for _, f := range flags {
		c.wr.BulkString(f)
	}
	c.wr.BulkString("redirect")
	c.wr.Integer(redirect)
	c.wr.BulkString("prefixes")
	c.wr.ArrayLen(len(prefixes))
	for _, p := range prefixes {
		c.wr.BulkString(p)
	}
}

// clientExists reports whether a connection with this id is open.
func (s *Server) clientExists(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.clients[id]
	return ok
}

// trackingClients counts the connections in tracking mode (INFO).
func (s *Server) trackingClients() int {
	n := 0
	for _, c := range s.clientList() {
		c.mu.Lock()
		if c.tracking != nil {
			n++
		}
		c.mu.Unlock()
	}
	return n
}
