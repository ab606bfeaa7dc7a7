package configs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds every configuration and state file the sentinel
// reads (YAML, sentinel.conf, the state file). A real one is a few KiB
// (250 masters with all their state fit in about 100 KiB); the bound keeps
// a wrong path (a log file, /dev/zero) or a hostile file from using
// unbounded memory.
const MaxFileSize = 1 << 20

// MaxAliasNodes bounds how many nodes YAML aliases may add to a document
// once expanded. Anchors for shared master defaults add a few per master;
// an alias bomb ("billion laughs") adds billions and, before this bound,
// grew the process to gigabytes.
const MaxAliasNodes = 10000

// ErrTooLarge is returned for input larger than MaxFileSize.
var ErrTooLarge = errors.New("too large: the limit is 1 MiB")

// readBounded reads a whole file of at most MaxFileSize bytes. Errors
// wrap the os error, so fs.ErrNotExist still matches a missing file.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: %w", path, errIsDir)
	}
	if fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w (%d bytes)", path, ErrTooLarge, fi.Size())
	}
	// Not every file has a size (pipes, devices): read one byte past the
	// bound to tell.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkSize(len(data)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// errIsDir is readBounded's answer for a directory where a file belongs.
var errIsDir = errors.New("is a directory, not a file")

func checkSize(n int) error {
	if n > MaxFileSize {
		return fmt.Errorf("%w (%d bytes or more)", ErrTooLarge, n)
	}
	return nil
}

// checkAliases refuses a YAML tree whose aliases would expand it by more
// than MaxAliasNodes nodes, naming the line of the alias that crosses the
// bound. It never expands anything: each anchor's expanded size is
// computed once and reused.
func checkAliases(root *yaml.Node) error {
	sizes := make(map[*yaml.Node]int)
	added := 0
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n == nil {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			added += expandedSize(n.Alias, sizes, 0) - 1
			if added > MaxAliasNodes {
				return &FieldError{Path: "(document)", Line: n.Line,
					Msg: fmt.Sprintf("YAML aliases expand the document by more than %d nodes (an alias bomb?); write the values out", MaxAliasNodes)}
			}
			return nil
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// expandedSize is the number of nodes n stands for once every alias in it
// is expanded, capped just above MaxAliasNodes (so one capped alias crosses it) so the sum never overflows.
func expandedSize(n *yaml.Node, sizes map[*yaml.Node]int, depth int) int {
	const capped = MaxAliasNodes + 2
	if n == nil {
		return 0
	}
	if s, ok := sizes[n]; ok {
		return s
	}
	if depth > 1000 {
		// Deeper than any configuration: count it as too big rather
		// than recurse on.
		return capped
	}
	if n.Kind == yaml.AliasNode {
		return expandedSize(n.Alias, sizes, depth+1)
	}
	sizes[n] = capped // a node that contains itself counts as too big
	total := 1
	for _, c := range n.Content {
		total += expandedSize(c, sizes, depth+1)
		if total > capped {
			total = capped
			break
		}
	}
	sizes[n] = total
	return total
}

// parseYAMLBounded parses a YAML document into a node tree, refusing more
// than MaxFileSize bytes and alias bombs.
func parseYAMLBounded(data []byte) (*yaml.Node, error) {
	if err := checkSize(len(data)); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := recoverYAML(func() error { return yaml.Unmarshal(data, &doc) }); err != nil {
		return nil, err // yaml.v3's text already starts with "yaml:"
	}
	if err := checkAliases(&doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// decodeYAML is dec.Decode, with a panic inside yaml.v3 turned into an
// error: it panics on some hostile merge keys (a mapping used as a key
// next to "<<", found by FuzzLoad), and bad input must get an error.
func decodeYAML(dec *yaml.Decoder, v any) error {
	return recoverYAML(func() error { return dec.Decode(v) })
}

// recoverYAML runs a yaml.v3 call, turning its panic into an error.
func recoverYAML(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: malformed document: %v", r)
		}
	}()
	return f()
}
