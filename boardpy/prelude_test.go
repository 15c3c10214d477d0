package boardpy

import (
	"strings"
	"testing"
)

// TestPrelude checks that a snippet gets the helpers it names, those
// they need, and no others: a micro:bit has room for little source.
func TestPrelude(t *testing.T) {
	tests := []struct {
		body      string
		want, not []string
	}{
		{"print(_ik_hash(p))\n",
			[]string{"def _ik_hash(", "def _ik_hasher(", "def _ik_mod(", "def _ik_sum(", "def _ik_digest(", "def _ik_hexs("},
			[]string{"_ik_os", "def _ik_stat(", "def _ik_join("}},
		{"s = _ik_stat('x')\n",
			[]string{"def _ik_mod(", "_ik_os = _ik_mod('os')", "def _ik_stat(", "def _ik_isdir("},
			[]string{"def _ik_hash(", "def _ik_join("}},
		{"_ik_hashes = 1\nx_ik_stat = 2\n", nil, []string{"def "}},
		{"print(1)\n", nil, []string{"def ", "import"}},
	}
	for _, tt := range tests {
		got := prelude(tt.body)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("prelude(%q) lacks %q:\n%s", tt.body, w, got)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("prelude(%q) has %q, which it does not use:\n%s", tt.body, n, got)
			}
		}
	}
}

// prelude finds what helpers use in one pass, which needs each helper
// to use only helpers listed before it.
func TestHelpersUseOnlyEarlierOnes(t *testing.T) {
	for i, h := range helpers {
		for _, later := range helpers[i+1:] {
			if mentions(h.code, later.name) {
				t.Errorf("helper %s uses %s, which is listed after it", h.name, later.name)
			}
		}
	}
}

func TestUploadChunk(t *testing.T) {
	tests := []struct {
		limit int
		free  string
		b64   bool
		want  int
	}{
		{2048, "", false, 2048},                 // the board said nothing
		{2048, "100000", true, 2048},            // an ESP32: the limit
		{2048, "6000", false, 6000/16&^63 + 64}, // a micro:bit, bytes literals
		{2048, "10", false, 64},                 // never less than 64
		{2048, "junk", false, 2048},
	}
	for _, tt := range tests {
		if got := uploadChunk(tt.limit, tt.free, tt.b64); got != tt.want {
			t.Errorf("uploadChunk(%d, %q, %v) = %d, want %d", tt.limit, tt.free, tt.b64, got, tt.want)
		}
	}
}
