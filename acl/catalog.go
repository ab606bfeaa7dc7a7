package acl

import (
	"fmt"
	"sort"
	"strings"
)

// Categories are Redis 7.0's ACL categories, in ACL CAT order (the order
// the rule description tries them in).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// categoryBit returns the bit of a category name (without '@'), or 0.
func categoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// Spec describes one command of the caller's table.
type Spec struct {
	// Name is the lower-case command name ("sentinel"), or the
	// subcommand's own name ("masters") inside Subs.
	Name string
	// Categories are the ACL categories, with or without '@'.
	Categories []string
	// NoAuth commands (AUTH, HELLO, QUIT) are allowed to every user.
	NoAuth bool
	Subs   []Spec
}

// Command is one command or subcommand known to a Catalog.
type Command struct {
	ID     int
	Name   string // full name: "ping", "sentinel|masters"
	NoAuth bool
	Parent *Command
	Subs   []*Command // ordered by name
	cats   uint32
}

// InCategory reports whether the command is in the category (without '@').
func (c *Command) InCategory(name string) bool {
	bit := categoryBit(name)
	return bit != 0 && c.cats&bit != 0
}

// Catalog is the set of commands rules can name.
type Catalog struct {
	top    []*Command // ordered by name
	all    []*Command // by ID: each command followed by its subcommands
	byName map[string]*Command
}

// NewCatalog builds a catalog; an unknown category is an error.
func NewCatalog(specs []Spec) (*Catalog, error) {
	c := &Catalog{byName: map[string]*Command{}}
	top, err := c.addSorted(specs, nil)
	if err != nil {
		return nil, err
	}
	c.top = top
	return c, nil
}

// addSorted adds specs, in name order, as children of parent (nil: top
// level) and returns them in that order.
func (c *Catalog) addSorted(specs []Spec, parent *Command) ([]*Command, error) {
	sorted := append([]Spec(nil), specs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var cmds []*Command
	for _, s := range sorted {
		cmd, err := c.add(s, parent)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
	return cmds, nil
}

func (c *Catalog) add(s Spec, parent *Command) (*Command, error) {
	name := strings.ToLower(s.Name)
	if parent != nil {
		name = parent.Name + "|" + name
	}
	cmd := &Command{ID: len(c.all), Name: name, NoAuth: s.NoAuth, Parent: parent}
	for _, cat := range s.Categories {
		bit := categoryBit(strings.TrimPrefix(cat, "@"))
		if bit == 0 {
			return nil, fmt.Errorf("acl: command %s: unknown category %q", name, cat)
		}
		cmd.cats |= bit
	}
	c.all = append(c.all, cmd)
	c.byName[name] = cmd
	subs, err := c.addSorted(s.Subs, cmd)
	if err != nil {
		return nil, err
	}
	cmd.Subs = subs
	return cmd, nil
}

// Lookup finds a command by full name ("PING", "sentinel|masters"),
// case-insensitively; nil when unknown.
func (c *Catalog) Lookup(name string) *Command {
	return c.byName[strings.ToLower(name)]
}

// size is the number of command bits a selector needs.
func (c *Catalog) size() int { return len(c.all) }

// InCategory lists the full names of the commands and subcommands of a
// category (ACL CAT <category>), in catalog order; ok is false for an
// unknown category.
func (c *Catalog) InCategory(category string) (names []string, ok bool) {
	bit := categoryBit(category)
	if bit == 0 {
		return nil, false
	}
	for _, cmd := range c.all {
		if cmd.cats&bit != 0 {
			names = append(names, cmd.Name)
		}
	}
	return names, true
}
