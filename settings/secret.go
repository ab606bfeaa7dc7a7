package settings

import (
	"log/slog"
)

// redacted is what every rendering of a Secret prints.
const redacted = "<secret>"

// Secret is a password or other credential. Its String, MarshalYAML and
// LogValue methods all return "<secret>", so neither fmt, yaml.v3 nor slog
// can leak it; call Reveal where the real value is needed (AUTH).
type Secret string

// String returns "<secret>" (never the value).
func (s Secret) String() string { return redacted }

// GoString returns "<secret>" so %#v does not leak the value either.
func (s Secret) GoString() string { return redacted }

// MarshalYAML returns "<secret>": a marshalled Config is safe to print.
// The state file writes the real value (configs/state.go renders
// every string field itself).
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// LogValue makes slog print "<secret>".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the real value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }
