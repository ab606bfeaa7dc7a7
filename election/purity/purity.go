package purity

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rules says what a checked package may use beyond the fixed prohibitions.
type Rules struct {
	// AllowedImports lists non-standard packages the checked code may
	// import (themselves checked by their own purity test).
	AllowedImports []string
	// InjectedRandom allows math/rand/v2 for its constructors and the Rand
	// type only, so randomness comes from a source the caller seeds.
	InjectedRandom bool
	// PureNetHelpers allows these functions of package net, which do no
	// I/O (net.JoinHostPort).
	PureNetHelpers []string
}

// forbiddenImports do I/O, run goroutines for you, log, or read global
// state.
var forbiddenImports = map[string]string{
	"os": "I/O", "os/exec": "I/O", "io/ioutil": "I/O", "io/fs": "I/O", "net/http": "I/O",
	"syscall": "I/O", "unsafe": "unsafe", "runtime": "runtime access", "sync": "concurrency",
	"log": "logging", "log/slog": "logging", "time/tzdata": "clock data",
	"math/rand": "global randomness", "crypto/rand": "global randomness",
}

// clockCalls read the clock or wait on it; time.Duration and its
// constants are fine.
var clockCalls = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

// injectedRandomNames are the parts of math/rand/v2 that do not touch its
// global source.
var injectedRandomNames = map[string]bool{
	"New": true, "NewPCG": true, "NewChaCha8": true, "Rand": true, "Source": true, "PCG": true, "ChaCha8": true,
}

// CheckDir checks every non-test .go file in dir and returns the number of
// files checked and every violation found.
func CheckDir(dir string, r Rules) (checked int, problems []string, err error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return 0, nil, fmt.Errorf("purity: %w", err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return checked, problems, fmt.Errorf("purity: %w", err)
		}
		p, err := CheckSource(name, src, r)
		if err != nil {
			return checked, problems, err
		}
		checked++
		problems = append(problems, p...)
	}
	return checked, problems, nil
}

// CheckSource checks one file's source.
func CheckSource(name string, src []byte, r Rules) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, fmt.Errorf("purity: parse %s: %w", name, err)
	}
	var problems []string
	report := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fset.Position(pos).String()+": "+fmt.Sprintf(format, args...))
	}
	local := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("purity: %s: bad import %s: %w", name, imp.Path.Value, err)
		}
		l := path[strings.LastIndex(path, "/")+1:]
		if path == "math/rand/v2" {
			l = "rand"
		}
		if imp.Name != nil {
			l = imp.Name.Name
		}
		local[l] = path
		switch {
		case path == "math/rand/v2" && !r.InjectedRandom:
			report(imp.Pos(), "imports %q (global randomness)", path)
		case forbiddenImports[path] != "":
			report(imp.Pos(), "imports %q (%s)", path, forbiddenImports[path])
		case !isStandardLibrary(path) && !contains(r.AllowedImports, path):
			report(imp.Pos(), "imports %q, which is not in the standard library", path)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "go statement")
		case *ast.SelectorExpr:
			pkg, ok := n.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch local[pkg.Name] {
			case "time":
				if clockCalls[n.Sel.Name] {
					report(n.Pos(), "%s.%s reads or waits on the clock", pkg.Name, n.Sel.Name)
				}
			case "math/rand/v2":
				if !injectedRandomNames[n.Sel.Name] {
					report(n.Pos(), "%s.%s uses the global source", pkg.Name, n.Sel.Name)
				}
			case "net":
				if !contains(r.PureNetHelpers, n.Sel.Name) {
					report(n.Pos(), "net.%s does I/O", n.Sel.Name)
				}
			}
		}
		return true
	})
	return problems, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isStandardLibrary reports whether path is a standard-library package: its
// first element has no dot and it resolves inside GOROOT.
func isStandardLibrary(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	if strings.Contains(first, ".") {
		return false
	}
	pkg, err := build.Default.Import(path, "", build.FindOnly)
	return err == nil && pkg.Goroot
}

// Require fails t for every violation in the non-test files of dir, and
// when fewer than minFiles were checked (the test is not running in the
// package directory). Each purity test is one call.
func Require(t testing.TB, dir string, r Rules, minFiles int) {
	t.Helper()
	checked, problems, err := CheckDir(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if checked < minFiles {
		t.Fatalf("checked only %d files; is the test running in the package directory?", checked)
	}
}
