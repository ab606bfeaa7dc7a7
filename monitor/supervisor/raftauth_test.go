package supervisor

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sentinelgo/sentinel/acl"
)

// TestRaftHTTPAuth: the raft routes that change state accept the client
// port's credentials (requirepass as user default, or an admin ACL user)
// in basic auth, refuse everything else, and without any password
// configured accept loopback only.
func TestRaftHTTPAuth(t *testing.T) {
	h := func(p string) string { return "#" + acl.HashPassword(p) }
	openUsers := []string{"user default on nopass sanitize-payload ~* &* +@all"}
	secured := []string{
		"user app on " + h("apppw") + " ~app:* resetchannels +@read",
		"user default on " + h("rootpw") + " ~* &* +@all",
		"user gone off " + h("gonepw") + " ~* &* +@all",
		"user ops on " + h("old") + " " + h("opspw") + " ~* resetchannels -@all +@admin +sentinel",
		"user tamed on " + h("tamedpw") + " ~* &* +@all -@dangerous",
		"user free on nopass ~* &* +@all",
	}
	tests := []struct {
		name       string
		users      []string
		remote     string
		user, pass string
		auth       bool
		want       int
	}{
		{"nothing configured, loopback", openUsers, "127.0.0.1:5000", "", "", false, http.StatusNoContent},
		{"nothing configured, loopback v6", openUsers, "[::1]:5000", "", "", false, http.StatusNoContent},
		{"nothing configured, remote", openUsers, "10.0.0.9:5000", "", "", false, http.StatusForbidden},
		{"nothing configured, remote with a guess", openUsers, "10.0.0.9:5000", "default", "x", true, http.StatusForbidden},
		{"no client port yet, remote", nil, "10.0.0.9:5000", "", "", false, http.StatusForbidden},
		{"secured, no credentials, even from loopback", secured, "127.0.0.1:5000", "", "", false, http.StatusUnauthorized},
		{"requirepass as default", secured, "10.0.0.9:5000", "default", "rootpw", true, http.StatusNoContent},
		{"requirepass with an empty user", secured, "10.0.0.9:5000", "", "rootpw", true, http.StatusNoContent},
		{"wrong password", secured, "10.0.0.9:5000", "default", "nope", true, http.StatusUnauthorized},
		{"unknown user", secured, "10.0.0.9:5000", "nobody", "rootpw", true, http.StatusUnauthorized},
		{"disabled user", secured, "10.0.0.9:5000", "gone", "gonepw", true, http.StatusUnauthorized},
		{"admin user, second password", secured, "10.0.0.9:5000", "ops", "opspw", true, http.StatusNoContent},
		{"read-only user", secured, "10.0.0.9:5000", "app", "apppw", true, http.StatusForbidden},
		{"no dangerous commands", secured, "10.0.0.9:5000", "tamed", "tamedpw", true, http.StatusForbidden},
		{"nopass user proves nothing", secured, "10.0.0.9:5000", "free", "", true, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &raftDriver{log: slog.New(slog.DiscardHandler)}
			users := tc.users
			d.auth = raftAuth{users: func() []string { return users }}
			if tc.users == nil {
				d.auth = raftAuth{}
			}
			called := false
			handler := d.auth.guard(d, func(w http.ResponseWriter, r *http.Request) {
				called = true
				w.WriteHeader(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodPost, "/raft/snapshot", nil)
			req.RemoteAddr = tc.remote
			if tc.auth {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			rec := httptest.NewRecorder()
			handler(rec, req)
			if rec.Code != tc.want || called != (tc.want == http.StatusNoContent) {
				t.Fatalf("status %d (handler called %v), want %d: %s", rec.Code, called, tc.want, rec.Body.String())
			}
			if tc.want == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}
