// Package promdef declares a Prometheus series in one line: its name, its
// help text and its labels, built by a promauto.Factory
// (promauto.With(nil) builds it without registering). datanode, pubsub,
// notify and the supervisor define their series with it, so the
// definitions differ only in what they say.
package promdef
