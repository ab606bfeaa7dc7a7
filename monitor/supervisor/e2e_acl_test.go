package supervisor

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// respConn is a raw RESP2 client that renders every reply as one string,
// so two servers' replies compare with ==.
type respConn struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialRESP(t *testing.T, addr, fromIP string) *respConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if fromIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(fromIP)}
	}
	conn, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &respConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

func (c *respConn) do(args ...string) string {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

// read renders one reply; a closed connection reads as "EOF".
func (c *respConn) read() string {
	c.t.Helper()
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := c.rd.ReadString('\n')
	if err != nil {
		return "EOF"
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)"
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.rd, buf); err != nil {
			c.t.Fatal(err)
		}
		return string(buf[:n])
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "(nil)"
		}
		parts := make([]string, n)
		for i := range parts {
			parts[i] = c.read()
		}
		return "[" + strings.Join(parts, " | ") + "]"
	}
	return line
}

// normalizeRules makes an ACL description comparable: Redis lists the
// single commands after the categories in its hash table's order, which
// changes from process to process, so those are sorted.
func normalizeRules(s string) string {
	tokens := strings.Fields(s)
	start := -1
	for i, tok := range tokens {
		if tok == "+@all" || tok == "-@all" {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return s
	}
	i := start
	for i < len(tokens) && (strings.HasPrefix(tokens[i], "+@") || strings.HasPrefix(tokens[i], "-@")) {
		i++
	}
	end := i
	for end < len(tokens) && !strings.HasPrefix(tokens[end], "(") {
		end++
	}
	sort.Strings(tokens[i:end])
	return strings.Join(tokens, " ")
}

// normalizeList applies normalizeRules to every element of a rendered
// array reply, and sorts the elements when sortElems is set.
func normalizeList(s string, sortElems bool) string {
	if !strings.HasPrefix(s, "[") {
		return s
	}
	elems := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), " | ")
	for i := range elems {
		elems[i] = normalizeRules(elems[i])
	}
	if sortElems {
		sort.Strings(elems)
	}
	return "[" + strings.Join(elems, " | ") + "]"
}

const aclConf = "user default on >pw ~* &* +@all\n" +
	"user app on >apw resetchannels &+switch-master -@all +ping +sentinel|get-master-addr-by-name +subscribe\n"

// startACLPair starts redis-sentinel and our binary with the same
// sentinel.conf text; it returns their addresses.
func startACLPair(t *testing.T, bin, master, confText string) (theirs, ours string) {
	t.Helper()
	opts := datanodetest.SentinelOptions{MasterName: "mymaster", MasterAddr: master, Quorum: 1, ConfText: confText}
	r := datanodetest.StartRedisSentinel(t, opts)
	opts.Binary = bin
	o := datanodetest.StartRedisSentinel(t, opts)
	return r.Addr(), o.Addr()
}

