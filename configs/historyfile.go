package configs

import "fmt"

// HistoryPath is where the failover history of a sentinel whose state is
// at statePath is kept: a file next to it, so sentinel.conf stays what
// Redis can read and the YAML state keeps its shape.
func HistoryPath(statePath string) string { return statePath + ".history.json" }

// SaveHistory writes the history file (monitor/history's JSON) atomically,
// as the state is written.
func SaveHistory(statePath string, data []byte) error {
	if err := writeFileAtomic(HistoryPath(statePath), data, 0o600, nil); err != nil {
		return fmt.Errorf("configs: save history: %w", err)
	}
	return nil
}

// LoadHistory reads the history file; a missing one gives an error
// matching fs.ErrNotExist.
func LoadHistory(statePath string) ([]byte, error) {
	data, err := readBounded(HistoryPath(statePath))
	if err != nil {
		return nil, fmt.Errorf("configs: load history: %w", err)
	}
	return data, nil
}
