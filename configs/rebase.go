package configs

// Rebase records base, a YAML configuration as loaded (before Merge), as
// the definitions the next Save is made against, once a reload (SIGHUP)
// has applied it: a runtime change after the reload then wins over the
// YAML at the next Merge, as one before it did. live reports the masters
// that run; a YAML master that does not (a reload adds none) keeps its
// previous base entry, or none, so a restart still adds it or keeps it
// removed exactly as before. User lines are not reloaded and keep their
// base.
func (sf *StateFile) Rebase(base *Config, live func(name string) bool) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	old := make(map[string]Master, len(sf.base))
	for _, m := range sf.base {
		old[m.Name] = m
	}
	var next []Master
	for _, m := range base.Masters {
		if live(m.Name) {
			next = append(next, m.Clone())
		} else if o, ok := old[m.Name]; ok {
			next = append(next, o)
		}
	}
	sf.base = next
	sf.baseSets = SettingsOf(base.Sentinel)
}
