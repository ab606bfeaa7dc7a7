// Package configs owns the sentinel's configuration and its persisted state:
//
//   - the native YAML format (Load, LoadFile), decoded strictly and checked by
//     Config.Validate, which reports every problem at once with its field path;
//   - Redis's sentinel.conf (LoadConf), with the same quoting rules, load
//     order and error texts (adapted) as Redis 7.0, so the binary drops into
//     existing deployments;
//   - the two ways runtime state survives a restart (Store): ConfStore
//     rewrites sentinel.conf in place the way CONFIG REWRITE does, and
//     StateFile keeps a separate YAML state file so the YAML configuration
//     can stay read-only. Both write atomically (temp file, fsync, rename,
//     directory fsync).
//
// Relative paths follow Redis's rule that dir is the working directory
// (paths.go): Sentinel.Dir is resolved and checked at load, logfile and
// pidfile are resolved against it, script paths are kept as written and
// resolved against Config.WorkDir where they are used. The package never
// chdirs; the binary does.
//
// The rules a value must pass (rules.go) are shared by the loaders and
// the run-time door (CheckMonitor, CheckMasterSetting,
// CheckRuntimeSetting), so whatever is accepted while running loads back;
// every file read is bounded (MaxFileSize, MaxAliasNodes).
//
// What it must never do: import other project packages but the leaf
// settings (MasterSettings and Secret, shared with the core),
// configs/sdsargs and acl (to check "user" lines; the supervisor converts
// the rest), start goroutines,
// touch the network, or print a Secret: Secret values render as
// "<secret>" in String, YAML and slog output (only the state file and
// the sentinel.conf rewrite write them in full).
//
// Usage sketch (the supervisor's start-up):
//
//	cfg, err := configs.LoadFile("/etc/sentinel/sentinel.yaml") // or LoadConf
//	if err != nil { return err }
//	store := configs.NewStore(cfg)
//	if err := configs.CheckWritable(store.Path()); err != nil { return err }
//	removed, _ := configs.RemoveStaleTemps(store.Path()) // temp files of a crashed write
//	if cfg.Source == configs.SourceYAML {
//		st, err := configs.LoadState(store.Path())
//		if err == nil { cfg = configs.Merge(cfg, st) } else if !errors.Is(err, fs.ErrNotExist) { return err }
//	}
//	if cfg.Sentinel.ID == "" { cfg.Sentinel.ID, err = configs.NewRunID() ... }
//	for _, d := range cfg.Unsupported { log.Warn("directive not supported", "line", d.Line, "name", d.Name) }
//	... run; on every state change: store.Save(state) (state: configs.State
//	built from the core's snapshot; StateOf(cfg) gives the first one)
package configs
