package settings

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// FencingValues are a data node's min-replicas-to-write and
// min-replicas-max-lag (seconds), the two settings fencing manages.
type FencingValues struct {
	MinReplicas int
	MaxLag      int
}

// RedisDefaultMaxLag is Redis's default min-replicas-max-lag.
const RedisDefaultMaxLag = 10

// maxFencingValue bounds both numbers (Redis keeps them in an int).
const maxFencingValue = 1<<31 - 1

// String renders the values as MasterSettings.FencingSaved holds them:
// "<min-replicas-to-write> <min-replicas-max-lag>".
func (v FencingValues) String() string {
	return strconv.Itoa(v.MinReplicas) + " " + strconv.Itoa(v.MaxLag)
}

var errFencingValues = errors.New("want <min-replicas-to-write> <min-replicas-max-lag>, two numbers from 0 to 2147483647")

// ParseFencingValues reads FencingValues.String's form back.
func ParseFencingValues(s string) (FencingValues, error) {
	a, b, ok := strings.Cut(s, " ")
	if !ok {
		return FencingValues{}, errFencingValues
	}
	n, err1 := parseFencingNumber(a)
	lag, err2 := parseFencingNumber(b)
	if err1 != nil || err2 != nil {
		return FencingValues{}, errFencingValues
	}
	return FencingValues{MinReplicas: n, MaxLag: lag}, nil
}

func parseFencingNumber(s string) (int, error) {
	if s == "" || len(s) > 10 || s[0] == '+' || s[0] == '-' {
		return 0, errFencingValues
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxFencingValue {
		return 0, errFencingValues
	}
	return n, nil
}

// FencingLag is the min-replicas-max-lag fencing sets on a master for a
// down-after period: half of it in whole seconds, at least 1, so a master
// cut off from its replicas refuses writes before the others can agree
// it is down (Redis counts a replica good while its last
// acknowledgement is at most this many seconds old).
func FencingLag(downAfter time.Duration) int {
	return max(1, int(min(downAfter/2/time.Second, maxFencingValue)))
}
