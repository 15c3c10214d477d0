package magics

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// clockBoard answers every Exec with a fixed text, as the board's time
// snippet would print it.
type clockBoard struct{ answer string }

func (b clockBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	_, err := io.WriteString(stdout, b.answer)
	return err
}
func (clockBoard) SoftReset(context.Context, io.Writer) error { return nil }
func (clockBoard) HardReset(context.Context, io.Writer) error { return nil }
func (clockBoard) URL() string                                { return "clock://" }
func (clockBoard) Protocol() string                           { return "raw" }

// TestGetTimeAcrossASecond reads a board clock that is right while the
// host's second ticks over between asking and hearing back.
func TestGetTimeAcrossASecond(t *testing.T) {
	before := time.Date(2026, 3, 4, 5, 6, 7, 990_000_000, time.Local)
	// Just after a tick, a coarse board clock (the Unix port's time())
	// may still be in the last second.
	justAfter := time.Date(2026, 3, 4, 5, 6, 8, 2_000_000, time.Local)
	tests := []struct {
		start time.Time // the host's clock when it asks
		board string    // the board's answer
		want  string
	}{
		{before, "time=2026 3 4 5 6 7\nepoch=1970\nrtc=1\n", "the board's clock is right (to the second)\n"},
		{before, "time=2026 3 4 5 6 8\nepoch=1970\nrtc=1\n", "the board's clock is right (to the second)\n"},
		{justAfter, "time=2026 3 4 5 6 7\nepoch=1970\nrtc=1\n", "the board's clock is right (to the second)\n"},
		{before, "time=2026 3 4 5 6 5\nepoch=1970\nrtc=1\n", "the board's clock is 2s behind: %synctime sets it\n"},
		{before, "time=2026 3 4 5 6 10\nepoch=1970\nrtc=1\n", "the board's clock is 2s ahead: %synctime sets it\n"},
	}
	for _, tt := range tests {
		env := newFakeEnv(t)
		env.board = clockBoard{tt.board}
		// The host reads its clock before and after the board answers.
		calls := 0
		now := func() time.Time {
			calls++
			if calls == 1 {
				return tt.start
			}
			return tt.start.Add(20 * time.Millisecond)
		}
		r := NewRegistry(Options{Now: now})
		out := mustRun(t, r, env, "gettime")
		if !strings.Contains(out, tt.want) {
			t.Errorf("host at %v, board %q: %%gettime printed\n%s\nwant a line %q", tt.start.Format("15:04:05.000"), tt.board, out, tt.want)
		}
	}
}

// TestGetTimeNoCalendar is the micro:bit, whose time module has ticks
// but no localtime.
func TestGetTimeNoCalendar(t *testing.T) {
	env := newFakeEnv(t)
	env.board = clockBoard{"time=none\n"}
	r := NewRegistry(Options{})
	_, err := runMagic(t, r, env, "gettime")
	if err == nil || !strings.Contains(err.Error(), "no calendar clock") {
		t.Errorf("%%gettime on a board without localtime = %v, want an error saying it has no calendar clock", err)
	}
}
