package monitortest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output of monitor scenario scripts")

// block is one command group and its expected output.
type block struct {
	cmds     []string
	cmdLine  int // line number of the first command
	expected string
}

// parseScript splits a script into blocks. Comments and blank lines between
// blocks are kept in prefix so -update can rewrite the file faithfully.
func parseScript(text string) (blocks []block, prefixes []string, err error) {
	lines := strings.Split(text, "\n")
	var cur block
	var prefix []string
	inExpected := false
	var exp []string
	flushBlock := func() {
		cur.expected = strings.Join(exp, "\n")
		blocks = append(blocks, cur)
		prefixes = append(prefixes, strings.Join(prefix, "\n"))
		cur, prefix, exp, inExpected = block{}, nil, nil, false
	}
	for n, line := range lines {
		switch {
		case inExpected:
			if strings.TrimSpace(line) == "" {
				flushBlock()
				continue
			}
			exp = append(exp, line)
		case strings.TrimSpace(line) == "----":
			if len(cur.cmds) == 0 {
				return nil, nil, fmt.Errorf("line %d: ---- without commands", n+1)
			}
			inExpected = true
		case strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
			if len(cur.cmds) > 0 {
				return nil, nil, fmt.Errorf("line %d: commands without ---- before a blank line or comment", n+1)
			}
			prefix = append(prefix, line)
		default:
			if len(cur.cmds) == 0 {
				cur.cmdLine = n + 1
			}
			cur.cmds = append(cur.cmds, line)
		}
	}
	if inExpected {
		flushBlock()
	} else if len(cur.cmds) > 0 {
		return nil, nil, errors.New("script ends with commands and no ----")
	}
	trailer := strings.Join(prefix, "\n")
	prefixes = append(prefixes, trailer)
	return blocks, prefixes, nil
}

// RunDir runs every *.txt script in dir as a subtest.
func RunDir(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenario scripts in %s", dir)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { RunFile(t, f) })
	}
}

// RunFile runs one script, failing on the first block whose output differs
// (or rewriting the file with -update).
func RunFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks, prefixes, err := parseScript(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	env := newEnv(t)
	var out strings.Builder
	writeLines := func(text string) {
		if text == "" {
			return
		}
		out.WriteString(text)
		out.WriteString("\n")
	}
	for k, b := range blocks {
		got := env.runBlock(b.cmds)
		if *update {
			writeLines(prefixes[k])
			writeLines(strings.Join(b.cmds, "\n"))
			writeLines("----")
			writeLines(got)
			out.WriteString("\n")
			continue
		}
		if got != b.expected {
			t.Fatalf("%s:%d: output differs\ncommands:\n%s\n--- got:\n%s\n--- want:\n%s",
				path, b.cmdLine, strings.Join(b.cmds, "\n"), got, b.expected)
		}
	}
	if *update {
		writeLines(prefixes[len(prefixes)-1])
		text := strings.TrimRight(out.String(), "\n") + "\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
