package configs

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sentinelgo/sentinel/settings"
)

// State is what a sentinel must remember across restarts.
type State struct {
	// MyID is the sentinel's run id (sentinel myid).
	MyID string
	// CurrentEpoch is sentinel current-epoch.
	CurrentEpoch uint64
	// Masters is the full runtime definition of every monitored master:
	// current address (after failovers), settings changed by SENTINEL SET,
	// epochs, leader, known replicas and sentinels. A master missing here
	// was removed (SENTINEL REMOVE) and disappears from the saved state.
	Masters []Master
	// Settings are the process-wide settings SENTINEL CONFIG SET can
	// change. Nil means "unchanged": the saved file keeps what it had.
	Settings *RuntimeSettings
	// Users are the ACL user lines ("user <name> <rules>", passwords as
	// hashes) after ACL SETUSER or DELUSER. Nil means "unchanged": the
	// saved file keeps its user lines. Only the sentinel.conf rewrite
	// writes them, as Redis does (without an aclfile).
	Users []string

	// Base and Removed are filled by LoadState for Merge and ignored by
	// Save: Base is the YAML definition of the masters (and BaseSettings of
	// the settings) when the state was saved, Removed the names of YAML
	// masters removed at run time.
	Base         []Master
	BaseSettings *RuntimeSettings
	Removed      []string
	// BaseUsers are the YAML users when the state's Users were saved.
	BaseUsers []string
}

// RuntimeSettings are the sentinel-wide settings that SENTINEL CONFIG SET
// changes at run time and that are therefore part of the state.
type RuntimeSettings struct {
	AnnounceIP          string `yaml:"announce_ip,omitempty"`
	AnnouncePort        int    `yaml:"announce_port,omitempty"`
	ResolveHostnames    bool   `yaml:"resolve_hostnames"`
	AnnounceHostnames   bool   `yaml:"announce_hostnames"`
	DenyScriptsReconfig bool   `yaml:"deny_scripts_reconfig"`
	SentinelUser        string `yaml:"sentinel_user,omitempty"`
	SentinelPass        Secret `yaml:"sentinel_pass,omitempty"`
}

// SettingsOf returns the runtime settings of a Sentinel block.
func SettingsOf(s Sentinel) RuntimeSettings {
	return RuntimeSettings{
		AnnounceIP: s.AnnounceIP, AnnouncePort: s.AnnouncePort,
		ResolveHostnames: s.ResolveHostnames, AnnounceHostnames: s.AnnounceHostnames,
		DenyScriptsReconfig: s.DenyScriptsReconfig,
		SentinelUser:        s.SentinelUser, SentinelPass: s.SentinelPass,
	}
}

// StateOf returns the state a configuration describes (for a first save).
func StateOf(cfg *Config) State {
	settings := SettingsOf(cfg.Sentinel)
	return State{
		MyID:         cfg.Sentinel.ID,
		CurrentEpoch: cfg.Sentinel.CurrentEpoch,
		Masters:      cloneMasters(cfg.Masters),
		Settings:     &settings,
	}
}

// StateFile keeps the runtime state of a YAML-configured sentinel in its
// own YAML file, so the configuration itself can be read-only. The file
// also records the YAML definitions it was saved against, which is what
// lets Merge tell a runtime change from a later edit of the YAML.
type StateFile struct {
	path     string
	base     []Master
	baseSets RuntimeSettings
	baseUsrs []string

	mu sync.Mutex
	// beforeRename is a test hook run between the temp write and the
	// rename (see writeFileAtomic).
	beforeRename func() error
}

// NewStateFile returns a StateFile at path. base is the configuration as
// loaded from YAML (before Merge); nil means no YAML masters.
func NewStateFile(path string, base *Config) *StateFile {
	sf := &StateFile{path: path}
	if base != nil {
		sf.base = cloneMasters(base.Masters)
		sf.baseSets = SettingsOf(base.Sentinel)
		sf.baseUsrs = append([]string(nil), base.Sentinel.Users...)
	}
	return sf
}

// Path returns the state file's path.
func (sf *StateFile) Path() string { return sf.path }

// Save writes st atomically. Masters of the base missing from st are
// recorded as removed, so Merge keeps them removed after a restart.
func (sf *StateFile) Save(st State) error {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	data, err := sf.encode(st)
	if err != nil {
		return err
	}
	// 0600: the state holds passwords.
	return writeFileAtomic(sf.path, data, 0o600, sf.beforeRename)
}

