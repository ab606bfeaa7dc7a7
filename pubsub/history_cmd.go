package pubsub

import (
	"context"
	"strconv"
	"time"

	"github.com/sentinelgo/sentinel/monitor/history"
	"github.com/sentinelgo/sentinel/pubsub/resp"
)

// HistoryController is implemented by controllers that keep the failover
// history; SENTINEL HISTORY answers from it (an error without it).
type HistoryController interface {
	History(ctx context.Context, name string) ([]history.Record, error)
}

// controllerFor starts our SENTINEL subcommands that need both a
// capability T of the controller and a known master: it returns the
// controller as T, or answers the error (sub not available, no such
// master) and reports false.
func controllerFor[T any](c *client, sub string, master []byte) (T, bool) {
	ctl, ok := c.srv.ctrl.(T)
	if !ok {
		c.err("ERR SENTINEL " + sub + " is not available")
		return ctl, false
	}
	return ctl, masterOrReply(c, c.srv.snapshot(), master) != nil
}

// cmdSentinelHistory is SENTINEL HISTORY <master-name>, ours (not in
// Redis): the master's last failovers, oldest first, each a map of
// fields as SENTINEL MASTER replies are. Times are Unix milliseconds;
// "phases" and "events" are arrays of [name, ms] and [ms, type, payload].
func cmdSentinelHistory(ctx context.Context, c *client, args [][]byte) {
	hc, ok := controllerFor[HistoryController](c, "HISTORY", args[2])
	if !ok {
		return
	}
	rs, err := hc.History(ctx, string(args[2]))
	if err != nil {
		c.replyErr(err)
		return
	}
	c.wr.ArrayLen(len(rs))
	for i := range rs {
		writeHistoryRecord(c.wr, &rs[i])
	}
}

func unixMs(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func writeHistoryRecord(w *resp.Writer, r *history.Record) {
	fields := []Field{
		{"master", r.Master}, {"start", unixMs(r.Start)}, {"end", unixMs(r.End)},
		{"duration-ms", durationMs(r)}, {"result", r.Result}, {"last-abort", r.LastAbort},
		{"attempts", strconv.Itoa(r.Attempts)}, {"leader", r.Leader},
		{"epoch", strconv.FormatUint(r.Epoch, 10)}, {"from", r.From}, {"to", r.To},
		{"dropped-events", strconv.Itoa(r.DroppedEvents)},
	}
	w.MapLen(len(fields) + 2)
	for _, f := range fields {
		w.BulkString(f.Name)
		w.BulkString(f.Value)
	}
	w.BulkString("phases")
	w.ArrayLen(len(r.Phases))
	for _, p := range r.Phases {
		w.ArrayLen(2)
		w.BulkString(p.Name)
		w.BulkString(unixMs(p.At))
	}
	w.BulkString("events")
	w.ArrayLen(len(r.Events))
	for _, e := range r.Events {
		w.ArrayLen(3)
		w.BulkString(unixMs(e.At))
		w.BulkString(e.Type)
		w.BulkString(e.Payload)
	}
}

func durationMs(r *history.Record) string {
	if r.End.IsZero() {
		return "0"
	}
	return strconv.FormatInt(r.End.Sub(r.Start).Milliseconds(), 10)
}
