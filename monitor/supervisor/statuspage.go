package supervisor

import (
	"embed"
	"io/fs"
	"net/http"
)

// statusPageFiles are the status page's HTML, script and style, built into
// the binary: no build step, no CDN, nothing fetched from elsewhere.
//
//go:embed statuspage/index.html statuspage/app.js statuspage/style.css
var statusPageFiles embed.FS

// statusPageCSP lets the page load only its own files and /status.
const statusPageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// statusPage serves the page at "/" and its files under "/static/". Any
// other path is a 404, so a typo is not answered with the page.
func statusPage() http.Handler {
	sub, err := fs.Sub(statusPageFiles, "statuspage")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", statusPageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return mux
}