// encode renders the state file's text.
func (sf *StateFile) encode(st State) ([]byte, error) {
	doc := stateDoc{
		Version:      stateVersion,
		MyID:         st.MyID,
		CurrentEpoch: st.CurrentEpoch,
		// LoadState checks hosts as if resolve-hostnames were on.
		Masters: loadableState(st, true).Masters,
		Base:    sf.base,
	}
	if st.Settings != nil {
		doc.Settings = (*stateSettings)(st.Settings)
	}
	baseSets := stateSettings(sf.baseSets)
	doc.BaseSettings = &baseSets
	if st.Users != nil {
		doc.Users, doc.BaseUsers = quotedAll(st.Users), quotedAll(sf.baseUsrs)
	}
	live := make(map[string]bool, len(st.Masters))
	for _, m := range st.Masters {
		live[m.Name] = true
	}
	for _, m := range sf.base {
		if !live[m.Name] {
			doc.Removed = append(doc.Removed, quoted(m.Name))
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Runtime state of the sentinel. Written atomically on every change;\n# edit the YAML configuration instead of this file.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("configs: encode state: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("configs: encode state: %w", err)
	}
	return buf.Bytes(), nil
}

// loadableState returns st without the learned entries the loaders would
// refuse: known replicas and sentinels with a bad or duplicate address or
// run id, and a leader that is not one word. They come from data nodes and
// peers, not from the operator, and one bad value must not make the whole
// file unloadable (the sentinel could not restart); they are learned again
// from the network. The leader epoch stays, so a vote is never cast twice
// in an epoch after a restart. resolveHostnames is the setting the file
// will carry. st is not modified.
func loadableState(st State, resolveHostnames bool) State {
	addrOK := func(a Addr) bool {
		return CheckHost(a.Host, resolveHostnames) == nil && CheckPort(a.Port) == nil
	}
	out := st
	out.Masters = make([]Master, len(st.Masters))
	for i, m := range st.Masters {
		var replicas []Addr
		seen := make(map[Addr]bool, len(m.KnownReplicas))
		for _, r := range m.KnownReplicas {
			if addrOK(r) && !seen[r] {
				seen[r] = true
				replicas = append(replicas, r)
			}
		}
		var sentinels []KnownSentinel
		ids := make(map[string]bool, len(m.KnownSentinels))
		for _, k := range m.KnownSentinels {
			if addrOK(k.Addr) && checkRunID(k.RunID) == nil && !ids[k.RunID] {
				ids[k.RunID] = true
				sentinels = append(sentinels, k)
			}
		}
		m.KnownReplicas, m.KnownSentinels = replicas, sentinels
		if checkLeader(m.Leader) != nil {
			m.Leader = ""
		}
		out.Masters[i] = m
	}
	return out
}

// LoadState reads a state file written by StateFile.Save. A missing file
// gives an error matching fs.ErrNotExist (a first start).
func LoadState(path string) (*State, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("configs: load state: %w", err)
	}
	st, err := parseState(data)
	if err != nil {
		return nil, fmt.Errorf("configs: load state %s: %w", path, err)
	}
	return st, nil
}

func parseState(data []byte) (*State, error) {
	// The state is ours, but it is a file anyone with access may edit:
	// the same bounds as a configuration.
	if _, err := parseYAMLBounded(data); err != nil {
		return nil, err
	}
	var doc stateDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := decodeYAML(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty state file")
		}
		return nil, err
	}
	if doc.Version != stateVersion {
		return nil, fmt.Errorf("unsupported state version %d (want %d)", doc.Version, stateVersion)
	}
	st := &State{
		MyID:         doc.MyID,
		CurrentEpoch: doc.CurrentEpoch,
		Masters:      doc.Masters,
		Base:         doc.Base,
		Removed:      stringNames(doc.Removed),
	}
	if doc.Settings != nil {
		s := RuntimeSettings(*doc.Settings)
		st.Settings = &s
	}
	if doc.BaseSettings != nil {
		s := RuntimeSettings(*doc.BaseSettings)
		st.BaseSettings = &s
	}
	if doc.Users != nil {
		st.Users, st.BaseUsers = stringNames(doc.Users), stringNames(doc.BaseUsers)
	}
	// Check the masters with the configuration's own rules.
	check := &Config{Sentinel: Default().Sentinel, Masters: st.Masters}
	check.Sentinel.ResolveHostnames = true // the state may hold names announced by replicas
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return st, nil
}

