// Package acl is Redis 7.0's access control list model for the sentinel
// port: users (on/off, passwords stored as SHA-256, nopass), selectors
// (command bits by command, subcommand and category, key and channel
// patterns), the rule language of ACL SETUSER and "user" lines, the
// descriptions ACL LIST and the config rewrite print, permission checks
// and the ACL LOG of denials.
//
// It owns the semantics only: it is pure (no I/O, no clock, no
// goroutines; times are passed in) and knows commands only through a
// Catalog built by the caller from its command table, so the same rules
// mean the same thing as in redis-sentinel 7.0.15. Callers serialise
// access (a Registry is not safe for concurrent use).
//
// It must never log or render a plaintext password: passwords are hashed
// as soon as a rule is applied, and Redact hides them in rule text meant
// for logs.
package acl
