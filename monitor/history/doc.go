// Package history keeps the last failovers of every master as a sentinel
// saw them: each a row of phases (sdown → odown → elected → promoted →
// switched → reconfigured) with their times, and the events in between.
//
// Tracker is pure (events and their times in, records out; no clock, no
// I/O, no goroutines), so the supervisor feeds it from its event sink and
// serves Records on /status, the status page and SENTINEL HISTORY.
// Encode and Decode turn the records into the small JSON file kept next to
// the state, so the history survives restarts; Decode refuses anything it
// did not write, with an error, and bounds what it keeps.
package history
