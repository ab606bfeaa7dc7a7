package configs

import (
	"strings"
	"testing"
)

// TestCheckHost pins the one host rule of the files, the state and
// SENTINEL MONITOR (pubsub calls CheckHost).
func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host    string
		resolve bool
		ok      bool
	}{
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"db.example", false, false}, // a name needs resolve-hostnames
		{"db.example", true, true},
		{"db.example.", true, true},
		{"db_1-a.example", true, true},
		{strings.Repeat("a", 63) + ".example", true, true},
		{strings.Repeat("a", 64) + ".example", true, false},
		{"a..b", true, false},
		{"-db.example", true, false},
		{"db-.example", true, false},
		{"bad host", true, false},
		{"fe80::1%eth0", true, false},
		{"[::1]", true, false},
		{"", true, false},
		{strings.Repeat("a.", 127) + "a", true, false}, // 255 bytes
	} {
		if err := CheckHost(tc.host, tc.resolve); (err == nil) != tc.ok {
			t.Errorf("CheckHost(%q, %v) = %v, want ok %v", tc.host, tc.resolve, err, tc.ok)
		}
	}
}
