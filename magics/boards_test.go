package magics

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseBoardsCell(t *testing.T) {
	r := NewRegistry(Options{})
	tests := []struct {
		args  string
		names []string
		all   bool
		err   string
	}{
		{"a", []string{"a"}, false, ""},
		{"a b  c", []string{"a", "b", "c"}, false, ""},
		{"a b a", []string{"a", "b"}, false, ""},
		{"--all", nil, true, ""},
		{"-all", nil, true, ""},
		{"", nil, false, "name the boards to run on"},
		{"a --all", nil, false, "not both"},
		{"--every", nil, false, "flag provided but not defined: -every"},
	}
	for _, tt := range tests {
		got, err := r.ParseBoardsCell(tt.args)
		if tt.err != "" {
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseBoardsCell(%q) error = %v, want a UsageError with %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got.Names, tt.names) || got.All != tt.all {
			t.Errorf("ParseBoardsCell(%q) = %+v, %v; want %v all=%v", tt.args, got, err, tt.names, tt.all)
		}
	}
}

func TestUnknownBoardError(t *testing.T) {
	tests := []struct {
		name  string
		known []string
		want  string
	}{
		{"esp23", []string{"esp32", "pico"}, `no board named "esp23" is connected: did you mean esp32? (%boards lists them)`},
		{"zzz", []string{"esp32", "pico"}, `no board named "zzz" is connected: the boards are esp32, pico`},
		{"a", nil, `no board named "a" is connected (none is: %connect [--as NAME] NAME|URL connects one)`},
	}
	for _, tt := range tests {
		if got := (&UnknownBoardError{Name: tt.name, Known: tt.known}).Error(); got != tt.want {
			t.Errorf("UnknownBoardError(%q, %v) = %q, want %q", tt.name, tt.known, got, tt.want)
		}
	}
}
