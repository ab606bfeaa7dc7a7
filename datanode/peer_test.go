package datanode

import (
	"errors"
	"testing"
)

// FuzzParseIsMasterDownReply builds reply shapes go-redis can decode (arrays
// of integers, strings, nils and nested arrays) from the fuzz input and
// checks the parser never panics and accepts only the well-formed triple.
func FuzzParseIsMasterDownReply(f *testing.F) {
	f.Add(uint8(3), int64(1), "*", int64(0), uint8(0))
	f.Add(uint8(3), int64(0), "0123456789abcdef0123456789abcdef01234567", int64(12), uint8(0))
	f.Add(uint8(2), int64(1), "*", int64(0), uint8(0))
	f.Add(uint8(3), int64(2), "", int64(-1), uint8(1))
	f.Add(uint8(3), int64(1), "x", int64(1), uint8(7))
	f.Fuzz(func(t *testing.T, n uint8, down int64, leader string, epoch int64, shape uint8) {
		elems := []any{down, leader, epoch}
		// shape's bits swap element types for what a confused peer might send.
		if shape&1 != 0 {
			elems[0] = leader
		}
		if shape&2 != 0 {
			elems[1] = down
		}
		if shape&4 != 0 {
			elems[2] = []any{epoch}
		}
		if shape&8 != 0 {
			elems[1] = nil
		}
		var reply any = elems
		switch {
		case n > 5:
			reply = leader
		case int(n) <= len(elems):
			reply = elems[:n]
		default:
			reply = append(elems, int64(n))
		}
		r, err := parseIsMasterDownReply(reply)
		wellFormed := n == 3 && shape&15 == 0 && (down == 0 || down == 1) && leader != "" && epoch >= 0
		if wellFormed != (err == nil) {
			t.Fatalf("reply %#v: err = %v, well-formed = %v", reply, err, wellFormed)
		}
		if err != nil {
			if !errors.Is(err, errBadPeerReply) {
				t.Fatalf("error %v does not wrap errBadPeerReply", err)
			}
			return
		}
		if r.Down != (down == 1) || r.Leader != leader || r.LeaderEpoch != uint64(epoch) {
			t.Fatalf("parsed %+v from %#v", r, reply)
		}
	})
}
