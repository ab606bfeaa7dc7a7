// Package sleep waits a while unless a context ends first: the one
// cancellable pause behind every retry and reconnect backoff (datanode
// links, the pubsub accept loop, webhook retries, the test helpers).
package sleep
