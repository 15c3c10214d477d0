package transport

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// fakeLink connects Boards to a boardtest.Board; each dial is a fresh
// pipe, as if the board was plugged in again.
type fakeLink struct {
	t    testing.TB
	fb   *boardtest.Board
	rate int
	wrap func(io.ReadWriteCloser) io.ReadWriteCloser // host side, optional
	// signal makes interrupts the board's Interrupt, as SIGINT to a
	// local board's process, instead of a 0x03 on the line.
	signal bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	dials  int
}

func (l *fakeLink) dial(ctx context.Context) (link, error) {
	host, board := boardtest.Pipe(l.rate)
	l.mu.Lock()
	l.dials++
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.fb.Serve(board)
	}()
	var rw io.ReadWriteCloser = host
	if l.wrap != nil {
		rw = l.wrap(host)
	}
	lk := link{rw: rw}
	if l.signal {
		lk.signal = func() error { l.fb.Interrupt(); return nil }
	}
	return lk, nil
}

func (l *fakeLink) dialCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dials
}

// testOptions are quick to fail: tests wait on markers, never on these.
func testOptions() Options {
	return Options{HandshakeTimeout: 2 * time.Second, ReconnectTimeout: 2 * time.Second}
}

// openFake opens a Board on a new fake board.
func openFake(t testing.TB, cfg boardtest.Config, rate int, opts Options) (*Board, *boardtest.Board, *fakeLink) {
	t.Helper()
	fl := &fakeLink{t: t, fb: boardtest.New(cfg), rate: rate}
	b, err := openWith(t, fl, opts)
	if err != nil {
		t.Fatalf("open fake board: %v", err)
	}
	return b, fl.fb, fl
}

// testPasteGrace is the boards' raw-paste grace in these tests: boards
// without raw-paste are opened often, and each open waits for it once.
var testPasteGrace = 100 * time.Millisecond

func openWith(t testing.TB, fl *fakeLink, opts Options) (*Board, error) {
	t.Helper()
	b := newBoard("fake://board", fl.dial, opts)
	b.intWait = 200 * time.Millisecond
	b.pasteGrace = testPasteGrace
	t.Cleanup(func() {
		b.Close()
		fl.wg.Wait()
	})
	lk, err := b.dialRetry(context.Background(), true)
	if err != nil {
		return nil, err
	}
	if err := b.start(context.Background(), lk); err != nil {
		return nil, err
	}
	return b, nil
}
