// Package glob is Redis's glob matching (stringmatchlen) with the
// standard library only: PSUBSCRIBE, SENTINEL RESET and CONFIG GET
// patterns and ACL key and channel patterns
// (acl.Match) all match with it.
package glob
