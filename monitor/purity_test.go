package monitor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPurity keeps the core deterministic: no I/O, no clock, no global
// randomness, no goroutines, no logging, in any non-test file of package
// monitor (sub-packages such as supervisor and monitortest are exempt).
func TestPurity(t *testing.T) {
	forbiddenImports := map[string]string{
		"os":          "I/O",
		"io":          "I/O",
		"io/fs":       "I/O",
		"net/http":    "I/O",
		"sync":        "concurrency",
		"log":         "logging",
		"log/slog":    "logging",
		"math/rand":   "global randomness (use the injected math/rand/v2 *rand.Rand)",
		"time/tzdata": "clock data",
		"syscall":     "I/O",
		"unsafe":      "unsafe",
		"runtime":     "runtime access",
	}
	allowedProjectImports := map[string]bool{
		"github.com/sentinelgo/sentinel/election": true, // pure rules, with its own purity test
	}
	forbiddenTime := map[string]bool{
		"Now": true, "Since": true, "Until": true, "After": true, "Tick": true,
		"NewTimer": true, "NewTicker": true, "Sleep": true, "AfterFunc": true,
	}
	// Package-level functions of math/rand/v2 use the global source; only
	// the constructors and the Rand type are allowed.
	allowedRandV2 := map[string]bool{"New": true, "NewPCG": true, "NewChaCha8": true, "Rand": true, "Source": true, "PCG": true, "ChaCha8": true}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		checked++
		importNames := map[string]string{} // local name -> path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			local := path[strings.LastIndex(path, "/")+1:]
			if path == "math/rand/v2" {
				local = "rand"
			}
			if imp.Name != nil {
				local = imp.Name.Name
			}
			importNames[local] = path
			if why, bad := forbiddenImports[path]; bad {
				t.Errorf("%s imports %q (%s)", fset.Position(imp.Pos()), path, why)
			}
			if strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !allowedProjectImports[path] {
				t.Errorf("%s imports third-party or project package %q", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement in the core", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				pkg, ok := n.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch importNames[pkg.Name] {
				case "time":
					if forbiddenTime[n.Sel.Name] {
						t.Errorf("%s: time.%s reads or waits on the clock", fset.Position(n.Pos()), n.Sel.Name)
					}
				case "math/rand/v2":
					if !allowedRandV2[n.Sel.Name] {
						t.Errorf("%s: rand.%s uses the global source", fset.Position(n.Pos()), n.Sel.Name)
					}
				case "net":
					// types.go renders Addr with net.JoinHostPort, a pure
					// string function; nothing else from net.
					if n.Sel.Name != "JoinHostPort" {
						t.Errorf("%s: net.%s does I/O", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked only %d files; is the test running in the package directory?", checked)
	}
}
