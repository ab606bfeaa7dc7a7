package configs

import (
	"errors"

	"github.com/sentinelgo/sentinel/configs/sdsargs"
)

// errUnbalancedQuotes is sdssplitargs's failure, with Redis's wording.
var errUnbalancedQuotes = errors.New("unbalanced quotes in configuration line")

// splitArgs splits one sentinel.conf line with Redis's quoting rules
// (sdsargs.Split).
func splitArgs(line string) ([]string, error) {
	args, ok := sdsargs.Strings(line)
	if !ok {
		return nil, errUnbalancedQuotes
	}
	return args, nil
}
