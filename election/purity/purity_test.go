package purity

import (
	"strings"
	"testing"
)

// TestCheckSource_DetectsViolations proves the checker is not vacuous.
func TestCheckSource_DetectsViolations(t *testing.T) {
	strict := Rules{}
	core := Rules{AllowedImports: []string{"github.com/sentinelgo/sentinel/election"}, InjectedRandom: true, PureNetHelpers: []string{"JoinHostPort"}}
	tests := []struct {
		name  string
		rules Rules
		src   string
		want  string
	}{
		{"clock", strict, "package x\nimport \"time\"\nvar _ = time.Now()", "time.Now"},
		{"renamed clock import", strict, "package x\nimport t \"time\"\nfunc f() { t.Sleep(1) }", "t.Sleep"},
		{"goroutine", strict, "package x\nfunc f() { go f() }", "go statement"},
		{"non-std import", strict, "package x\nimport _ \"github.com/sentinelgo/sentinel/monitor\"", "not in the standard library"},
		{"allowed project import", core, "package x\nimport _ \"github.com/sentinelgo/sentinel/election\"", ""},
		{"randomness when not injected", strict, "package x\nimport _ \"math/rand/v2\"", "math/rand/v2"},
		{"global source", core, "package x\nimport \"math/rand/v2\"\nvar _ = rand.IntN(3)", "global source"},
		{"injected source", core, "package x\nimport \"math/rand/v2\"\nvar _ = rand.New(rand.NewPCG(1, 2))", ""},
		{"file I/O", strict, "package x\nimport \"os\"\nvar _ = os.Args", "os"},
		{"logging", core, "package x\nimport _ \"log/slog\"", "logging"},
		{"concurrency", core, "package x\nimport _ \"sync\"", "concurrency"},
		{"net I/O", core, "package x\nimport \"net\"\nvar _, _ = net.Dial(\"tcp\", \"x\")", "net.Dial"},
		{"pure net helper", core, "package x\nimport \"net\"\nvar _ = net.JoinHostPort(\"a\", \"1\")", ""},
		{"clean", strict, "package x\nimport \"time\"\nvar _ time.Duration = time.Second", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := CheckSource("x.go", []byte(tc.src), tc.rules)
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
