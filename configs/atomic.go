package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
		cs := NewConfStore(cfg.Path)
		cs.dir = cfg.Sentinel.Dir
		return cs
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
	fi, statErr := os.Lstat(path)
	switch {
	case statErr == nil && fi.Mode().IsRegular():
		perm = fi.Mode().Perm()
	case statErr == nil && fi.IsDir():
		// Someone put a directory where the file was. Redis rewrites the
		// whole file from memory; so do we, once the (empty) directory is
		// out of the way. A directory with files in it is not ours to
		// remove: that is a real failure to write.
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("configs: write %s: a directory is in the way: %w", path, err)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
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

// tempPrefix is how the temp files of an atomic write of path start; the
// rest of the name is the random digits os.CreateTemp adds.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// RemoveStaleTemps removes the temp files an atomic write of path leaves
// behind when the process dies between creating and renaming one (a
// SIGKILL or power loss during a write). Only regular files next to path
// whose names match our own pattern (".<base>.tmp-<digits>") are touched;
// call it at start-up, before anything writes path. It returns the files
// removed.
func RemoveStaleTemps(path string) ([]string, error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target // the temps are made next to the link's target
	}
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("configs: remove stale temp files: %w", err)
	}
	var removed []string
	var problems []error
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		full := filepath.Join(dir, name)
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			problems = append(problems, err)
			continue
		}
		removed = append(removed, full)
	}
	if err := errors.Join(problems...); err != nil {
		return removed, fmt.Errorf("configs: remove stale temp files: %w", err)
	}
	return removed, nil
}
