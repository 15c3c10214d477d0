package framing

import (
	"errors"
	"strings"
	"testing"
)

// However the output is cut, text passes in order and each frame arrives
// whole, after the text before it; a frame over Max keeps its start.
func TestSplitAnywhere(t *testing.T) {
	for _, tc := range []struct {
		name        string
		open, close byte
		out, want   string
	}{
		{"same mark", 0x1f, 0x1f, "a\x1fone\x1fbc\x1f\x1fd\x1flong-frame\x1fe", "a[one]bc[]d[long]e"},
		{"line frames", 0x1d, '\n', "a\x1done\nbc\x1d\nd\x1dlong-frame\ne\n", "a[one]bc[]d[long]e\n"},
	} {
		for cut := 1; cut <= len(tc.out); cut++ {
			var got strings.Builder
			s := Splitter{Open: tc.open, Close: tc.close, W: &got, Max: 4, OnFrame: func(b []byte) error {
				got.WriteString("[" + string(b) + "]")
				return nil
			}}
			for i := 0; i < len(tc.out); i += cut {
				if n, err := s.Write([]byte(tc.out[i:min(i+cut, len(tc.out))])); err != nil || n != min(cut, len(tc.out)-i) {
					t.Fatalf("%s: write: %d, %v", tc.name, n, err)
				}
			}
			if got.String() != tc.want || s.InFrame() {
				t.Errorf("%s, pieces of %d: %q (inside a frame: %v), want %q", tc.name, cut, got.String(), s.InFrame(), tc.want)
			}
		}
	}
}

func TestFrameErrorStopsTheWrite(t *testing.T) {
	bad := errors.New("bad frame")
	var got strings.Builder
	s := Splitter{Open: '|', Close: '|', W: &got, OnFrame: func([]byte) error { return bad }}
	if _, err := s.Write([]byte("a|x|b")); !errors.Is(err, bad) {
		t.Fatalf("err = %v, want the frame's error", err)
	}
	if got.String() != "a" {
		t.Errorf("text %q, want only what came before the frame", got.String())
	}
}
