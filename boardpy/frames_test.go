package boardpy

import (
	"strings"
	"testing"
)

// However the output is cut, text passes in order and each frame arrives
// whole, after the text before it; a frame over max keeps its start.
func TestFramesSplitAnywhere(t *testing.T) {
	const out = "a\x1fone\x1fbc\x1f\x1fd\x1flong-frame\x1fe"
	for cut := 1; cut <= len(out); cut++ {
		var got strings.Builder
		f := frames{mark: 0x1f, w: &got, max: 4, onFrame: func(b []byte) {
			got.WriteString("[" + string(b) + "]")
		}}
		for i := 0; i < len(out); i += cut {
			if n, err := f.write([]byte(out[i:min(i+cut, len(out))])); err != nil || n != min(cut, len(out)-i) {
				t.Fatalf("write: %d, %v", n, err)
			}
		}
		if want := "a[one]bc[]d[long]e"; got.String() != want || f.in {
			t.Errorf("pieces of %d: %q (inside a frame: %v), want %q", cut, got.String(), f.in, want)
		}
	}
}
