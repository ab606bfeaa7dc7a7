package supervisor

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelgo/sentinel/datanode/datanodetest"
)

// The minimal users docs/security.md gives, word for word.
const (
	dataNodeACL = "user sentinel on >s3cret &__sentinel__:hello -@all +ping +info +publish +subscribe " +
		"+multi +exec +slaveof +config|rewrite +client|setname +client|kill +script|kill +failover"
	peerACL = "user peer on >peer-secret &__sentinel__:hello -@all +ping +publish +sentinel|is-master-down-by-addr +client|setname"
	appACL  = "user app on >app-secret resetchannels &+switch-master -@all +ping +client|setname " +
		"+client|setinfo +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas +subscribe"
)

// TestE2E_MinimalACLFailover: data nodes whose only user for sentinels is
// the minimal one of docs/security.md, and three of our sentinels that
// talk to each other as the minimal peer user, discover each other and
// fail the master over; no data node and no sentinel logged an ACL
// denial on the way. An application user that follows +switch-master
// sees the new master.
func TestE2E_MinimalACLFailover(t *testing.T) {
	requireRedis(t)
	bin := buildBinary(t)
	nodeConf := "user default off\n" + dataNodeACL + "\nuser admin on >admin ~* &* +@all\nmasteruser admin\nmasterauth admin\n"
	master := datanodetest.StartRedis(t, datanodetest.RedisOptions{ConfText: nodeConf})
	var replicas []*datanodetest.Process
	for range 2 {
		replicas = append(replicas, datanodetest.StartRedis(t, datanodetest.RedisOptions{ConfText: nodeConf, ReplicaOf: master.Addr()}))
	}
	sentinelConf := "user default on >pw ~* &* +@all\n" + peerACL + "\n" + appACL + "\n" +
		"sentinel sentinel-user peer\nsentinel sentinel-pass peer-secret\n"
	var sentinels []string
	for range 3 {
		p := datanodetest.StartRedisSentinel(t, datanodetest.SentinelOptions{
			Binary: bin, MasterName: "mymaster", MasterAddr: master.Addr(), Quorum: 2,
			DownAfter: time.Second, FailoverTimeout: 10 * time.Second,
			ConfText: sentinelConf + "sentinel auth-user mymaster sentinel\nsentinel auth-pass mymaster s3cret\n",
		})
		sentinels = append(sentinels, p.Addr())
	}
	admin := func(addr string) *respConn {
		c := dialRESP(t, addr, "")
		if got := c.do("AUTH", "pw"); got != "+OK" {
			t.Fatalf("AUTH on %s: %s", addr, got)
		}
		return c
	}
	field := func(addr, name string) string {
		fields := strings.Split(strings.Trim(admin(addr).do("SENTINEL", "MASTER", "mymaster"), "[]"), " | ")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == name {
				return fields[i+1]
			}
		}
		return ""
	}
	for _, s := range sentinels {
		datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
			return field(s, "num-slaves") == "2" && field(s, "num-other-sentinels") == "2"
		}, "%s should see both replicas and both peers", s)
	}
	app := dialRESP(t, sentinels[0], "")
	if got := app.do("AUTH", "app", "app-secret"); got != "+OK" {
		t.Fatal(got)
	}
	if got := app.do("SUBSCRIBE", "+switch-master"); !strings.HasPrefix(got, "[subscribe") {
		t.Fatalf("app SUBSCRIBE = %s", got)
	}
	if err := master.Kill(); err != nil {
		t.Fatal(err)
	}
	switched := app.read()
	if !strings.HasPrefix(switched, "[message | +switch-master | mymaster 127.0.0.1 "+strconv.Itoa(master.Port())) {
		t.Fatalf("app got %s, want +switch-master", switched)
	}
	newPort := replicas[0].Port()
	if strings.HasSuffix(switched, fmt.Sprintf(" %d]", replicas[1].Port())) {
		newPort = replicas[1].Port()
	}
	for _, s := range sentinels {
		datanodetest.Eventually(t, 30*time.Second, 100*time.Millisecond, func() bool {
			return admin(s).do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") == fmt.Sprintf("[127.0.0.1 | %d]", newPort)
		}, "%s should report the new master", s)
	}
	// Nobody was refused anything: the minimal users are enough.
	for _, r := range replicas {
		c := dialRESP(t, r.Addr(), "")
		if got := c.do("AUTH", "admin", "admin"); got != "+OK" {
			t.Fatal(got)
		}
		if got := c.do("ACL", "LOG"); got != "[]" {
			t.Errorf("data node %s ACL LOG: %s", r.Addr(), got)
		}
	}
	for _, s := range sentinels {
		got := admin(s).do("ACL", "LOG")
		if strings.Contains(got, "username | peer") {
			t.Errorf("sentinel %s refused its peers: %s", s, got)
		}
	}
}
