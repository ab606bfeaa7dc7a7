package pubsub

import (
	"sync"
	"syscall"
)

// osName is INFO's os field, as Redis prints it: uname's system name,
// release and machine, asked once (Redis calls uname once too).
var osName = sync.OnceValue(func() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "Linux"
	}
	return utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
})

// utsString reads a NUL-terminated utsname field (int8 or uint8 per
// architecture).
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
