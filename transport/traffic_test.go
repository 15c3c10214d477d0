package transport

import (
	"context"
	"testing"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// TestTrafficAndGeneration checks the byte counters against what a plain
// raw cell must cost (the code and its 0x04 out; "OK", the output and the
// end markers back), and that a reset moves the generation and a cell
// does not.
func TestTrafficAndGeneration(t *testing.T) {
	b, _, _ := openFake(t, boardtest.Config{SoftRebootLine: "MPY: soft reboot", RawPaste: true}, 0, testOptions())
	gen := b.Generation()
	s0, r0 := b.Traffic()
	mustExec(t, b, "print('hi')")
	s1, r1 := b.Traffic()
	if sent := s1 - s0; sent != int64(len("print('hi')")+1) {
		t.Errorf("sent %d bytes for a plain raw cell, want %d", sent, len("print('hi')")+1)
	}
	if got := r1 - r0; got < int64(len("OKhi\r\n\x04\x04>")) {
		t.Errorf("received %d bytes, want at least %d", got, len("OKhi\r\n\x04\x04>"))
	}
	if b.Generation() != gen {
		t.Errorf("a cell changed the generation")
	}
	if err := b.SoftReset(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if b.Generation() == gen {
		t.Errorf("a soft reset left the generation at %d", gen)
	}
}
