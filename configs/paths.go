package configs

import (
	"fmt"
	"os"
	"path/filepath"
)

// Relative paths follow Redis's rule that dir is the working directory:
// redis-sentinel chdirs into each dir directive as it loads it, so dir
// itself is relative to the directory it was started from (or to the
// previous dir), and every relative path used later — logfile, pidfile,
// the scripts of the file and those set at run time by SENTINEL SET — is
// relative to the last dir. We never chdir inside the library (tests run
// several sentinels in one process); paths are resolved against
// Config.WorkDir instead, and the binary chdirs into it so that scripts
// run there too, as under Redis. See docs/compatibility.md.

// WorkDir is the directory relative paths resolve against: sentinel.dir
// when set (always set, and absolute, for a loaded sentinel.conf); for a
// YAML file without dir, the file's own directory; "" (the process's
// working directory) when neither is known.
func (c *Config) WorkDir() string {
	if c.Sentinel.Dir != "" {
		return c.Sentinel.Dir
	}
	if c.Source == SourceYAML && c.Path != "" {
		return filepath.Dir(c.Path)
	}
	return ""
}

// ResolvePath returns path resolved against dir: unchanged when it is
// empty, absolute, or dir is "".
func ResolvePath(dir, path string) string {
	if path == "" || dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// applyDir is what chdir(dir) does to the working directory cur: dir is
// taken relative to cur, must be an existing directory, and the result is
// the physical path (as getcwd reports it after the chdir, which is what
// Redis's rewrite records).
func applyDir(cur, dir string) (string, error) {
	next := dir
	if !filepath.IsAbs(next) {
		if cur == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", fmt.Errorf("working directory: %w", err)
			}
			cur = wd
		}
		next = filepath.Join(cur, next)
	}
	real, err := filepath.EvalSymlinks(next)
	if err != nil {
		return "", fmt.Errorf("can't chdir to %q: %w", dir, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("can't chdir to %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("can't chdir to %q: not a directory", dir)
	}
	return real, nil
}

// absPath makes a file path absolute against the process's working
// directory, as Redis does with the config file's path at start-up, so
// a later chdir (ours in the binary) does not move it.
func absPath(path string) (string, error) {
	if path == "" || filepath.IsAbs(path) {
		return path, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("configs: %s: %w", path, err)
	}
	return abs, nil
}
