package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sentinelgo/sentinel/acl"
	"github.com/sentinelgo/sentinel/configs"
	"github.com/sentinelgo/sentinel/pubsub"
)

// aclSetup is how the client port gets its users: from the user lines of
// the configuration, or from the aclfile (which ACL SAVE and LOAD then
// use). Users changed at run time are written back as user lines of
// sentinel.conf, as Redis does, or into the state file in YAML mode.
type aclSetup struct {
	users []acl.UserLine
	load  func() ([]acl.UserLine, error)
	save  func([]string) error
	// persistUsers: the state store writes the users (without an
	// aclfile).
	persistUsers bool
}

func newACLSetup(cfg *configs.Config) (*aclSetup, error) {
	if f := cfg.Sentinel.ACLFile; f != "" {
		path := configs.ResolvePath(cfg.WorkDir(), f)
		users, err := configs.LoadACLFile(path)
		if err != nil {
			return nil, fmt.Errorf("supervisor: %w", err)
		}
		return &aclSetup{
			users: users,
			load:  func() ([]acl.UserLine, error) { return configs.LoadACLFile(path) },
			save:  func(lines []string) error { return configs.SaveACLFile(path, lines) },
		}, nil
	}
	users, err := cfg.UserLines()
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	return &aclSetup{users: users, persistUsers: true}, nil
}

// apply sets the ACL fields of the client port's options.
func (a *aclSetup) apply(o *pubsub.Options, cfg *configs.Config) {
	o.ACLUsers = a.users
	o.ACLLogMax = cfg.Sentinel.ACLLogMaxLen
	o.ACLAllChannelsDefault = cfg.Sentinel.ACLPubsubDefault == "allchannels"
	o.LoadACLFile, o.SaveACLFile = a.load, a.save
}

// usersChangedFlush returns the hook that saves the state after ACL
// SETUSER or DELUSER, so the new user lines reach sentinel.conf at once.
func usersChangedFlush(log *slog.Logger, flush func(context.Context) error) pubsub.UsersChanged {
	return func([]string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := flush(ctx); err != nil {
			log.Warn("cannot save the ACL users", "err", err)
		}
	}
}

// usersFunc is what the state store asks for the user lines to write; nil
// when they are not written there.
func (a *aclSetup) usersFunc(srv *pubsub.Server) func() []string {
	if !a.persistUsers {
		return nil
	}
	return srv.UserLines
}
