package pubsub

import (
	"cmp"
	"strings"
)

// The command table has one source: the cmdMeta entries. redisCommands
// (generated, cmdtable_gen.go) is redis-sentinel 7.0.15's table, and
// COMMAND, COMMAND INFO/DOCS/LIST/COUNT show exactly it. ourCommands are
// the commands we accept on top (docs/compatibility.md says why); they
// dispatch like the others but COMMAND does not list them, so a client
// that learns the table from COMMAND sees redis-sentinel's.
//
// To add a command:
//   - redis-sentinel has it (ACL, CLIENT PAUSE, ...): its entry is already
//     in redisCommands; add its handler to commandHandlers. Until then it
//     answers errNotSupported.
//   - redis-sentinel 7.0 does not: add a cmdMeta to ourCommands (name,
//     arity, flags) and its handler to commandHandlers, and a line to
//     docs/compatibility.md.

// ourCommands are accepted but not listed by COMMAND.
var ourCommands = []*cmdMeta{
	// Redis 7.2 has QUIT in its table; 7.0 answers "unknown command" but
	// clients (redis-cli, go-redis) send it on close.
	{Name: "quit", Arity: -1, Flags: []string{"allow_busy", "noscript", "loading", "stale", "fast", "no_auth"}, ACL: []string{"@fast", "@connection"}},
	// Redis 7.2's CLIENT SETINFO, sent by go-redis and redis-py on connect.
	{Name: "client|setinfo", Arity: 4, Flags: []string{"noscript", "loading", "stale"}, ACL: []string{"@slow", "@connection"}},
	// Valkey's PRIMARY aliases of the MASTER subcommands.
	{Name: "sentinel|primaries", Arity: 2, Flags: []string{"admin"}, ACL: sentinelACL},
	{Name: "sentinel|primary", Arity: 3, Flags: []string{"admin"}, ACL: sentinelACL},
	{Name: "sentinel|get-primary-addr-by-name", Arity: 3, Flags: []string{"admin"}, ACL: sentinelACL},
	{Name: "sentinel|is-primary-down-by-addr", Arity: 6, Flags: []string{"admin"}, ACL: sentinelACL},
	// SENTINEL HISTORY <name>: the master's last failovers (issue 13).
	{Name: "sentinel|history", Arity: 3, Flags: []string{"admin"}, ACL: sentinelACL},
	// SENTINEL PAUSE <name> <seconds>|OFF: no failover of the master for a while (issue 13).
	{Name: "sentinel|pause", Arity: 4, Flags: []string{"admin"}, ACL: sentinelACL},
}

// sentinelACL are the categories of every SENTINEL subcommand.
var sentinelACL = []string{"@admin", "@slow", "@dangerous"}

