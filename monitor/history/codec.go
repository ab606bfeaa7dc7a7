package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// fileVersion is the "version" of the file Encode writes.
const fileVersion = 1

// maxFileSize bounds what Decode reads (a full history of 250 masters is
// well under it).
const maxFileSize = 64 << 20

// ErrBadFile is wrapped by every Decode error.
var ErrBadFile = errors.New("history: bad history file")

type fileDoc struct {
	Version int                 `json:"version"`
	Masters map[string][]Record `json:"masters"`
}

// Encode renders every master's records as the history file's JSON.
func Encode(all map[string][]Record) ([]byte, error) {
	b, err := json.MarshalIndent(fileDoc{Version: fileVersion, Masters: all}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("history: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode reads a history file. It refuses other versions, unknown fields
// and records that do not belong to their master, and trims what it keeps
// to MaxRecords per master and MaxEvents per record.
func Decode(data []byte) (map[string][]Record, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrBadFile, len(data), maxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the document", ErrBadFile)
	}
	if doc.Version != fileVersion {
		return nil, fmt.Errorf("%w: version %d (want %d)", ErrBadFile, doc.Version, fileVersion)
	}
	out := make(map[string][]Record, len(doc.Masters))
	for name, rs := range doc.Masters {
		if name == "" {
			return nil, fmt.Errorf("%w: a master without a name", ErrBadFile)
		}
		if len(rs) > MaxRecords {
			rs = rs[len(rs)-MaxRecords:]
		}
		for i := range rs {
			r := &rs[i]
			if r.Master != name {
				return nil, fmt.Errorf("%w: record %d of %q names master %q", ErrBadFile, i, name, r.Master)
			}
			if !slices.Contains([]string{ResultInProgress, ResultSwitched, ResultRecovered, ResultInterrupted}, r.Result) {
				return nil, fmt.Errorf("%w: record %d of %q: result %q", ErrBadFile, i, name, r.Result)
			}
			if len(r.Events) > MaxEvents {
				r.DroppedEvents += len(r.Events) - MaxEvents
				r.Events = r.Events[:MaxEvents]
			}
			if len(r.Phases) > len(PhaseOrder) {
				r.Phases = r.Phases[:len(PhaseOrder)]
			}
			for _, p := range r.Phases {
				if !slices.Contains(PhaseOrder, p.Name) {
					return nil, fmt.Errorf("%w: record %d of %q: phase %q", ErrBadFile, i, name, p.Name)
				}
			}
		}
		out[name] = rs
	}
	return out, nil
}
