package linesim

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/realboard"
)

// The tests check that bytes pass unchanged and are counted; they assert
// no timing (the benchmark reports rates, it does not judge them here).

func TestWireCarriesBytesUnchanged(t *testing.T) {
	for _, rate := range []int64{0, 1 << 20} {
		var w Wire
		w.rate.Store(rate)
		data := make([]byte, 20000)
		rand.Read(data)
		src, feed := io.Pipe()
		var got bytes.Buffer
		done := make(chan struct{})
		go func() { w.run(&got, src); close(done) }()
		go func() {
			// Uneven writes, as a host's come.
			for off := 0; off < len(data); {
				n := min(1+off%700, len(data)-off)
				feed.Write(data[off : off+n])
				off += n
			}
			feed.Close()
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("rate %d: the wire did not finish", rate)
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Errorf("rate %d: %d bytes came out, not the %d that went in", rate, got.Len(), len(data))
		}
		if w.Bytes() != int64(len(data)) || w.pending.Load() != 0 {
			t.Errorf("rate %d: counted %d delivered, %d pending; want %d, 0", rate, w.Bytes(), w.pending.Load(), len(data))
		}
	}
}

// TestBoardBehindLine runs one raw REPL cell on the real Unix port through
// an unthrottled line. Without the port it skips, or fails where real
// boards are required (package realboard says when).
func TestBoardBehindLine(t *testing.T) {
	mp := realboard.UnixPort(t)
	board, err := StartBoard(mp, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	line, err := NewLine(board, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer line.Close()

	port, err := os.OpenFile(line.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	got := make(chan []byte, 1)
	go func() {
		var all []byte
		buf := make([]byte, 256)
		for !bytes.HasSuffix(all, []byte("\x04\x04>")) {
			n, err := port.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- all
	}()
	if _, err := port.Write([]byte("\r\x01print(6 * 7)\x04")); err != nil {
		t.Fatal(err)
	}
	select {
	case all := <-got:
		if !bytes.Contains(all, []byte("raw REPL; CTRL-B to exit\r\n>OK42\r\n\x04\x04>")) {
			t.Errorf("the board answered %q", all)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no answer from the board through the line")
	}
	if line.Up.Bytes() == 0 || line.Down.Bytes() == 0 {
		t.Errorf("bytes counted: up %d, down %d", line.Up.Bytes(), line.Down.Bytes())
	}
	port.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := line.Quiesce(ctx, 20*time.Millisecond); err != nil {
		t.Error(err)
	}
}
