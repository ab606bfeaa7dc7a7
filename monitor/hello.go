package monitor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HelloChannel is the pub/sub channel sentinels announce themselves on.
const HelloChannel = "__sentinel__:hello"

// maxHelloLen bounds what ParseHello accepts; a real hello is under 300 bytes.
const maxHelloLen = 1024

// ErrBadHello is wrapped by every ParseHello error.
var ErrBadHello = errors.New("monitor: malformed hello message")

// String encodes the hello as the 8 comma-separated fields of
// sentinelSendHello: ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch.
func (h Hello) String() string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString(h.SentinelAddr.Host)
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(h.SentinelAddr.Port))
	b.WriteByte(',')
	b.WriteString(h.RunID)
	b.WriteByte(',')
	b.WriteString(strconv.FormatUint(h.CurrentEpoch, 10))
	b.WriteByte(',')
	b.WriteString(h.MasterName)
	b.WriteByte(',')
	b.WriteString(h.MasterAddr.Host)
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(h.MasterAddr.Port))
	b.WriteByte(',')
	b.WriteString(strconv.FormatUint(h.MasterConfigEpoch, 10))
	return b.String()
}

// ParseHello decodes a hello payload. Like Redis it requires exactly 8
// fields; unlike Redis it also rejects empty names, ports outside 1..65535,
// non-numeric epochs and run ids that are not 40 characters, so a garbage
// message can never create a peer.
func ParseHello(payload string) (Hello, error) {
	if len(payload) > maxHelloLen {
		return Hello{}, fmt.Errorf("%w: %d bytes", ErrBadHello, len(payload))
	}
	f := strings.Split(payload, ",")
	if len(f) != 8 {
		return Hello{}, fmt.Errorf("%w: %d fields, want 8", ErrBadHello, len(f))
	}
	var h Hello
	var err error
	if f[0] == "" {
		return Hello{}, fmt.Errorf("%w: empty sentinel ip", ErrBadHello)
	}
	h.SentinelAddr.Host = f[0]
	if h.SentinelAddr.Port, err = parsePort(f[1]); err != nil {
		return Hello{}, fmt.Errorf("%w: sentinel port: %w", ErrBadHello, err)
	}
	if len(f[2]) != 40 {
		return Hello{}, fmt.Errorf("%w: run id %q is not 40 characters", ErrBadHello, f[2])
	}
	h.RunID = f[2]
	if h.CurrentEpoch, err = strconv.ParseUint(f[3], 10, 64); err != nil {
		return Hello{}, fmt.Errorf("%w: current epoch: %w", ErrBadHello, err)
	}
	if f[4] == "" {
		return Hello{}, fmt.Errorf("%w: empty master name", ErrBadHello)
	}
	h.MasterName = f[4]
	if f[5] == "" {
		return Hello{}, fmt.Errorf("%w: empty master ip", ErrBadHello)
	}
	h.MasterAddr.Host = f[5]
	if h.MasterAddr.Port, err = parsePort(f[6]); err != nil {
		return Hello{}, fmt.Errorf("%w: master port: %w", ErrBadHello, err)
	}
	if h.MasterConfigEpoch, err = strconv.ParseUint(f[7], 10, 64); err != nil {
		return Hello{}, fmt.Errorf("%w: master config epoch: %w", ErrBadHello, err)
	}
	return h, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d out of range", p)
	}
	return p, nil
}
