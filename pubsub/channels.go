package pubsub

// Wire strings the server sends or matches. Each names its Redis
// counterpart so a reader can check it against sentinel.c / server.c.
const (
	// helloChannel is the only channel PUBLISH accepts on a sentinel
	// (sentinelPublishCommand).
	helloChannel = "__sentinel__:hello"

	// redisVersion is what HELLO and INFO report as redis_version: clients
	// and tools gate features on it, so we claim the version whose
	// behaviour we reproduce.
	redisVersion = "7.0.15"

	// Pub/sub reply kinds (server.c shared.subscribebulk & co).
	kindSubscribe    = "subscribe"
	kindPSubscribe   = "psubscribe"
	kindUnsubscribe  = "unsubscribe"
	kindPUnsubscribe = "punsubscribe"
	kindMessage      = "message"
	kindPMessage     = "pmessage"
	kindPong         = "pong" // PING inside a RESP2 subscribed connection

	// Error texts (server.c shared.* and addReplyError* call sites).
	errNoAuth             = "NOAUTH Authentication required."
	errNoAuthHello        = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errWrongPass          = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNoPassword     = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errSyntax             = "ERR syntax error"
	errNotInteger         = "ERR value is not an integer or out of range"
	errNoSuchMaster       = "ERR No such master with that name"
	errNoProto            = "NOPROTO unsupported protocol version"
	errProtoNotInteger    = "ERR Protocol version is not an integer or out of range"
	errBadClientName      = "ERR Client names cannot contain spaces, newlines or special characters."
	errOnlyHello          = "ERR Only HELLO messages are accepted by Sentinel instances."
	errMaxClients         = "ERR max number of clients reached"
	errNoSuchClient       = "ERR No such client"
	errConfigUsage        = "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."
	errInvalidQuorum      = "ERR Invalid quorum"
	errInvalidPort        = "ERR Invalid port"
	errInvalidPortNumber  = "ERR Invalid port number."
	errInvalidAddress     = "ERR Invalid IP address or hostname specified"
	errUnknownSimulation  = "ERR Unknown failure simulation specified"
	errSimulationDisabled = "ERR SIMULATE-FAILURE is not supported by this sentinel (it would crash the process on purpose)"

	// subscribedContextFmt is the RESP2 refusal inside a subscribed
	// connection (processCommand, Redis 7.0).
	subscribedContextFmt = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"

	// ckquorumOKFmt is SENTINEL CKQUORUM's success reply.
	ckquorumOKFmt = "OK %d usable Sentinels. Quorum and failover authorization can be reached"
)

// sentinelHelp is SENTINEL HELP, line for line as redis-sentinel 7.0.15
// sends it (testdata/redis-7.0.15/help.resp2).
var sentinelHelp = []string{
	"SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CKQUORUM <master-name>",
	"    Check if the current Sentinel configuration is able to reach the quorum",
	"    needed to failover a master and the majority needed to authorize the",
	"    failover.",
	"CONFIG SET <param> <value>",
	"    Set a global Sentinel configuration parameter.",
	"CONFIG GET <param>",
	"    Get global Sentinel configuration parameter.",
	"DEBUG [<param> <value> ...]",
	"    Show a list of configurable time parameters and their values (milliseconds).",
	"    Or update current configurable parameters values (one or more).",
	"GET-MASTER-ADDR-BY-NAME <master-name>",
	"    Return the ip and port number of the master with that name.",
	"FAILOVER <master-name>",
	"    Manually failover a master node without asking for agreement from other",
	"    Sentinels",
	"FLUSHCONFIG",
	"    Force Sentinel to rewrite its configuration on disk, including the current",
	"    Sentinel state.",
	"INFO-CACHE <master-name>",
	"    Return last cached INFO output from masters and all its replicas.",
	"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Check if the master specified by ip:port is down from current Sentinel's",
	"    point of view.",
	"MASTER <master-name>",
	"    Show the state and info of the specified master.",
	"MASTERS",
	"    Show a list of monitored masters and their state.",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a new master with the specified name, ip, port and quorum.",
	"MYID",
	"    Return the ID of the Sentinel instance.",
	"PENDING-SCRIPTS",
	"    Get pending scripts information.",
	"REMOVE <master-name>",
	"    Remove master from Sentinel's monitor list.",
	"REPLICAS <master-name>",
	"    Show a list of replicas for this master and their state.",
	"RESET <pattern>",
	"    Reset masters for specific master name matching this pattern.",
	"SENTINELS <master-name>",
	"    Show a list of Sentinel instances for this master and their state.",
	"SET <master-name> <option> <value> [<option> <value> ...]",
	"    Set configuration parameters for certain masters.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Simulate a Sentinel crash.",
	"HELP",
	"    Prints this help.",
}