// TestE2E_ACLDifferential: the same commands and ACL SETUSER sequences
// against redis-sentinel 7.0 and our binary, started from the same
// sentinel.conf with user lines, give the same replies, the same denials,
// the same error texts, the same ACL LIST and the same ACL LOG.
func TestE2E_ACLDifferential(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	bin := buildBinary(t)
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	theirs, ours := startACLPair(t, bin, data.Addr(), aclConf)

	type step struct {
		as   string // "": unauthenticated, else user:password
		args []string
		norm func(string) string
	}
	list := func(s string) string { return normalizeList(s, false) }
	set := func(s string) string { return normalizeList(s, true) }
	steps := []step{
		{"", []string{"PING"}, nil},
		{"", []string{"SENTINEL", "MASTERS"}, nil},
		{"", []string{"AUTH", "nope"}, nil},
		{"", []string{"AUTH", "app", "nope"}, nil},
		{"", []string{"AUTH", "nosuch", "x"}, nil},
		{"", []string{"HELLO", "3", "AUTH", "app", "nope"}, nil},
		{"app:apw", []string{"PING"}, nil},
		{"app:apw", []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, nil},
		{"app:apw", []string{"SENTINEL", "MASTERS"}, nil},
		{"app:apw", []string{"SENTINEL", "RESET", "*"}, nil},
		{"app:apw", []string{"INFO"}, nil},
		{"app:apw", []string{"ROLE"}, nil},
		{"app:apw", []string{"ACL", "WHOAMI"}, nil},
		{"app:apw", []string{"PSUBSCRIBE", "*"}, nil},
		{"app:apw", []string{"SUBSCRIBE", "+switch-master", "+sdown"}, nil},
		{"app:apw", []string{"PUBLISH", "__sentinel__:hello", "x"}, nil},
		{"default:pw", []string{"ACL", "WHOAMI"}, nil},
		{"default:pw", []string{"ACL", "USERS"}, nil},
		{"default:pw", []string{"ACL", "LIST"}, list},
		{"default:pw", []string{"ACL", "LOG"}, aclLogCore},
		{"default:pw", []string{"ACL", "LOG", "RESET"}, nil},
		{"default:pw", []string{"ACL", "CAT"}, nil},
		{"default:pw", []string{"ACL", "CAT", "pubsub"}, set},
		{"default:pw", []string{"ACL", "CAT", "connection"}, set},
		{"default:pw", []string{"ACL", "CAT", "nosuch"}, nil},
		{"default:pw", []string{"ACL", "GETUSER", "app"}, list},
		{"default:pw", []string{"ACL", "GETUSER", "nosuch"}, nil},
		{"default:pw", []string{"ACL", "DRYRUN", "app", "info"}, nil},
		{"default:pw", []string{"ACL", "DRYRUN", "app", "sentinel", "get-master-addr-by-name", "mymaster"}, nil},
		{"default:pw", []string{"ACL", "DRYRUN", "app", "subscribe", "+sdown"}, nil},
		{"default:pw", []string{"ACL", "DRYRUN", "nosuch", "ping"}, nil},
		{"default:pw", []string{"ACL", "DRYRUN", "app", "nosuch"}, nil},
		{"default:pw", []string{"ACL", "DELUSER", "default"}, nil},
		{"default:pw", []string{"ACL", "GENPASS", "4097"}, nil},
		{"default:pw", []string{"ACL", "SAVE"}, nil},
		{"default:pw", []string{"ACL", "LOAD"}, nil},
		{"default:pw", []string{"ACL", "SETUSER", "a b"}, nil},
		{"default:pw", []string{"ACL", "SETUSER", "z", "(+ping"}, nil},
		{"default:pw", []string{"ACL", "HELP"}, nil},
	}
	// ACL SETUSER sequences: each reply, then the user's description.
	for _, rules := range []string{
		"on nopass -@all +ping +info +role +sentinel|masters +@pubsub -publish +client|list &a* &b",
		"+ping", "-@pubsub", "-sentinel", "+@admin -@dangerous",
		"reset", "+@all -ping", "+@all -@dangerous", "-@all +@all", "+@all -sentinel|masters",
		"-@all +sentinel", "+sentinel -sentinel|masters", "-@all +sentinel|masters", "-@all +@connection",
		"-@all +@fast", "-@all +@slow", "-@all +@dangerous", "~* &* +@all", "allkeys allchannels",
		"resetkeys resetchannels %R~foo ~bar* &x &x", "-@all +ping|foo", "-ping|foo", "+sentinel|", "+nosuch",
		"+@nosuch", "&* &x", "~* ~x", "<nope", "#abc", ">p1 >p2 <p1", "nopass", "resetpass", "off",
		"sanitize-payload skip-sanitize-payload", "+config", "+client|nosuch", "-client|nosuch",
		"+sentinel|masters|x", "bogus", "%X~a",
	} {
		args := append([]string{"ACL", "SETUSER", "t"}, strings.Fields(rules)...)
		steps = append(steps, step{"default:pw", args, nil}, step{"default:pw", []string{"ACL", "GETUSER", "t"}, list})
	}
	steps = append(steps,
		step{"default:pw", []string{"ACL", "LIST"}, list},
		step{"default:pw", []string{"ACL", "DELUSER", "t", "nosuch"}, nil},
		step{"default:pw", []string{"ACL", "LOG"}, aclLogCore},
	)

	conns := map[string][2]*respConn{}
	connFor := func(as string) [2]*respConn {
		if c, ok := conns[as]; ok {
			return c
		}
		pair := [2]*respConn{dialRESP(t, theirs, ""), dialRESP(t, ours, "")}
		if as != "" {
			user, pass, _ := strings.Cut(as, ":")
			for i, c := range pair {
				if got := c.do("AUTH", user, pass); got != "+OK" {
					t.Fatalf("server %d: AUTH %s: %s", i, user, got)
				}
			}
		}
		conns[as] = pair
		return pair
	}
	for _, s := range steps {
		pair := connFor(s.as)
		want, got := pair[0].do(s.args...), pair[1].do(s.args...)
		if s.norm != nil {
			want, got = s.norm(want), s.norm(got)
		}
		if want != got {
			t.Errorf("%s %q:\n redis-sentinel: %s\n ours:           %s", s.as, s.args, want, got)
		}
	}
}

