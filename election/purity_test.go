package election

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

// TestPurity enforces what doc.go promises: the non-test files of election
// import only the standard library, never read the clock or global
// randomness, do no I/O, and start no goroutines.
func TestPurity(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := purityProblems(name, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no non-test files checked")
	}
}

// TestPurity_DetectsViolations proves the checker is not vacuous.
func TestPurity_DetectsViolations(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"clock", "package x\nimport \"time\"\nvar _ = time.Now()", "time.Now"},
		{"renamed clock import", "package x\nimport t \"time\"\nfunc f() { t.Sleep(1) }", "t.Sleep"},
		{"goroutine", "package x\nfunc f() { go f() }", "go statement"},
		{"non-std import", "package x\nimport _ \"github.com/sentinelgo/sentinel/monitor\"", "not in the standard library"},
		{"randomness", "package x\nimport _ \"math/rand/v2\"", "math/rand/v2"},
		{"file I/O", "package x\nimport \"os\"\nvar _ = os.Args", "os"},
		{"clean", "package x\nimport \"time\"\nvar _ time.Duration = time.Second", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := purityProblems("x.go", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(problems, "\n")
			if tc.want == "" {
				if joined != "" {
					t.Fatalf("clean source reported: %s", joined)
				}
				return
			}
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("problems %q do not mention %q", joined, tc.want)
			}
		})
	}
}

var (
	// forbiddenImports do I/O or read global state.
	forbiddenImports = map[string]bool{
		"math/rand": true, "math/rand/v2": true, "crypto/rand": true,
		"os": true, "os/exec": true, "net": true, "net/http": true, "io/ioutil": true,
		"syscall": true, "unsafe": true, "log": true, "log/slog": true,
	}
	// forbiddenTimeCalls read the clock or wait on it; time.Duration and its
	// constants are fine.
	forbiddenTimeCalls = map[string]bool{
		"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
	}
)

// purityProblems parses one Go file and lists every purity violation.
func purityProblems(name string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	var problems []string
	timeNames := map[string]bool{}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: bad import %s: %w", name, imp.Path.Value, err)
		}
		if !isStandardLibrary(path) {
			problems = append(problems, fmt.Sprintf("%s imports %q, which is not in the standard library", name, path))
		}
		if forbiddenImports[path] {
			problems = append(problems, fmt.Sprintf("%s imports %q, which does I/O or reads global state", name, path))
		}
		if path == "time" {
			local := "time"
			if imp.Name != nil {
				local = imp.Name.Name
			}
			timeNames[local] = true
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			problems = append(problems, fmt.Sprintf("%s: go statement", fset.Position(n.Pos())))
		case *ast.SelectorExpr:
			if pkg, ok := n.X.(*ast.Ident); ok && timeNames[pkg.Name] && forbiddenTimeCalls[n.Sel.Name] {
				problems = append(problems, fmt.Sprintf("%s: uses %s.%s", fset.Position(n.Pos()), pkg.Name, n.Sel.Name))
			}
		}
		return true
	})
	return problems, nil
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
