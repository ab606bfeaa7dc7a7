package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store persists runtime state. ConfStore rewrites a sentinel.conf;
// StateFile writes a separate YAML file. Save is atomic: after a crash the
// file holds either the old or the new state, never a mix.
type Store interface {
	Save(State) error
	Path() string
}

// NewStore returns the Store for a configuration: a ConfStore for
// sentinel.conf, or else a StateFile at cfg.StatePath() whose base is cfg.
// Call it with the configuration as loaded, before Merge.
func NewStore(cfg *Config) Store {
	if cfg.Source == SourceConf {
		return NewConfStore(cfg.Path)
	}
	return NewStateFile(cfg.StatePath(), cfg)
}

// CheckWritable reports whether the state can be written at path: its
// directory must exist and accept new files (for the temp file of an
// atomic write), and an existing file must be writable. Redis refuses to
// start without a writable config; the supervisor calls this at start-up
// for the same reason.
func CheckWritable(path string) error {
	if path == "" {
		return errors.New("configs: no state location (empty path)")
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("configs: state directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("configs: state directory %s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".sentinel-probe-*")
	if err != nil {
		return fmt.Errorf("configs: state directory %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	closeErr := probe.Close()
	removeErr := os.Remove(name)
	if err := errors.Join(closeErr, removeErr); err != nil {
		return fmt.Errorf("configs: state directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // created on first save
	case err != nil:
		return fmt.Errorf("configs: state file %s is not writable: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("configs: state file %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic replaces path with data: write a temp file in the same
// directory, fsync it, rename it over path, fsync the directory. The
// existing file's permissions are kept; a new file gets perm.
// beforeRename, when not nil, runs between the fsync and the rename; tests
// use it to simulate a crash at the worst moment.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, beforeRename func() error) (err error) {
	// Renaming over a symlink would replace the link; write its target.
	if target, evalErr := filepath.EvalSymlinks(path); evalErr == nil {
		path = target
	}
	if fi, statErr := os.Stat(path); statErr == nil {
		perm = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("configs: write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("configs: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("configs: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("configs: fsync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("configs: write %s: %w", path, err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return fmt.Errorf("configs: write %s: %w", path, err)
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("configs: rename %s: %w", path, err)
	}
	// The rename is durable only once the directory entry is on disk.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("configs: fsync dir %s: %w", dir, err)
	}
	syncErr := d.Sync()
	closeErr := d.Close()
	if err := errors.Join(syncErr, closeErr); err != nil {
		return fmt.Errorf("configs: fsync dir %s: %w", dir, err)
	}
	return nil
}
