// Package settings is what the configuration files, the core and its
// snapshots share about a monitored master: MasterSettings, the settings
// an operator gives a master in sentinel.conf, in YAML or with SENTINEL
// SET, and Secret, which keeps a password out of logs and printed
// configurations.
//
// configs.Master, monitor.MasterConfig, the core's master and
// monitor.MasterView all embed the one MasterSettings, so a new per-master
// setting is one field here and no conversion anywhere
// (docs/architecture.md lists the few other files it touches).
//
// It imports the standard library only: the pure core (monitor) and the
// loaders (configs) both import it, and neither imports the other.
package settings
