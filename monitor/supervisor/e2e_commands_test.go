package supervisor

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// How a differential case compares the two servers' replies.
const (
	exact  = iota // the raw bytes
	masked        // after masking ids, addresses and numbers
	sorted        // lists of names, COMMAND entries and COMMAND DOCS maps sorted (hash order)
	fields        // INFO-style text: the field names, in order
)

// diffCase is one connection's worth of commands, sent to redis-sentinel
// and to ours; every reply must compare equal under mode.
type diffCase struct {
	mode int
	cmds []string // space-separated arguments; $MPORT is the master's port
}

func dc(mode int, cmds ...string) diffCase { return diffCase{mode, cmds} }

// commandCases covers every command and subcommand both servers accept,
// with valid, wrong-arity and bad-argument forms. Left out, because they
// differ on purpose (docs/compatibility.md): our additions (QUIT, CLIENT
// SETINFO, the PRIMARY aliases, FAILOVER ... COORDINATED), the
// crash simulations, and forms that end the server or fail the master over
// (SHUTDOWN, SENTINEL FAILOVER mymaster: e2e_mixed_test.go's).
var commandCases = []diffCase{
	// PING
	dc(exact, "PING"), dc(exact, "PING hello"), dc(exact, "PING a b"), dc(exact, "ping"),
	// AUTH / HELLO
	dc(exact, "AUTH"), dc(exact, "AUTH x"), dc(exact, "AUTH u p"), dc(exact, "AUTH a b c"),
	dc(masked, "HELLO"), dc(masked, "HELLO 2"), dc(masked, "HELLO 3"), dc(exact, "HELLO 4"), dc(exact, "HELLO x"),
	dc(exact, "HELLO -1"), dc(masked, "HELLO 3 AUTH default x"), dc(masked, "HELLO 2 SETNAME n", "CLIENT GETNAME"),
	dc(exact, "HELLO 3 SETNAME"), dc(exact, "HELLO 3 foo"), dc(exact, "HELLO 2 SETNAME a\x01b"),
	// INFO
	dc(fields, "INFO"), dc(fields, "INFO all"), dc(fields, "INFO everything"), dc(fields, "INFO default"),
	dc(fields, "INFO server"), dc(fields, "INFO clients"), dc(fields, "INFO stats"), dc(fields, "INFO cpu"),
	dc(fields, "INFO sentinel"), dc(fields, "INFO SERVER CPU"), dc(exact, "INFO foo"), dc(exact, "INFO memory"),
	dc(fields, "INFO server foo"),
	// ROLE, SHUTDOWN, PUBLISH
	dc(masked, "ROLE"), dc(exact, "ROLE x"),
	dc(exact, "SHUTDOWN abort"), dc(exact, "SHUTDOWN foo"), dc(exact, "SHUTDOWN nosave foo"),
	dc(exact, "PUBLISH foo bar"), dc(exact, "PUBLISH __sentinel__:hello garbage"), dc(exact, "PUBLISH a"), dc(exact, "PUBLISH a b c"),
	// pub/sub, and what a subscribed connection may send
	dc(masked, "SUBSCRIBE a b", "PING", "PING x", "SENTINEL MYID", "UNSUBSCRIBE a", "UNSUBSCRIBE", "UNSUBSCRIBE"),
	dc(exact, "PSUBSCRIBE __sentinel__:* x*", "PUNSUBSCRIBE x*", "PUNSUBSCRIBE", "PUNSUBSCRIBE"),
	dc(exact, "SUBSCRIBE"), dc(exact, "PSUBSCRIBE"), dc(exact, "UNSUBSCRIBE"), dc(exact, "PUNSUBSCRIBE nosuch"),
	dc(exact, "SUBSCRIBE a", "SUBSCRIBE a", "PSUBSCRIBE a", "UNSUBSCRIBE b"),
	// CLIENT
	dc(exact, "CLIENT"), dc(exact, "CLIENT foo"), dc(exact, "CLIENT HELP"), dc(exact, "CLIENT HELP x"),
	dc(exact, "CLIENT SETNAME myname", "CLIENT GETNAME"), dc(exact, "CLIENT SETNAME a\tb"), dc(exact, "CLIENT SETNAME"),
	dc(exact, "CLIENT GETNAME"), dc(exact, "CLIENT GETNAME x"), dc(masked, "CLIENT ID"), dc(exact, "CLIENT ID x"),
	dc(masked, "CLIENT INFO"), dc(exact, "CLIENT INFO x"), dc(masked, "CLIENT SETNAME me", "CLIENT INFO"),
	dc(exact, "CLIENT LIST TYPE pubsub"), dc(exact, "CLIENT LIST TYPE foo"), dc(exact, "CLIENT LIST foo"),
	dc(exact, "CLIENT LIST ID x"), dc(exact, "CLIENT LIST ID 999999"),
	dc(exact, "CLIENT KILL"), dc(exact, "CLIENT KILL 1.2.3.4:5"), dc(exact, "CLIENT KILL ID 999999"),
	dc(exact, "CLIENT KILL ID x"), dc(exact, "CLIENT KILL TYPE foo"), dc(exact, "CLIENT KILL foo bar"),
	dc(exact, "CLIENT KILL ADDR 1.2.3.4:5 SKIPME no"), dc(exact, "CLIENT KILL SKIPME maybe"), dc(exact, "CLIENT KILL USER nosuch"),
	dc(exact, "CLIENT KILL LADDR 1.2.3.4:5"), dc(exact, "CLIENT KILL ADDR"),
	dc(exact, "CLIENT NO-EVICT on"), dc(exact, "CLIENT NO-EVICT OFF"), dc(exact, "CLIENT NO-EVICT x"), dc(exact, "CLIENT NO-EVICT"),
	dc(exact, "CLIENT UNBLOCK 1"), dc(exact, "CLIENT UNBLOCK x"), dc(exact, "CLIENT UNBLOCK 1 TIMEOUT"),
	dc(exact, "CLIENT UNBLOCK 1 error"), dc(exact, "CLIENT UNBLOCK 1 foo"), dc(exact, "CLIENT UNBLOCK"),
	dc(exact, "CLIENT GETREDIR"), dc(exact, "CLIENT GETREDIR x"), dc(exact, "CLIENT TRACKINGINFO"),
	dc(exact, "CLIENT TRACKINGINFO x"), dc(exact, "CLIENT CACHING yes"), dc(exact, "CLIENT CACHING"),
	// CLIENT REPLY: nothing read where nothing is sent; the last PING
	// shows the stream is in step
	dc(exact, "CLIENT REPLY"), dc(exact, "CLIENT REPLY x"), dc(exact, "CLIENT REPLY ON", "PING"),
	dc(exact, "CLIENT REPLY OFF", "PING", "NOSUCH", "CLIENT REPLY x", "CLIENT REPLY SKIP", "PING", "CLIENT REPLY ON", "PING"),
	dc(exact, "CLIENT REPLY SKIP", "PING a", "PING b", "CLIENT REPLY SKIP", "NOSUCH", "SENTINEL MYID x", "PING c"),
	// CLIENT PAUSE: short pauses, so that the next case is held a little at most
	dc(exact, "CLIENT PAUSE"), dc(exact, "CLIENT PAUSE x"), dc(exact, "CLIENT PAUSE x foo"), dc(exact, "CLIENT PAUSE -1"),
	dc(exact, "CLIENT PAUSE 1 all x"), dc(exact, "CLIENT PAUSE 10 foo"), dc(exact, "CLIENT PAUSE 99999999999999999999"),
	dc(exact, "CLIENT PAUSE 0"), dc(exact, "CLIENT PAUSE 50 WRITE", "PUBLISH __sentinel__:hello x", "CLIENT UNPAUSE"),
	dc(exact, "CLIENT PAUSE 50", "PING", "CLIENT UNPAUSE"), dc(exact, "CLIENT UNPAUSE"), dc(exact, "CLIENT UNPAUSE x"),
	// CLIENT TRACKING: no keys, so no invalidation; the modes and their errors
	dc(exact, "CLIENT TRACKING"), dc(exact, "CLIENT TRACKING x"), dc(exact, "CLIENT TRACKING on foo"),
	dc(exact, "CLIENT TRACKING on redirect"), dc(exact, "CLIENT TRACKING on redirect x"), dc(exact, "CLIENT TRACKING on redirect 999999"),
	dc(exact, "CLIENT TRACKING on prefix a"), dc(exact, "CLIENT TRACKING on bcast optin"), dc(exact, "CLIENT TRACKING on optin optout"),
	dc(masked, "CLIENT TRACKING on", "CLIENT TRACKINGINFO", "CLIENT GETREDIR", "CLIENT CACHING yes", "CLIENT INFO",
		"CLIENT TRACKING on bcast", "CLIENT TRACKING off", "CLIENT TRACKINGINFO", "CLIENT GETREDIR"),
	dc(exact, "CLIENT TRACKING on optin", "CLIENT CACHING yes", "CLIENT TRACKINGINFO", "PING", "CLIENT TRACKINGINFO",
		"CLIENT CACHING no", "CLIENT CACHING maybe", "CLIENT TRACKING on optout", "CLIENT TRACKING on optin noloop", "CLIENT TRACKINGINFO"),
	dc(exact, "CLIENT TRACKING on optout", "CLIENT CACHING no", "CLIENT TRACKINGINFO", "PING", "CLIENT TRACKINGINFO"),
	dc(exact, "CLIENT TRACKING on bcast", "CLIENT TRACKINGINFO", "CLIENT TRACKING on bcast prefix a", "CLIENT TRACKING on",
		"CLIENT TRACKING off", "CLIENT TRACKING on bcast prefix b prefix a", "CLIENT TRACKINGINFO", "CLIENT TRACKING on bcast prefix ab",
		"CLIENT TRACKING on bcast prefix c prefix cd", "CLIENT TRACKING on bcast prefix c", "CLIENT TRACKINGINFO", "CLIENT CACHING yes"),
	dc(fields, "CLIENT TRACKING on", "INFO clients"),
	// COMMAND
	dc(sorted, "COMMAND"), dc(exact, "COMMAND COUNT"), dc(exact, "COMMAND COUNT x"), dc(sorted, "COMMAND LIST"),
	dc(sorted, "COMMAND LIST FILTERBY ACLCAT connection"), dc(sorted, "COMMAND LIST FILTERBY aclcat ADMIN"),
	dc(exact, "COMMAND LIST FILTERBY aclcat @admin"), dc(exact, "COMMAND LIST FILTERBY aclcat nosuch"),
	dc(sorted, "COMMAND LIST FILTERBY PATTERN c*"), dc(sorted, "COMMAND LIST FILTERBY pattern SENTINEL|M*"),
	dc(exact, "COMMAND LIST FILTERBY MODULE x"), dc(exact, "COMMAND LIST FILTERBY foo x"),
	dc(exact, "COMMAND LIST FILTERBY pattern"), dc(exact, "COMMAND LIST foo"), dc(exact, "COMMAND LIST FILTERBY pattern a b"),
	dc(sorted, "COMMAND INFO"), dc(exact, "COMMAND INFO ping"), dc(exact, "COMMAND INFO PING Client|KILL nosuch sentinel|nosuch"),
	dc(exact, "COMMAND INFO sentinel|debug|x ping|x | quit"), dc(sorted, "COMMAND INFO client"),
	dc(sorted, "COMMAND DOCS"), dc(exact, "COMMAND DOCS ping"), dc(exact, "COMMAND DOCS nosuch"),
	dc(exact, "COMMAND DOCS client|kill SENTINEL|DEBUG nosuch"), dc(sorted, "COMMAND DOCS sentinel"),
	dc(exact, "COMMAND GETKEYS"), dc(exact, "COMMAND GETKEYS ping"), dc(exact, "COMMAND GETKEYS nosuch x"),
	dc(exact, "COMMAND GETKEYS ping a b c"), dc(exact, "COMMAND GETKEYS sentinel masters"), dc(exact, "COMMAND GETKEYS sentinel foo bar"),
	dc(exact, "COMMAND GETKEYS client kill"), dc(exact, "COMMAND GETKEYS client|kill x"), dc(exact, "COMMAND GETKEYS quit x"),
	dc(exact, "COMMAND GETKEYSANDFLAGS sentinel masters x"), dc(exact, "COMMAND GETKEYSANDFLAGS x"),
	dc(exact, "COMMAND HELP"), dc(exact, "COMMAND HELP x"), dc(exact, "COMMAND foo"),
	// SENTINEL: reading
	dc(exact, "SENTINEL"), dc(exact, "SENTINEL foo"), dc(exact, "SENTINEL HELP"), dc(exact, "SENTINEL HELP x"),
	dc(masked, "SENTINEL MASTERS"), dc(exact, "SENTINEL MASTERS x"),
	dc(masked, "SENTINEL MASTER mymaster"), dc(exact, "SENTINEL MASTER nosuch"), dc(exact, "SENTINEL MASTER"),
	dc(masked, "SENTINEL REPLICAS mymaster"), dc(masked, "SENTINEL SLAVES mymaster"), dc(exact, "SENTINEL REPLICAS nosuch"),
	dc(exact, "SENTINEL SLAVES"), dc(masked, "SENTINEL SENTINELS mymaster"), dc(exact, "SENTINEL SENTINELS nosuch"),
	dc(exact, "SENTINEL SENTINELS a b"),
	dc(masked, "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster"), dc(exact, "SENTINEL GET-MASTER-ADDR-BY-NAME nosuch"),
	dc(exact, "SENTINEL GET-MASTER-ADDR-BY-NAME"), dc(masked, "SENTINEL MYID"), dc(exact, "SENTINEL MYID x"),
	dc(exact, "SENTINEL CKQUORUM mymaster"), dc(exact, "SENTINEL CKQUORUM nosuch"), dc(exact, "SENTINEL CKQUORUM"),
	dc(exact, "SENTINEL PENDING-SCRIPTS"), dc(exact, "SENTINEL PENDING-SCRIPTS x"),
	dc(masked, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 $MPORT 0 *"), dc(exact, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 1 0 *"),
	dc(exact, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 x 0 *"), dc(exact, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 1 x *"),
	dc(exact, "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 1 0"),
	dc(fields, "SENTINEL INFO-CACHE mymaster"), dc(exact, "SENTINEL INFO-CACHE nosuch"), dc(exact, "SENTINEL INFO-CACHE"),
	dc(exact, "SENTINEL DEBUG"), dc(exact, "SENTINEL DEBUG ping-period"), dc(exact, "SENTINEL DEBUG foo 1"),
	dc(exact, "SENTINEL DEBUG ping-period x"), dc(exact, "SENTINEL DEBUG ping-period 0"), dc(exact, "SENTINEL DEBUG ping-period 1000"),
	dc(exact, "SENTINEL CONFIG GET *"), dc(exact, "SENTINEL CONFIG GET resolve-hostnames"), dc(exact, "SENTINEL CONFIG GET loglevel"),
	dc(exact, "SENTINEL CONFIG GET nosuch"), dc(exact, "SENTINEL CONFIG GET a*"), dc(exact, "SENTINEL CONFIG GET"),
	dc(exact, "SENTINEL CONFIG GET a b"), dc(exact, "SENTINEL CONFIG foo"), dc(exact, "SENTINEL CONFIG SET"),
	dc(exact, "SENTINEL CONFIG SET resolve-hostnames no"), dc(exact, "SENTINEL CONFIG SET resolve-hostnames maybe"),
	dc(exact, "SENTINEL CONFIG SET loglevel debug"), dc(exact, "SENTINEL CONFIG SET nosuch 1"),
	dc(exact, "SENTINEL CONFIG SET announce-port x"), dc(exact, "SENTINEL CONFIG SET announce-port"),
	dc(exact, "SENTINEL CONFIG SET announce-hostnames no resolve-hostnames no"),
	dc(exact, "SENTINEL SIMULATE-FAILURE HELP"), dc(exact, "SENTINEL SIMULATE-FAILURE foo"), dc(exact, "SENTINEL SIMULATE-FAILURE"),
	dc(exact, "SENTINEL FLUSHCONFIG"), dc(exact, "SENTINEL FLUSHCONFIG x"),
	// SENTINEL: changing (a second name for the same master, removed again)
	dc(exact, "SENTINEL MONITOR other 127.0.0.1 $MPORT 2", "SENTINEL SET other quorum 3", "SENTINEL SET other down-after-milliseconds 5000 parallel-syncs 2",
		"SENTINEL SET other foo 1", "SENTINEL SET other quorum x", "SENTINEL SET other quorum 0", "SENTINEL SET other quorum",
		"SENTINEL SET other notification-script /nonexistent", "SENTINEL SET other down-after-milliseconds -1",
		"SENTINEL SET other auth-pass", "SENTINEL RESET other", "SENTINEL REMOVE other"),
	dc(exact, "SENTINEL MONITOR mymaster 127.0.0.1 $MPORT 2"), dc(exact, "SENTINEL MONITOR x 127.0.0.1 $MPORT 0"),
	dc(exact, "SENTINEL MONITOR x 127.0.0.1 $MPORT q"), dc(exact, "SENTINEL MONITOR x 127.0.0.1 p 2"),
	dc(exact, "SENTINEL MONITOR x 127.0.0.1 70000 2"), dc(exact, "SENTINEL MONITOR x no.such.host.invalid 6379 2"),
	dc(exact, "SENTINEL MONITOR x 127.0.0.1 6379"), dc(exact, "SENTINEL MONITOR a-b.c 127.0.0.1 $MPORT 2", "SENTINEL REMOVE a-b.c"),
	dc(exact, "SENTINEL REMOVE nosuch"), dc(exact, "SENTINEL REMOVE"), dc(exact, "SENTINEL SET nosuch quorum 1"),
	dc(exact, "SENTINEL SET mymaster"), dc(exact, "SENTINEL RESET nosuch*"), dc(exact, "SENTINEL RESET"),
	dc(exact, "SENTINEL FAILOVER nosuch"), dc(exact, "SENTINEL FAILOVER"), dc(exact, "SENTINEL FAILOVER mymaster x y"),
	dc(exact, "SENTINEL FAILOVER mymaster now"),
	// ACL (no users configured but the default one)
	dc(exact, "ACL"), dc(exact, "ACL foo"), dc(exact, "ACL HELP"), dc(exact, "ACL WHOAMI"), dc(exact, "ACL WHOAMI x"),
	dc(exact, "ACL USERS"), dc(exact, "ACL LIST"), dc(sorted, "ACL CAT"), dc(sorted, "ACL CAT connection"), dc(exact, "ACL CAT nosuch"),
	dc(exact, "ACL GETUSER default"), dc(exact, "ACL GETUSER nosuch"), dc(exact, "ACL GETUSER"),
	dc(exact, "ACL DRYRUN default ping"), dc(exact, "ACL DRYRUN default nosuch"), dc(exact, "ACL DRYRUN nosuch ping"),
	dc(exact, "ACL DRYRUN default"), dc(masked, "ACL GENPASS"), dc(masked, "ACL GENPASS 32"), dc(exact, "ACL GENPASS x"),
	dc(exact, "ACL GENPASS 0"), dc(masked, "ACL LOG"), dc(exact, "ACL LOG RESET"), dc(exact, "ACL LOG x"),
	dc(exact, "ACL SAVE"), dc(exact, "ACL LOAD"), dc(exact, "ACL SETUSER"), dc(exact, "ACL DELUSER"), dc(exact, "ACL DELUSER nosuch"),
	dc(exact, "ACL SETUSER bob on >pw +@connection", "ACL GETUSER bob", "ACL LIST", "ACL DRYRUN bob ping",
		"ACL DRYRUN bob sentinel masters", "ACL SETUSER bob badrule", "ACL DELUSER bob"),
	dc(masked, "ACL LOG RESET", "AUTH nosuch pw", "ACL LOG"),
	// unknown commands
	dc(exact, "NOSUCH"), dc(exact, "GET foo"), dc(exact, "QUIT2 a b"), dc(exact, "RESET"), dc(exact, "CONFIG GET *"),
}

