// Package purity checks that a package's non-test Go files keep the
// deterministic-core rules: no clock, no I/O, no global randomness, no
// goroutines, no logging, and no imports beyond an allowed list. The
// purity tests of monitor and election both call it, so the rule lives in
// one place.
//
// It is a test helper: it reads files and must never be imported by
// non-test code of the packages it checks.
package purity
