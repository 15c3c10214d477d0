package transport

import (
	"bytes"
	"slices"
	"testing"
)

// TestRequestFilter takes requests out of output split at every byte.
func TestRequestFilter(t *testing.T) {
	const in = "ab\x18req one\r\ncd\x18r2\n\x18\nef\x18not mine\n!\n"
	for size := 1; size <= len(in); size++ {
		var out bytes.Buffer
		var reqs []string
		f := &requestFilter{w: &out, serve: func(req string) (bool, error) {
			reqs = append(reqs, req)
			return req != "not mine", nil
		}}
		for i := 0; i < len(in); i += size {
			f.Write([]byte(in[i:min(i+size, len(in))]))
		}
		if want := "abcdef\x18not mine\n!\n"; out.String() != want || !slices.Equal(reqs, []string{"req one", "r2", "", "not mine"}) {
			t.Errorf("in pieces of %d: output %q, requests %q; want %q and [req one r2 \"\" not mine]", size, out.String(), reqs, want)
		}
	}
}
