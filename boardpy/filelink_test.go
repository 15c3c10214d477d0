package boardpy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/boardprog"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// webreplBoard opens MicroPython's own WebREPL on the Unix port, whose
// link carries WebREPL's file protocol.
func webreplBoard(t *testing.T) *transport.Board {
	t.Helper()
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wb := realboard.WebREPL(t, "pw", prog, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := transport.Open(transport.WithPassword(ctx, "pw"), wb.URL, transport.Options{})
	if err != nil {
		t.Fatalf("open the WebREPL board: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// countingLink counts the programs run and the file-protocol transfers.
type countingLink struct {
	*transport.Board
	execs, reads, writes int
	corrupt              bool // flip a byte on the way
	refuse               bool // answer as a link without a file protocol
}

func (c *countingLink) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	c.execs++
	return c.Board.Exec(ctx, code, stdout, stderr)
}

func (c *countingLink) ReadFile(ctx context.Context, path string) ([]byte, error) {
	c.reads++
	if c.refuse {
		return nil, errors.ErrUnsupported
	}
	return c.Board.ReadFile(ctx, path)
}

func (c *countingLink) WriteFile(ctx context.Context, path string, data []byte) error {
	c.writes++
	if c.refuse {
		return errors.ErrUnsupported
	}
	if c.corrupt && len(data) > 0 {
		data = bytes.Clone(data)
		data[len(data)/2] ^= 0xFF
	}
	return c.Board.WriteFile(ctx, path, data)
}

func TestFileLink(t *testing.T) {
	b := webreplBoard(t)
	ctx := context.Background()
	// WebREPL's header holds names of at most 63 bytes: a relative name.
	dir := "iktest" + strings.ReplaceAll(t.Name(), "/", "_")
	runOn(t, b, "import os\ntry:\n os.mkdir('"+dir+"')\nexcept OSError:\n pass\n")
	t.Cleanup(func() {
		runOn(t, b, "import os\nfor n in os.listdir('"+dir+"'):\n os.remove('"+dir+"/'+n)\nos.rmdir('"+dir+"')\n")
	})
	data := make([]byte, 64<<10)
	rand.Read(data)

	t.Run("Native", func(t *testing.T) {
		l := &countingLink{Board: b}
		if err := boardpy.Write(ctx, l, dir+"/a.bin", data, boardpy.WriteOptions{}); err != nil {
			t.Fatalf("Write: %v", err)
		}
		back, err := boardpy.Read(ctx, l, dir+"/a.bin", nil)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("Read: %d bytes, %v", len(back), err)
		}
		// One transfer each way, and one program each to verify the hash.
		if l.writes != 1 || l.reads != 1 || l.execs != 2 {
			t.Errorf("writes %d, reads %d, programs %d; want 1, 1, 2", l.writes, l.reads, l.execs)
		}
		checkClean(t, b)
	})
	t.Run("Corrupt", func(t *testing.T) {
		l := &countingLink{Board: b, corrupt: true}
		err := boardpy.Write(ctx, l, dir+"/c.bin", data, boardpy.WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), "hash mismatch") {
			t.Fatalf("Write through a link that flips a byte: %v, want a hash mismatch", err)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		l := &countingLink{Board: b, refuse: true}
		if err := boardpy.Write(ctx, l, dir+"/r.bin", data[:5000], boardpy.WriteOptions{}); err != nil {
			t.Fatalf("Write falling back to the REPL: %v", err)
		}
		back, err := boardpy.Read(ctx, l, dir+"/r.bin", nil)
		if err != nil || !bytes.Equal(back, data[:5000]) {
			t.Fatalf("Read falling back to the REPL: %d bytes, %v", len(back), err)
		}
		if l.writes != 1 || l.reads != 1 || l.execs < 3 {
			t.Errorf("writes %d, reads %d, programs %d; want the REPL programs after one refusal each", l.writes, l.reads, l.execs)
		}
	})
	t.Run("BoardRefuses", func(t *testing.T) {
		// The board itself refuses: its WebREPL cannot open the file
		// and drops the link; the REPL path then says why.
		_, err := boardpy.Read(ctx, b, dir+"/none.bin", nil)
		var ee *transport.ExecError
		if !errors.As(err, &ee) || ee.Type != "OSError" || !strings.Contains(ee.Value, "ENOENT") {
			t.Fatalf("Read of a missing file: %v, want the REPL program's OSError ENOENT", err)
		}
		err = boardpy.Write(ctx, b, dir+"/nodir/x.bin", data[:10], boardpy.WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), "cannot open") {
			t.Fatalf("Write into a missing directory: %v, want the REPL's cannot-open error", err)
		}
		checkClean(t, b)
	})
}
