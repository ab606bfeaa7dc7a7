package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrEmpty is returned for a YAML document with no content.
var ErrEmpty = errors.New("configs: empty configuration document")

// FieldError is one problem found in a configuration, located by its field
// path (for example "masters[1](mymaster).quorum") and, when known, the
// YAML line it came from.
type FieldError struct {
	Path string
	Line int // 0 when unknown
	Msg  string
}

// Error returns "path: message (line N)".
func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s (line %d)", e.Path, e.Msg, e.Line)
	}
	return e.Path + ": " + e.Msg
}

// LoadFile reads and validates a YAML configuration file. dir, when
// relative, is resolved against the file's directory and must exist; the
// other relative paths inside it (state_file, logfile, pidfile, *_file
// secrets and scripts) are resolved against dir, or against the file's
// directory without one (Config.WorkDir). Config.Path is absolute.
func LoadFile(path string) (*Config, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	abs, err := absPath(path)
	if err != nil {
		return nil, err
	}
	cfg, err := load(data, abs)
	if errors.Is(err, ErrEmpty) {
		return nil, fmt.Errorf("%w: %s", ErrEmpty, path)
	}
	if err != nil {
		return nil, fmt.Errorf("configs: %s: %w", path, err)
	}
	return cfg, nil
}

// Load decodes and validates a YAML configuration. Decoding is strict
// (unknown fields are errors), defaults are filled for absent fields, and
// every problem is reported at once, joined with errors.Join; each is a
// *FieldError. Relative paths are left as they are.
func Load(data []byte) (*Config, error) {
	cfg, err := load(data, "")
	if errors.Is(err, ErrEmpty) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("configs: %w", err)
	}
	return cfg, nil
}

func load(data []byte, path string) (*Config, error) {
	doc, err := parseYAMLBounded(data)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, ErrEmpty
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the document must be a mapping (with sentinel and masters keys)", root.Line)
	}
	idx := newLineIndex()
	idx.walk(root, "")

	cfg := &Config{Source: SourceYAML, Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var problems []error
	if err := decodeYAML(dec, cfg); err != nil {
		var typeErr *yaml.TypeError
		if !errors.As(err, &typeErr) {
			return nil, err
		}
		for _, msg := range typeErr.Errors {
			problems = append(problems, idx.typeError(msg))
		}
	}
	// A second document would be silently ignored: refuse it.
	var extra yaml.Node
	if err := decodeYAML(dec, &extra); err == nil {
		problems = append(problems, &FieldError{Path: "(document)", Line: extra.Line, Msg: "only one YAML document is allowed"})
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	cfg.lines = idx.lines
	applyYAMLDefaults(cfg, idx)
	problems = append(problems, normaliseMasterAddrs(cfg)...)
	if path != "" {
		problems = append(problems, resolvePaths(cfg, filepath.Dir(path))...)
	}
	problems = append(problems, readSecretFiles(cfg)...)
	problems = append(problems, checkScripts(cfg)...)
	problems = append(problems, checkUsersHavePasswords(cfg)...)

	reported := make(map[string]bool)
	for _, p := range problems {
		var fe *FieldError
		if errors.As(p, &fe) {
			reported[fe.Path] = true
		}
	}
	if err := cfg.Validate(); err != nil {
		for _, p := range unjoin(err) {
			var fe *FieldError
			if errors.As(p, &fe) && reported[fe.Path] {
				continue // already reported by the decoder, more precisely
			}
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		sortByLine(problems)
		return nil, errors.Join(problems...)
	}
	return cfg, nil
}

// sortByLine orders problems as they appear in the file; problems without
// a line keep their relative order at the end.
func sortByLine(problems []error) {
	line := func(err error) int {
		var fe *FieldError
		if errors.As(err, &fe) && fe.Line > 0 {
			return fe.Line
		}
		return int(^uint(0) >> 1)
	}
	sort.SliceStable(problems, func(i, j int) bool { return line(problems[i]) < line(problems[j]) })
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// lineIndex maps field paths to YAML lines and back.
type lineIndex struct {
	lines  map[string]int // path -> line of its key or item
	byLine map[int]string // line -> the deepest path starting there
}

func newLineIndex() *lineIndex {
	return &lineIndex{lines: make(map[string]int), byLine: make(map[int]string)}
}

func (x *lineIndex) record(path string, line int) {
	x.lines[path] = line
	x.byLine[line] = path
}

func (x *lineIndex) walk(n *yaml.Node, path string) {
	x.walkDepth(n, path, 0)
}

// maxAliasDepth bounds alias and merge-key resolution, so a hostile
// document cannot make the index walk explode.
const maxAliasDepth = 8

// deref follows n's aliases, each one level deeper; nil when n is nil or
// the chain (with depth levels already used) goes past maxAliasDepth.
func deref(n *yaml.Node, depth int) (*yaml.Node, int) {
	for n != nil && n.Kind == yaml.AliasNode && depth <= maxAliasDepth {
		n, depth = n.Alias, depth+1
	}
	if n == nil || depth > maxAliasDepth {
		return nil, depth
	}
	return n, depth
}

// childPath is the dotted path of key in the mapping at path.
func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (x *lineIndex) walkDepth(n *yaml.Node, path string, depth int) {
	if n, depth = deref(n, depth); n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if key.Tag == "!!merge" {
				// "<<: *defaults" brings the anchor's keys into this
				// mapping; index them here so defaults are not applied
				// over merged values.
				x.walkMerge(value, path, depth+1)
				continue
			}
			child := childPath(path, key.Value)
			x.record(child, key.Line)
			x.walkDepth(value, child, depth)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			var child string
			if path == "masters" {
				child = masterPath(i, mappingString(item, "name"))
			} else {
				child = fmt.Sprintf("%s[%d]", path, i)
			}
			x.record(child, item.Line)
			x.walkDepth(item, child, depth)
		}
	}
}

func (x *lineIndex) walkMerge(n *yaml.Node, path string, depth int) {
	if n, depth = deref(n, depth); n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			child := childPath(path, key.Value)
			if _, own := x.lines[child]; !own {
				x.record(child, key.Line)
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			x.walkMerge(item, path, depth+1)
		}
	}
}