// Merge applies persisted state onto a configuration loaded from YAML and
// returns the result (cfg and st are not modified). The rule is a
// three-way merge against st.Base, the YAML as it was when the state was
// saved:
//
//   - for a master in both, each setting (address, quorum, down_after,
//     failover_timeout, parallel_syncs, auth, scripts, reboot period,
//     rename_commands) comes from the state unless the YAML value changed
//     since the save, in which case the operator's edit wins; the
//     persisted fields (config and leader epochs, leader, known replicas
//     and sentinels) always come from the state;
//   - a master added at run time (SENTINEL MONITOR) is kept; one removed
//     at run time (SENTINEL REMOVE) stays removed while its YAML
//     definition is unchanged; one the operator deleted from the YAML is
//     dropped even if the state still has it;
//   - the runtime settings (announce-*, *-hostnames, sentinel-user/pass,
//     deny-scripts-reconfig) follow the same rule against st.BaseSettings;
//   - sentinel.id from the YAML wins when set, else the state's; the
//     current epoch is the larger of the two.
func Merge(cfg *Config, st *State) *Config {
	out := cfg.Clone()
	if st == nil {
		return out
	}
	if out.Sentinel.ID == "" {
		out.Sentinel.ID = st.MyID
	}
	out.Sentinel.CurrentEpoch = max(out.Sentinel.CurrentEpoch, st.CurrentEpoch)
	if st.Settings != nil {
		base := SettingsOf(cfg.Sentinel)
		if st.BaseSettings != nil {
			base = *st.BaseSettings
		}
		y, s, o := SettingsOf(cfg.Sentinel), *st.Settings, &out.Sentinel
		o.AnnounceIP = pick(y.AnnounceIP, base.AnnounceIP, s.AnnounceIP)
		o.AnnouncePort = pick(y.AnnouncePort, base.AnnouncePort, s.AnnouncePort)
		o.ResolveHostnames = pick(y.ResolveHostnames, base.ResolveHostnames, s.ResolveHostnames)
		o.AnnounceHostnames = pick(y.AnnounceHostnames, base.AnnounceHostnames, s.AnnounceHostnames)
		o.DenyScriptsReconfig = pick(y.DenyScriptsReconfig, base.DenyScriptsReconfig, s.DenyScriptsReconfig)
		o.SentinelUser = pick(y.SentinelUser, base.SentinelUser, s.SentinelUser)
		o.SentinelPass = pick(y.SentinelPass, base.SentinelPass, s.SentinelPass)
	}
	mergeUsers(out, cfg, st)

	byName := func(ms []Master) map[string]Master {
		out := make(map[string]Master, len(ms))
		for _, m := range ms {
			out[m.Name] = m
		}
		return out
	}
	inYAML, inState, inBase := byName(cfg.Masters), byName(st.Masters), byName(st.Base)
	removed := make(map[string]bool, len(st.Removed))
	for _, name := range st.Removed {
		removed[name] = true
	}
	var masters []Master
	for _, y := range cfg.Masters {
		b, hasBase := inBase[y.Name]
		if removed[y.Name] && hasBase && sameSettings(y, b) {
			continue
		}
		s, hasState := inState[y.Name]
		if !hasState {
			masters = append(masters, y.Clone())
			continue
		}
		if !hasBase {
			// Added to the YAML after the master was added at run time:
			// the YAML settings win, the state keeps its knowledge.
			b = y
			b.Addr = Addr{} // an address never matches: take the YAML's
		}
		masters = append(masters, mergeMaster(y, b, s, hasBase))
	}
	for _, s := range st.Masters {
		if _, ok := inYAML[s.Name]; ok {
			continue
		}
		if _, ok := inBase[s.Name]; ok {
			continue // deleted from the YAML by the operator
		}
		masters = append(masters, s.Clone())
	}
	out.Masters = masters
	return out
}

// pick is the three-way rule for one value: the YAML wins when it changed
// since the save, otherwise the state does.
func pick[T comparable](yamlValue, baseValue, stateValue T) T {
	if yamlValue != baseValue {
		return yamlValue
	}
	return stateValue
}

func mergeMaster(y, b, s Master, hasBase bool) Master {
	m := s.Clone()
	if !hasBase {
		m = y.Clone()
		m.ConfigEpoch, m.LeaderEpoch, m.Leader = s.ConfigEpoch, s.LeaderEpoch, s.Leader
		m.KnownReplicas = append([]Addr(nil), s.KnownReplicas...)
		m.KnownSentinels = append([]KnownSentinel(nil), s.KnownSentinels...)
		return m
	}
	m.Addr = pick(y.Addr, b.Addr, s.Addr)
	m.MasterSettings = mergeSettings(y.MasterSettings, b.MasterSettings, s.MasterSettings)
	m.AuthPassFile = y.AuthPassFile
	return m
}

// mergeSettings applies pick to every setting (an empty map equals a
// missing one).
func mergeSettings(y, b, s settings.MasterSettings) settings.MasterSettings {
	out := s
	yv, bv, ov := reflect.ValueOf(y), reflect.ValueOf(b), reflect.ValueOf(&out).Elem()
	cmpValue := func(v reflect.Value) any {
		if v.Kind() == reflect.Map && v.Len() == 0 {
			return nil
		}
		return v.Interface()
	}
	for i := range ov.NumField() {
		if !reflect.DeepEqual(cmpValue(yv.Field(i)), cmpValue(bv.Field(i))) {
			ov.Field(i).Set(yv.Field(i))
		}
	}
	return out.Clone()
}

func normMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// sameSettings compares the operator-set fields of two definitions.
func sameSettings(a, b Master) bool {
	strip := func(m Master) Master {
		m = m.Clone()
		m.ConfigEpoch, m.LeaderEpoch, m.Leader = 0, 0, ""
		m.KnownReplicas, m.KnownSentinels = nil, nil
		m.RenameCommands = normMap(m.RenameCommands)
		return m
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

const stateVersion = 1

// stateDoc is the state file's schema. Its masters are Masters written
// by stateMasters, because a Config marshals secrets as "<secret>" while
// the state must keep them.
type stateDoc struct {
	Version      int            `yaml:"version"`
	MyID         string         `yaml:"my_id,omitempty"`
	CurrentEpoch uint64         `yaml:"current_epoch"`
	Settings     *stateSettings `yaml:"settings,omitempty"`
	Masters      stateMasters   `yaml:"masters"`
	Removed      []quoted       `yaml:"removed,omitempty"`
	BaseSettings *stateSettings `yaml:"base_settings,omitempty"`
	Base         stateMasters   `yaml:"base,omitempty"`
	// Users are the ACL users after ACL SETUSER/DELUSER ("user <name>
	// <rules>", passwords as hashes); BaseUsers the YAML's when saved.
	Users     []quoted `yaml:"users,omitempty"`
	BaseUsers []quoted `yaml:"base_users,omitempty"`
}

// stateSettings are RuntimeSettings as the state file writes them (see
// stateMasters): the same fields and names, strings quoted, the password
// in full.
type stateSettings RuntimeSettings

// MarshalYAML implements yaml.Marshaler.
func (s stateSettings) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if err := addStateFields(n, reflect.ValueOf(s)); err != nil {
		return nil, err
	}
	return n, nil
}

// quoted is a string the state file always writes double-quoted.
// yaml.v3's own choice of style does not always read back: a value made
// only of line breaks is written as a block scalar that reads back
// shorter ("\n" comes back as ""), and "<<" is written bare and reads back
// as a merge key. Both are legal passwords or command names, so before
// this a SENTINEL SET could leave a state file the sentinel could not
// load, or loaded wrongly.
type quoted string

// MarshalYAML implements yaml.Marshaler.
func (q quoted) MarshalYAML() (any, error) { return scalarNode(string(q)), nil }

// scalarNode is the node quoted writes: double-quoted text, or for bytes
// that are not UTF-8 (which YAML text cannot hold) base64 tagged !!binary,
// which yaml.v3 decodes back into the same bytes.
func scalarNode(s string) *yaml.Node {
	if !utf8.ValidString(s) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!binary", Value: base64.StdEncoding.EncodeToString([]byte(s))}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: s}
}

// stateMasters are masters as the state file writes them: Master's own
// fields and YAML names (decoding uses them as they are), but every
// string double-quoted (quoted), secrets in full, and a password read
// from a file left out (Merge reads that file again).
type stateMasters []Master

// MarshalYAML implements yaml.Marshaler.
func (ms stateMasters) MarshalYAML() (any, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, m := range ms {
		if m.AuthPassFile != "" {
			m.AuthPass = ""
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		if err := addStateFields(n, reflect.ValueOf(m)); err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, n)
	}
	return seq, nil
}

// addStateFields appends the fields of struct v to mapping n the way
// yaml.v3 would (tag names, inline structs flattened, omitempty), except
// that strings, secrets included, and string maps are written by
// scalarNode. Other values are yaml.v3's.
func addStateFields(n *yaml.Node, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case opts == "inline":
			if err := addStateFields(n, fv); err != nil {
				return err
			}
			continue
		case opts == "omitempty" && (fv.IsZero() || (fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice) && fv.Len() == 0):
			continue
		}
		var value *yaml.Node
		switch {
		case fv.Kind() == reflect.String:
			value = scalarNode(fv.String())
		case fv.Kind() == reflect.Map && fv.Type().Key().Kind() == reflect.String && fv.Type().Elem().Kind() == reflect.String:
			value = &yaml.Node{Kind: yaml.MappingNode}
			for _, k := range sortedKeys(fv.Interface().(map[string]string)) {
				value.Content = append(value.Content, scalarNode(k), scalarNode(fv.MapIndex(reflect.ValueOf(k)).String()))
			}
		default:
			value = new(yaml.Node)
			if err := value.Encode(fv.Interface()); err != nil {
				return fmt.Errorf("configs: encode state %s: %w", name, err)
			}
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, value)
	}
	return nil
}

// stringNames converts the removed masters' names.
func stringNames(in []quoted) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}
