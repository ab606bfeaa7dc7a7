//go:build !linux

package pubsub

import (
	"errors"
	"log/slog"
)

// parker is Linux only (epoll); elsewhere idle connections keep their
// goroutine and move to a fresh one after idleHandOff (park.go).
type parker struct{}

func newParker(func(*client), *slog.Logger) (*parker, error) {
	return nil, errors.New("parking idle connections needs epoll")
}

func (*parker) park(*client) bool   { return false }
func (*parker) unpark(*client) bool { return false }
func (*parker) resume(*client)      {}
func (*parker) run()                {}
func (*parker) stop()               {}
