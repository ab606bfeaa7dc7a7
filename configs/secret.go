package configs

import "github.com/sentinelgo/sentinel/settings"

// Secret is a password or other credential; it renders as "<secret>"
// (settings.Secret).
type Secret = settings.Secret
