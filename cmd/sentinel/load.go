package main

import (
	"fmt"
	"path/filepath"

	"github.com/sentinelgo/sentinel/configs"
)

// loader reads the configuration as the command line names it: at start,
// and again on SIGHUP (supervisor.Options.Load), with the same
// command-line directives and flag overrides, so a flag keeps winning
// over the file after a reload.
type loader struct {
	yamlPath, confPath string
	directives         []string
	ov                 overrides
}

// load reads and overrides the configuration; code is the exit status
// for an error (1: the file, 2: a flag).
func (l *loader) load() (cfg *configs.Config, code int, err error) {
	// Absolute once, before main chdirs into dir, as redis-sentinel
	// keeps its config file's absolute path for the same reason.
	for _, p := range []*string{&l.yamlPath, &l.confPath} {
		if *p != "" && !filepath.IsAbs(*p) {
			if *p, err = filepath.Abs(*p); err != nil {
				return nil, 1, fmt.Errorf("config path: %w", err)
			}
		}
	}
	if l.yamlPath != "" {
		cfg, err = loadYAML(l.yamlPath, l.directives)
	} else {
		cfg, err = loadConf(l.confPath, l.directives)
	}
	if err != nil {
		return nil, 1, err
	}
	if err := l.ov.apply(cfg); err != nil {
		return nil, 2, err
	}
	return cfg, 0, nil
}

// reload is supervisor.Options.Load.
func (l *loader) reload() (*configs.Config, error) {
	cfg, _, err := l.load()
	return cfg, err
}
