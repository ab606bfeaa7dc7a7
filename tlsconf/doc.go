// Package tlsconf turns Redis's tls-* settings into a crypto/tls server
// configuration for the sentinel port, and keeps it current: the
// certificate, key and CA files are read again when they change (checked
// at most once a second, on a handshake) or when Reload is called
// (SIGHUP), without touching open connections.
//
// It refuses what it cannot honour instead of ignoring it: an unknown
// protocol or cipher name, an OpenSSL cipher expression, a TLS 1.3 suite
// list Go cannot restrict to, an encrypted key without its password
// (tls-key-file-pass, tls-client-key-file-pass).
//
// It must never log a key or a passphrase.
package tlsconf