// mappingString returns the scalar value of key in a mapping node, looking
// through aliases and "<<" merge keys as the decoder does.
func mappingString(n *yaml.Node, key string) string {
	return mappingStringDepth(n, key, 0)
}

func mappingStringDepth(n *yaml.Node, key string, depth int) string {
	if n, depth = deref(n, depth); n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.SequenceNode: // the value of a merge key may list mappings
		for _, item := range n.Content {
			if v := mappingStringDepth(item, key, depth+1); v != "" {
				return v
			}
		}
		return ""
	case yaml.MappingNode:
	default:
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Tag != "!!merge" && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag == "!!merge" {
			if v := mappingStringDepth(n.Content[i+1], key, depth+1); v != "" {
				return v
			}
		}
	}
	return ""
}

var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// typeError turns yaml.v3's "line N: msg" into a FieldError naming the
// field that starts on line N.
func (x *lineIndex) typeError(msg string) error {
	m := typeErrorLine.FindStringSubmatch(msg)
	if m == nil {
		return &FieldError{Path: "(document)", Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	path, ok := x.byLine[line]
	if !ok {
		path = "(document)"
	}
	text := strings.ReplaceAll(m[2], "configs.", "")
	text = strings.ReplaceAll(text, "time.Duration", "duration (a Go duration such as 30s or 1500ms)")
	return &FieldError{Path: path, Line: line, Msg: text}
}

func (x *lineIndex) has(path string) bool {
	_, ok := x.lines[path]
	return ok
}

func masterPath(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("masters[%d]", i)
	}
	return fmt.Sprintf("masters[%d](%s)", i, name)
}

// applyYAMLDefaults fills the defaults of fields absent from the document.
// Absence is read from the node tree, so an explicit zero stays zero and is
// reported by Validate instead of being silently replaced.
func applyYAMLDefaults(cfg *Config, idx *lineIndex) {
	def := Default()
	s := &cfg.Sentinel
	if !idx.has("sentinel.port") {
		s.Port = def.Sentinel.Port
	}
	if !idx.has("sentinel.log_level") {
		s.LogLevel = def.Sentinel.LogLevel
	}
	if !idx.has("sentinel.log_format") {
		s.LogFormat = def.Sentinel.LogFormat
	}
	if !idx.has("sentinel.protected_mode") {
		s.ProtectedMode = def.Sentinel.ProtectedMode
	}
	if !idx.has("sentinel.deny_scripts_reconfig") {
		s.DenyScriptsReconfig = def.Sentinel.DenyScriptsReconfig
	}
	if !idx.has("sentinel.limits.max_replicas_per_master") {
		s.Limits.MaxReplicasPerMaster = def.Sentinel.Limits.MaxReplicasPerMaster
	}
	if !idx.has("sentinel.limits.max_sentinels_per_master") {
		s.Limits.MaxSentinelsPerMaster = def.Sentinel.Limits.MaxSentinelsPerMaster
	}
	// Redis's loglevel words are accepted too, so a converted sentinel.conf
	// reads naturally.
	if level, ok := LogLevel(s.LogLevel); ok && idx.has("sentinel.log_level") {
		s.LogLevel = level
	}
	dm := DefaultMaster()
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		p := masterPath(i, m.Name)
		if !idx.has(p + ".down_after") {
			m.DownAfter = dm.DownAfter
		}
		if !idx.has(p + ".failover_timeout") {
			m.FailoverTimeout = dm.FailoverTimeout
		}
		if !idx.has(p + ".parallel_syncs") {
			m.ParallelSyncs = dm.ParallelSyncs
		}
	}
}