// lastCases run once, after both protocols' passes: they change what the
// other cases read (RESET forgets the replica and the peer for a while).
var lastCases = []diffCase{dc(exact, "SENTINEL RESET mymaster", "SENTINEL RESET my*")}

// TestE2E_CommandsDifferential sends every case to Debian's redis-sentinel
// and to ours, both monitoring one master with a replica and knowing each
// other, in RESP2 and in RESP3, and compares the replies.
func TestE2E_CommandsDifferential(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	topo := datanodetest.StartTopology(t, 1)
	ref := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
		MasterName: "mymaster", MasterAddr: topo.Master.Addr(), Quorum: 2, DownAfter: 5 * time.Second,
	})
	ours := startOurs(t, addrOf(topo.Master), 2, 5*time.Second, "")
	servers := []string{ref.Addr(), ours.addr()}
	// Both see the replica and each other before anything is compared.
	for _, addr := range servers {
		datanodetest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() bool {
			v, err := resp.NewValueReader(bytes.NewReader(rawDo(t, addr, 2, "SENTINEL MASTER mymaster")[0]), resp.DefaultLimits()).ReadValue()
			if err != nil {
				return false
			}
			f := map[string]string{}
			for i := 0; i+1 < len(v.Elems); i += 2 {
				f[v.Elems[i].Str] = v.Elems[i+1].Str
			}
			return f["num-slaves"] == "1" && f["num-other-sentinels"] == "1"
		}, "%s should see the replica and the other sentinel", addr)
	}
	mport := strconv.Itoa(topo.Master.Port())
	type pass struct {
		proto int
		cases []diffCase
	}
	for _, ps := range []pass{{2, commandCases}, {3, commandCases}, {2, lastCases}} {
		proto := ps.proto
		for _, c := range ps.cases {
			cmds := make([]string, len(c.cmds))
			for i, cmd := range c.cmds {
				cmds[i] = strings.ReplaceAll(cmd, "$MPORT", mport)
			}
			want := rawDo(t, servers[0], proto, cmds...)
			got := rawDo(t, servers[1], proto, cmds...)
			for i := range cmds {
				w, g := render(t, c.mode, proto, want[i]), render(t, c.mode, proto, got[i])
				if !bytes.Equal(w, g) {
					t.Errorf("RESP%d %q (after %q):\n redis-sentinel: %s\n ours:           %s", proto, cmds[i], cmds[:i], show(w), show(g))
				}
			}
		}
	}
}