// commandHandlers runs each command, by full name.
var commandHandlers = map[string]handler{
	"ping":         cmdPing,
	"auth":         cmdAuth,
	"hello":        cmdHello,
	"quit":         cmdQuit,
	"info":         cmdInfo,
	"role":         cmdRole,
	"shutdown":     cmdShutdown,
	"publish":      cmdPublish,
	"subscribe":    cmdSubscribe,
	"psubscribe":   cmdSubscribe,
	"unsubscribe":  cmdUnsubscribe,
	"punsubscribe": cmdUnsubscribe,

	"client|setname":      cmdClientSetName,
	"client|getname":      cmdClientGetName,
	"client|id":           cmdClientID,
	"client|setinfo":      cmdClientSetInfo,
	"client|list":         cmdClientList,
	"client|info":         cmdClientInfo,
	"client|kill":         cmdClientKill,
	"client|help":         cmdClientHelp,
	"client|no-evict":     cmdClientNoEvict,
	"client|unblock":      cmdClientUnblock,
	"client|getredir":     cmdClientGetRedir,
	"client|trackinginfo": cmdClientTrackingInfo,
	"client|caching":      cmdClientCaching,
	"client|tracking":     cmdClientTracking,
	"client|reply":        cmdClientReply,
	"client|pause":        cmdClientPause,
	"client|unpause":      cmdClientUnpause,

	"command":                 cmdCommandAll,
	"command|count":           cmdCommandCount,
	"command|docs":            cmdCommandDocs,
	"command|info":            cmdCommandInfo,
	"command|list":            cmdCommandNames,
	"command|getkeys":         cmdCommandGetKeys,
	"command|getkeysandflags": cmdCommandGetKeys,
	"command|help":            cmdCommandHelp,

	"sentinel|masters":                  cmdSentinelMasters,
	"sentinel|primaries":                cmdSentinelMasters,
	"sentinel|master":                   cmdSentinelMaster,
	"sentinel|primary":                  cmdSentinelMaster,
	"sentinel|replicas":                 cmdSentinelReplicas,
	"sentinel|slaves":                   cmdSentinelReplicas,
	"sentinel|sentinels":                cmdSentinelSentinels,
	"sentinel|get-master-addr-by-name":  cmdSentinelGetMasterAddr,
	"sentinel|get-primary-addr-by-name": cmdSentinelGetMasterAddr,
	"sentinel|myid":                     cmdSentinelMyID,
	"sentinel|monitor":                  cmdSentinelMonitor,
	"sentinel|remove":                   cmdSentinelRemove,
	"sentinel|set":                      cmdSentinelSet,
	"sentinel|reset":                    cmdSentinelReset,
	"sentinel|failover":                 cmdSentinelFailover,
	"sentinel|ckquorum":                 cmdSentinelCKQuorum,
	"sentinel|flushconfig":              cmdSentinelFlushConfig,
	"sentinel|config":                   cmdSentinelConfig,
	"sentinel|debug":                    cmdSentinelDebug,
	"sentinel|info-cache":               cmdSentinelInfoCache,
	"sentinel|is-master-down-by-addr":   cmdSentinelIsMasterDown,
	"sentinel|is-primary-down-by-addr":  cmdSentinelIsMasterDown,
	"sentinel|pending-scripts":          cmdSentinelPendingScripts,
	"sentinel|simulate-failure":         cmdSentinelSimulateFailure,
	"sentinel|help":                     cmdSentinelHelp,
	"sentinel|history":                  cmdSentinelHistory,
	"sentinel|pause":                    cmdSentinelPause,

	"acl|cat":     cmdACLCat,
	"acl|deluser": cmdACLDelUser,
	"acl|dryrun":  cmdACLDryRun,
	"acl|genpass": cmdACLGenPass,
	"acl|getuser": cmdACLGetUser,
	"acl|help":    cmdACLHelp,
	"acl|list":    cmdACLList,
	"acl|load":    cmdACLLoad,
	"acl|log":     cmdACLLog,
	"acl|save":    cmdACLSave,
	"acl|setuser": cmdACLSetUser,
	"acl|users":   cmdACLUsers,
	"acl|whoami":  cmdACLWhoAmI,
}

// arityOverride widens an arity of redisCommands for our additions:
// SENTINEL FAILOVER <name> COORDINATED (Valkey). COMMAND still shows 3.
var arityOverride = map[string]int{"sentinel|failover": -3}

// subscribedOK are the commands a RESP2 connection may send while
// subscribed (Redis checks the same list by handler).
var subscribedOK = map[string]bool{
	"ping": true, "quit": true,
	"subscribe": true, "psubscribe": true, "unsubscribe": true, "punsubscribe": true,
}

// command is one dispatchable entry, built from a cmdMeta.
type command struct {
	name   string // lower case; "container|sub" for subcommands, as in error texts
	arity  int
	noAuth bool // runs before AUTH (CMD_NO_AUTH: AUTH, HELLO, QUIT)
	pubsub bool // allowed in a RESP2 subscribed connection
	run    handler
	subs   map[string]*command
	acl    []string // ACL categories, "@" included (meta.ACL)
	meta   *cmdMeta
}

// commandTable holds every command, by lower-case name. Built in init
// because handlers such as COMMAND COUNT refer back to it.
var commandTable map[string]*command

func init() { commandTable = buildCommandTable() }

func buildCommandTable() map[string]*command {
	t := map[string]*command{}
	for _, m := range redisCommands {
		t[m.Name] = newCommand(m)
	}
	for _, m := range ourCommands {
		if parent, sub, ok := strings.Cut(m.Name, "|"); ok {
			t[parent].subs[sub] = newCommand(m)
		} else {
			t[m.Name] = newCommand(m)
		}
	}
	return t
}

func newCommand(m *cmdMeta) *command {
	c := &command{
		name:   m.Name,
		arity:  cmp.Or(arityOverride[m.Name], m.Arity),
		noAuth: m.hasFlag("no_auth"),
		pubsub: subscribedOK[m.Name],
		run:    commandHandlers[m.Name],
		acl:    m.ACL,
		meta:   m,
	}
	if len(m.Subs) > 0 {
		c.subs = make(map[string]*command, len(m.Subs))
		for _, s := range m.Subs {
			_, sub, _ := strings.Cut(s.Name, "|")
			c.subs[sub] = newCommand(s)
		}
	} else if c.run == nil {
		c.run = cmdNotSupported
	}
	return c
}
