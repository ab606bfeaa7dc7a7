package monitor

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTmpHang(t *testing.T) {
	files, _ := filepath.Glob(os.Getenv("CORPUS") + "/*")
	var corpus [][]byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := string(b)
		i := strings.Index(s, "[]byte(")
		v, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(s[i+7:]), ")"))
		if err != nil {
			t.Fatal(err)
		}
		corpus = append(corpus, []byte(v))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), corpus[rng.IntN(len(corpus))]...)
		for k := rng.IntN(8); k >= 0 && len(b) > 0; k-- {
			switch rng.IntN(3) {
			case 0:
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			case 1:
				j := rng.IntN(len(b))
				b = append(b[:j], append([]byte{byte(rng.IntN(256))}, b[j:]...)...)
			case 2:
				b = append(b, corpus[rng.IntN(len(corpus))]...)
			}
		}
		os.WriteFile("/tmp/last_input", b, 0o644)
		fuzzBody(t, b)
	}
}