// aclLogCore keeps of ACL LOG entries what must match: count, reason,
// context, object and username (not the age or the client line).
func aclLogCore(s string) string {
	var out []string
	for _, entry := range strings.Split(s, "] | [") {
		fields := strings.Split(strings.Trim(entry, "[]"), " | ")
		var keep []string
		for i := 0; i+1 < len(fields); i += 2 {
			switch fields[i] {
			case "count", "reason", "context", "object", "username":
				keep = append(keep, fields[i]+"="+fields[i+1])
			}
		}
		out = append(out, strings.Join(keep, " "))
	}
	return strings.Join(out, "\n")
}

// TestE2E_ProtectedModeDifferential: with protected-mode yes and a bind
// address, a client from 127.0.0.2 (not 127.0.0.1, so remote for Redis)
// gets redis-sentinel's DENIED text from both servers while the default
// user has no password, and is served (NOAUTH until it logs in) once a
// user line gives the default user a password.
func TestE2E_ProtectedModeDifferential(t *testing.T) {
	requireRedis(t)
	datanodetest.RequireBinary(t, "redis-sentinel")
	bin := buildBinary(t)
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	for _, tc := range []struct {
		name, conf string
		want       string
	}{
		{"nopass", "protected-mode yes\n", "-DENIED Redis is running in protected mode"},
		{"user default password", "protected-mode yes\nuser default on >pw ~* &* +@all\n", "-NOAUTH Authentication required."},
		{"requirepass", "protected-mode yes\nrequirepass pw\n", "-NOAUTH Authentication required."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			theirs, ours := startACLPair(t, bin, data.Addr(), tc.conf)
			want := dialRESP(t, theirs, "127.0.0.2").do("PING")
			got := dialRESP(t, ours, "127.0.0.2").do("PING")
			if want != got || !strings.HasPrefix(got, tc.want) {
				t.Fatalf("PING from 127.0.0.2:\n redis-sentinel: %s\n ours:           %s", want, got)
			}
			if local := dialRESP(t, ours, "127.0.0.1").do("PING"); !strings.HasPrefix(local, "+PONG") && !strings.HasPrefix(local, "-NOAUTH") {
				t.Fatalf("PING from 127.0.0.1 = %s", local)
			}
		})
	}
}

// TestE2E_ACLSetUserPersisted: users created with ACL SETUSER are written
// to sentinel.conf at once as user lines (hashes, never a password), and
// the plaintext ">pw" of the file's own lines is gone too (written back
// as hashes, as Redis's rewrite does).
func TestE2E_ACLSetUserPersisted(t *testing.T) {
	requireRedis(t)
	bin := buildBinary(t)
	data := datanodetest.StartRedis(t, datanodetest.RedisOptions{})
	dir := t.TempDir()
	p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{Binary: bin, Dir: dir, MasterName: "mymaster", MasterAddr: data.Addr(), Quorum: 1, ConfText: aclConf})
	c := dialRESP(t, p.Addr(), "")
	if got := c.do("AUTH", "pw"); got != "+OK" {
		t.Fatal(got)
	}
	if got := c.do("ACL", "SETUSER", "bob", "on", ">bobsecret", "-@all", "+ping"); got != "+OK" {
		t.Fatal(got)
	}
	text, err := os.ReadFile(filepath.Join(dir, "sentinel.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "\nuser bob on #") || strings.Contains(string(text), "bobsecret") || strings.Contains(string(text), ">pw") {
		t.Fatalf("sentinel.conf:\n%s", text)
	}
}
