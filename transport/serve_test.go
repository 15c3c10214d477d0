package transport

import (
	"bytes"
	"slices"
	"testing"
)

// TestRequestFilter takes requests out of output split at every byte.
func TestRequestFilter(t *testing.T) {
	const in = "ab\x18req one\r\ncd\x18r2\n\x18\nef\n"
	for size := 1; size <= len(in); size++ {
		var out bytes.Buffer
		var reqs []string
		f := &requestFilter{w: &out, serve: func(req string) error {
			reqs = append(reqs, req)
			return nil
		}}
		for i := 0; i < len(in); i += size {
			f.Write([]byte(in[i:min(i+size, len(in))]))
		}
		if out.String() != "abcdef\n" || !slices.Equal(reqs, []string{"req one", "r2", ""}) {
			t.Errorf("in pieces of %d: output %q, requests %q; want %q and [req one r2 \"\"]", size, out.String(), reqs, "abcdef\n")
		}
	}
}