// normaliseMasterAddrs moves host:/port: into Addr.
func normaliseMasterAddrs(cfg *Config) []error {
	var problems []error
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		if m.Host == "" && m.Port == 0 {
			continue
		}
		p := masterPath(i, m.Name)
		if _, ok := cfg.lines[p+".address"]; !ok {
			// Point address problems at the host (or port) line.
			if line, ok := cfg.lines[p+".host"]; ok {
				cfg.lines[p+".address"] = line
			} else if line, ok := cfg.lines[p+".port"]; ok {
				cfg.lines[p+".address"] = line
			}
		}
		if !m.Addr.IsZero() {
			problems = append(problems, cfg.fieldError(p+".address", "set either address or host and port, not both"))
			continue
		}
		if m.Host == "" || m.Port == 0 {
			problems = append(problems, cfg.fieldError(p+".address", "host and port must be set together"))
			continue
		}
		m.Addr = Addr{Host: m.Host, Port: m.Port}
		m.Host, m.Port = "", 0
	}
	return problems
}

// resolvePaths makes the file's relative paths absolute: dir against the
// file's directory (fileDir), which it must name an existing directory
// in, then everything else against WorkDir.
func resolvePaths(cfg *Config, fileDir string) []error {
	var problems []error
	s := &cfg.Sentinel
	if s.Dir != "" {
		dir, err := applyDir(fileDir, s.Dir)
		if err != nil {
			problems = append(problems, cfg.fieldError("sentinel.dir", err.Error()))
		} else {
			s.Dir = dir
		}
	}
	base := cfg.WorkDir()
	abs := func(p *string) { *p = ResolvePath(base, *p) }
	for _, p := range []*string{&s.StateFile, &s.LogFile, &s.PidFile, &s.RequirePassFile, &s.SentinelPassFile, &s.TLS.KeyFilePassFile, &s.TLS.ClientKeyFilePassFile, &cfg.Election.DataDir} {
		abs(p)
	}
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		for _, p := range []*string{&m.AuthPassFile, &m.NotificationScript, &m.ClientReconfigScript} {
			abs(p)
		}
	}
	return problems
}

// readSecretFiles loads every *_file twin into its Secret. The file's
// trailing newline is dropped, as editors and `echo` add one.
func readSecretFiles(cfg *Config) []error {
	var problems []error
	read := func(path, name string, value *Secret, file string) {
		if file == "" {
			return
		}
		if value.IsSet() {
			problems = append(problems, cfg.fieldError(path+"."+name+"_file", fmt.Sprintf("set either %s or %s_file, not both", name, name)))
			return
		}
		data, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, cfg.fieldError(path+"."+name+"_file", err.Error()))
			return
		}
		*value = Secret(strings.TrimRight(string(data), "\r\n"))
	}
	s := &cfg.Sentinel
	read("sentinel", "requirepass", &s.RequirePass, s.RequirePassFile)
	read("sentinel", "sentinel_pass", &s.SentinelPass, s.SentinelPassFile)
	read("sentinel.tls", "key_file_pass", &s.TLS.KeyFilePass, s.TLS.KeyFilePassFile)
	read("sentinel.tls", "client_key_file_pass", &s.TLS.ClientKeyFilePass, s.TLS.ClientKeyFilePassFile)
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		read(masterPath(i, m.Name), "auth_pass", &m.AuthPass, m.AuthPassFile)
	}
	return problems
}

// checkScripts refuses scripts that are missing or not executable, as
// Redis does at load time.
func checkScripts(cfg *Config) []error {
	var problems []error
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		p := masterPath(i, m.Name)
		if err := checkExecutable(m.NotificationScript); err != nil {
			problems = append(problems, cfg.fieldError(p+".notification_script", err.Error()))
		}
		if err := checkExecutable(m.ClientReconfigScript); err != nil {
			problems = append(problems, cfg.fieldError(p+".client_reconfig_script", err.Error()))
		}
	}
	return problems
}

// checkUsersHavePasswords catches a user name without its password, which
// Redis silently ignores (it sends AUTH only with a password). sentinel.conf
// keeps Redis's leniency; YAML says so.
func checkUsersHavePasswords(cfg *Config) []error {
	var problems []error
	if cfg.Sentinel.SentinelUser != "" && !cfg.Sentinel.SentinelPass.IsSet() {
		problems = append(problems, cfg.fieldError("sentinel.sentinel_user", "needs sentinel_pass (a user alone is never used)"))
	}
	for i := range cfg.Masters {
		m := &cfg.Masters[i]
		if m.AuthUser != "" && !m.AuthPass.IsSet() {
			problems = append(problems, cfg.fieldError(masterPath(i, m.Name)+".auth_user", "needs auth_pass (a user alone is never used)"))
		}
	}
	return problems
}

func checkExecutable(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("script %s seems non existing: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("script %s is not an executable file", path)
	}
	return nil
}

func (c *Config) fieldError(path, msg string) *FieldError {
	return &FieldError{Path: path, Line: c.lines[path], Msg: msg}
}

// Marshal renders the configuration as YAML. Secrets are written as
// "<secret>", so the output is safe to log but not a substitute for the
// original file.
func (c *Config) Marshal() ([]byte, error) {
	out, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("configs: marshal: %w", err)
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