// rawDo opens a connection (switching to proto with HELLO first when 3),
// sends cmds one by one and returns the raw bytes of each reply; a
// SUBSCRIBE-like command's extra confirmations are read as part of its
// reply.
func rawDo(t *testing.T, addr string, proto int, cmds ...string) [][]byte {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	vr := resp.NewValueReader(io.TeeReader(conn, &raw), resp.DefaultLimits())
	send := func(cmd string) int {
		args := strings.Split(cmd, " ")
		w := resp.NewWriter(conn)
		w.ArrayLen(len(args))
		for _, a := range args {
			w.BulkString(a)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return replyCount(args)
	}
	if proto == 3 {
		send("HELLO 3")
		if _, err := vr.ReadValue(); err != nil {
			t.Fatal(err)
		}
	}
	var out [][]byte
	var mode replyState
	for _, cmd := range cmds {
		raw.Reset()
		n := mode.expect(cmd, send(cmd))
		for range n {
			v, err := vr.ReadValue()
			if err != nil {
				t.Fatalf("%s: %q: %v (read so far %q)", addr, cmd, err, raw.Bytes())
			}
			if v.Kind == resp.KindError {
				break
			}
		}
		out = append(out, bytes.Clone(raw.Bytes()))
	}
	return out
}

// replyState follows CLIENT REPLY ON|OFF|SKIP on a test connection, so
// rawDo reads no reply where the server sends none.
type replyState struct{ off, skipNext bool }

// expect returns how many of a command's n replies are sent.
func (r *replyState) expect(cmd string, n int) int {
	skip := r.skipNext // the command after CLIENT REPLY SKIP
	r.skipNext = false
	switch strings.ToLower(cmd) {
	case "client reply on":
		r.off = false
		return 1
	case "client reply off":
		r.off = true
		return 0
	case "client reply skip":
		r.skipNext = !r.off
		return 0
	}
	if r.off || skip {
		return 0
	}
	return n
}

// replyCount is how many replies a command gets: one per channel for the
// subscription commands (at least one for the argument-less unsubscribes;
// more than one then depends on state, which the cases avoid).
func replyCount(args []string) int {
	switch strings.ToLower(args[0]) {
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe":
		return max(1, len(args)-1)
	}
	return 1
}

var (
	maskID     = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
	maskHex    = regexp.MustCompile(`\b[0-9a-f]{8,}\b`)
	maskFloat  = regexp.MustCompile(`\b\d+\.\d+\b`)
	maskAddr   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	maskNumber = regexp.MustCompile(`-?\d+(\.\d+)?`)
)

func maskText(s string) string {
	s = maskID.ReplaceAllString(s, "<id>")
	s = maskFloat.ReplaceAllString(s, "N")
	s = maskHex.ReplaceAllStringFunc(s, func(h string) string { return "<hex" + strconv.Itoa(len(h)) + ">" })
	s = maskAddr.ReplaceAllString(s, "<addr>")
	return maskNumber.ReplaceAllString(s, "N")
}

// render turns one raw reply into the bytes compared under mode.
func render(t *testing.T, mode, proto int, raw []byte) []byte {
	t.Helper()
	if mode == exact {
		return raw
	}
	if mode == fields {
		return fieldsOf(raw)
	}
	var all []resp.Value
	vr := resp.NewValueReader(bytes.NewReader(raw), resp.DefaultLimits())
	for {
		v, err := vr.ReadValue()
		if err != nil {
			break
		}
		all = append(all, v)
	}
	var b bytes.Buffer
	w := resp.NewWriter(&b)
	w.SetProtocol(proto)
	for _, v := range all {
		if mode == sorted {
			v = sortValue(v)
		} else {
			v = maskValue(v)
		}
		w.WriteValue(v)
	}
	_ = w.Flush()
	return b.Bytes()
}

func maskValue(v resp.Value) resp.Value {
	switch v.Kind {
	case resp.KindBulk, resp.KindSimple, resp.KindVerbatim, resp.KindError:
		v.Str = maskText(v.Str)
	case resp.KindInteger:
		v.Int = 0
	case resp.KindDouble:
		v.Float = 0
	}
	if len(v.Elems) > 0 {
		elems := make([]resp.Value, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = maskValue(e)
		}
		v.Elems = elems
	}
	return v
}

// sortValue orders what redis-sentinel lists in hash-table order: a list
// of names, COMMAND entries (and their subcommands), COMMAND DOCS maps
// (and their subcommand maps). Nothing else is reordered.
func sortValue(v resp.Value) resp.Value {
	elems := slices.Clone(v.Elems)
	v.Elems = elems
	allNames, allEntries := len(elems) > 0, len(elems) > 0
	for _, e := range elems {
		allNames = allNames && e.Kind == resp.KindBulk
		allEntries = allEntries && e.Kind == resp.KindArray && len(e.Elems) == 10
	}
	switch {
	case v.Kind == resp.KindArray && allEntries:
		for i, e := range elems {
			e.Elems = slices.Clone(e.Elems)
			e.Elems[9] = sortValue(e.Elems[9])
			elems[i] = e
		}
		slices.SortStableFunc(elems, func(a, b resp.Value) int { return strings.Compare(a.Elems[0].Str, b.Elems[0].Str) })
	case v.Kind == resp.KindArray && allNames:
		slices.SortStableFunc(elems, func(a, b resp.Value) int { return strings.Compare(a.Str, b.Str) })
	case isDocsMap(v):
		type pair struct{ k, v resp.Value }
		var ps []pair
		for i := 0; i+1 < len(elems); i += 2 {
			doc := elems[i+1]
			doc.Elems = slices.Clone(doc.Elems)
			for j := 0; j+1 < len(doc.Elems); j += 2 {
				if doc.Elems[j].Str == "subcommands" {
					doc.Elems[j+1] = sortValue(doc.Elems[j+1])
				}
			}
			ps = append(ps, pair{elems[i], doc})
		}
		slices.SortStableFunc(ps, func(a, b pair) int { return strings.Compare(a.k.Str, b.k.Str) })
		for i, p := range ps {
			elems[2*i], elems[2*i+1] = p.k, p.v
		}
	}
	return v
}

// isDocsMap reports whether v is COMMAND DOCS's map of name to docs (a
// flat array in RESP2).
func isDocsMap(v resp.Value) bool {
	if (v.Kind != resp.KindMap && v.Kind != resp.KindArray) || len(v.Elems)%2 != 0 || len(v.Elems) == 0 {
		return false
	}
	for i := 1; i < len(v.Elems); i += 2 {
		d := v.Elems[i]
		if len(d.Elems) == 0 || d.Elems[0].Str != "summary" {
			return false
		}
	}
	return true
}

// ourInfoFields are the INFO fields we add (docs/compatibility.md).
var ourInfoFields = map[string]bool{
	"sentinelgo_version": true, "go_version": true,
	"sentinelgo_slow_subscribers_disconnected": true, "sentinel_total_tilt": true,
}

// fieldsOf reduces a reply to field names: "name:value" lines of INFO
// texts (also inside SENTINEL INFO-CACHE), and the keys of flat
// [k, v, ...] arrays.
func fieldsOf(raw []byte) []byte {
	v, err := resp.NewValueReader(bytes.NewReader(raw), resp.DefaultLimits()).ReadValue()
	if err != nil {
		return raw
	}
	var out []string
	var walk func(resp.Value)
	walk = func(v resp.Value) {
		switch v.Kind {
		case resp.KindBulk, resp.KindVerbatim:
			for _, line := range strings.Split(v.Str, "\n") {
				line = strings.TrimSpace(line)
				if k, _, ok := strings.Cut(line, ":"); ok {
					if !ourInfoFields[k] {
						out = append(out, k)
					}
				} else if line != "" {
					out = append(out, line)
				}
			}
		case resp.KindInteger:
		case resp.KindError:
			out = append(out, "-"+v.Str)
		default:
			for i, e := range v.Elems {
				if e.Kind == resp.KindBulk && !strings.Contains(e.Str, "\n") && i%2 == 0 {
					out = append(out, e.Str)
					continue
				}
				walk(e)
			}
		}
	}
	walk(v)
	return []byte(strings.Join(out, "\n"))
}

func show(b []byte) string {
	s := fmt.Sprintf("%q", b)
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}
