package router

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// fakeSession returns a session whose %connect opens fake boards
// (package boardtest over net.Pipe): "socket://NAME.fake:1" is a board that prints
// "NAME ran" for each cell, vanishes (its link closes, as when a cable is
// pulled) on a cell that says "vanish:NAME", and runs until interrupted
// on one that says "forever".
func fakeSession(t *testing.T, names ...string) *Session {
	t.Helper()
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("IOTKERNEL_STORE", work+"/store.json")
	t.Setenv("IOTKERNEL_BOARDS", work+"/boards.json")
	open := func(ctx context.Context, url string) (Board, error) {
		name := strings.TrimSuffix(strings.TrimPrefix(url, "socket://"), ".fake:1")
		fb := boardtest.New(boardtest.Config{RawPaste: true, Handler: func(r *boardtest.Run) {
			switch {
			case strings.Contains(r.Code, "vanish:"+name):
				r.Print(name + " vanishes\n")
				r.Vanish()
			case strings.Contains(r.Code, "forever"):
				r.Print(name + " runs\n")
				<-r.Stopped()
			default:
				r.Print(name + " ran\n")
			}
		}})
		host, board := net.Pipe()
		go fb.Serve(board)
		return transport.NewBoard(host, url, transport.Options{HandshakeTimeout: 2 * time.Second})
	}
	s, err := NewSession(Options{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, n := range names {
		if _, ce := runCell(t, s, context.Background(), "%connect -q --as "+n+" socket://"+n+".fake:1"); ce != nil {
			t.Fatalf("connect %s: %v", n, ce)
		}
	}
	return s
}

func TestParallelBoardVanishes(t *testing.T) {
	s := fakeSession(t, "a", "b", "c")
	rec, ce := runCell(t, s, context.Background(), "%%board a b c\n# vanish:b")
	if ce == nil || ce.Name != "BoardError" || !strings.HasPrefix(ce.Value, "1 of 3 boards failed: b (") {
		t.Errorf("parallel cell where b vanishes: error %v, want BoardError for b", ce)
	}
	shown := strings.Join(rec.Output().Displays, "\n")
	for _, want := range []string{"── a (socket://a.fake:1) ── ok", "a ran", "── b (socket://b.fake:1) ── error: ", "b vanishes", "── c (socket://c.fake:1) ── ok", "c ran"} {
		if !strings.Contains(shown, want) {
			t.Errorf("b vanishes: no %q in\n%s", want, shown)
		}
	}
	rec, ce = runCell(t, s, context.Background(), "%%board a c\nprint('hello')")
	if ce != nil {
		t.Fatalf("a and c after b vanished: %v", ce)
	}
	// The next cell on b tries to reopen its link, which this fake board
	// cannot: b is gone.
	if _, ce := runCell(t, s, context.Background(), "%%board b\nprint(1)"); ce == nil || ce.Name != "NoBoardError" {
		t.Errorf("cell on b after it vanished: %v, want NoBoardError", ce)
	}
	rec, _ = runCell(t, s, context.Background(), "%boards")
	if !regexp.MustCompile(`(?m)^  b +socket://b\.fake:1 +.+ +gone$`).MatchString(rec.Output().Stdout) {
		t.Errorf("%%boards after b vanished:\n%s", rec.Output().Stdout)
	}
}

func TestBackgroundBoardVanishes(t *testing.T) {
	s := fakeSession(t, "a", "b")
	_, n := startBg(t, s, "%%bg a\nvanish:a")
	_, ce := runCell(t, s, context.Background(), "%bg wait "+strconv.Itoa(n))
	if ce == nil {
		t.Fatal("bg wait of a background cell whose board vanished: no error")
	}
	t.Logf("%%bg wait: %v", ce)
	// The board is free again (gone), and the other one never was busy.
	if _, ce := runCell(t, s, context.Background(), "%%board b\nprint(1)"); ce != nil {
		t.Errorf("board b: %v", ce)
	}
	rec, _ := runCell(t, s, context.Background(), "%bg")
	if !regexp.MustCompile(`\[\d+\] +a +error: `).MatchString(rec.Output().Stdout) {
		t.Errorf("%%bg after the board vanished:\n%s", rec.Output().Stdout)
	}
}

func TestSameLinkTwice(t *testing.T) {
	s := fakeSession(t, "a")
	_, ce := runCell(t, s, context.Background(), "%connect --as other socket://a.fake:1")
	if want := "socket://a.fake:1 is already connected as a: %use a, or %disconnect a first"; ce == nil || ce.Value != want {
		t.Errorf("second connection to a's link: %v, want %q", ce, want)
	}
	// The same name again replaces the board.
	if rec, ce := runCell(t, s, context.Background(), "%connect --as a socket://a.fake:1"); ce != nil || rec.Output().Stdout != "Connected to a @ socket://a.fake:1\n" {
		t.Errorf("reconnecting a: %q, %v", rec.Output().Stdout, ce)
	}
	rec, _ := runCell(t, s, context.Background(), "%boards")
	if n := strings.Count(rec.Output().Stdout, "socket://a.fake:1"); n != 1 {
		t.Errorf("%%boards lists a's link %d times:\n%s", n, rec.Output().Stdout)
	}
}

func TestCompleteBoardNames(t *testing.T) {
	s := fakeSession(t, "alpha", "beta", "alps")
	tests := []struct {
		code  string
		want  []string
		start int
	}{
		{"%use al", []string{"alpha", "alps"}, 5},
		{"%disconnect b", []string{"beta"}, 12},
		{"%%board alpha b", []string{"beta"}, 14},
		{"%%bg ", []string{"alpha", "beta", "alps"}, 5},
		{"%%board --a", nil, 0},
	}
	for _, tt := range tests {
		c := s.Complete(context.Background(), tt.code, len(tt.code))
		if strings.Join(c.Matches, ",") != strings.Join(tt.want, ",") || (tt.want != nil && (c.CursorStart != tt.start || c.CursorEnd != len(tt.code))) {
			t.Errorf("Complete(%q) = %v at %d..%d, want %v at %d", tt.code, c.Matches, c.CursorStart, c.CursorEnd, tt.want, tt.start)
		}
	}
}
