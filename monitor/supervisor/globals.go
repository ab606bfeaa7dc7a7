package supervisor

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/monitor"
)

// Globals are the sentinel-wide settings SENTINEL CONFIG GET/SET reach.
type Globals struct {
	AnnounceIP          string
	AnnouncePort        int
	AnnounceHostnames   bool
	ResolveHostnames    bool
	SentinelUser        string
	SentinelPass        string
	DenyScriptsReconfig bool
}

// globals guards Globals for the RESP server's goroutines. It is a leaf type
// with no goroutines of its own, so a mutex is the right tool.
type globals struct {
	mu    sync.Mutex
	g     Globals
	level *slog.LevelVar // loglevel, a sentinel.conf directive only (not SENTINEL CONFIG)
	// requirePass is used towards peers when no sentinel-pass is set, as
	// Redis does.
	requirePass string
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (g *globals) list() []monitor.Setting {
	g.mu.Lock()
	defer g.mu.Unlock()
	return []monitor.Setting{
		{Name: "resolve-hostnames", Value: yesNo(g.g.ResolveHostnames)},
		{Name: "announce-hostnames", Value: yesNo(g.g.AnnounceHostnames)},
		{Name: "announce-ip", Value: g.g.AnnounceIP},
		{Name: "announce-port", Value: strconv.Itoa(g.g.AnnouncePort)},
		{Name: "sentinel-user", Value: g.g.SentinelUser},
		{Name: "sentinel-pass", Value: g.g.SentinelPass},
	}
}

func (g *globals) denyScriptsReconfig() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.g.DenyScriptsReconfig
}

// setDenyScriptsReconfig is a configuration reload's (SIGHUP) door to
// deny-scripts-reconfig, which no command changes.
func (g *globals) setDenyScriptsReconfig(v bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.g.DenyScriptsReconfig = v
}

func (g *globals) peerCredentials() (string, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.g.SentinelPass == "" {
		return g.g.SentinelUser, g.requirePass
	}
	return g.g.SentinelUser, g.g.SentinelPass
}

func parseYesNo(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, &monitor.CommandError{Code: "ERR", Msg: fmt.Sprintf("Invalid value for '%s'", name)}
}

// set validates every setting before applying any, like Redis's
// SENTINEL CONFIG SET (all or nothing).
func (g *globals) set(settings []monitor.Setting) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	next := g.g
	for _, s := range settings {
		var err error
		switch strings.ToLower(s.Name) {
		case "resolve-hostnames":
			next.ResolveHostnames, err = parseYesNo(s.Name, s.Value)
		case "announce-hostnames":
			next.AnnounceHostnames, err = parseYesNo(s.Name, s.Value)
		case "announce-ip":
			next.AnnounceIP = s.Value
		case "announce-port":
			p, perr := strconv.Atoi(s.Value)
			if perr != nil || p < 0 || p > 65535 {
				err = &monitor.CommandError{Code: "ERR", Msg: "Invalid value for 'announce-port'"}
			}
			next.AnnouncePort = p
		case "sentinel-user":
			next.SentinelUser = s.Value
		case "sentinel-pass":
			next.SentinelPass = s.Value
		default:
			err = &monitor.CommandError{Code: "ERR", Msg: fmt.Sprintf("Invalid argument '%s' to SENTINEL CONFIG SET", s.Name)}
		}
		if err != nil {
			return err
		}
	}
	g.g = next
	return nil
}

// runtimeSettings is what the state records of the globals.
func (g *globals) runtimeSettings() configs.RuntimeSettings {
	g.mu.Lock()
	defer g.mu.Unlock()
	return configs.RuntimeSettings{
		AnnounceIP: g.g.AnnounceIP, AnnouncePort: g.g.AnnouncePort,
		ResolveHostnames: g.g.ResolveHostnames, AnnounceHostnames: g.g.AnnounceHostnames,
		DenyScriptsReconfig: g.g.DenyScriptsReconfig,
		SentinelUser:        g.g.SentinelUser, SentinelPass: configs.Secret(g.g.SentinelPass),
	}
}

func (g *globals) snapshot() Globals {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.g
}
