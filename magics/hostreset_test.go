package magics

import (
	"context"
	"testing"
)

func TestHostReset(t *testing.T) {
	r := NewRegistry(Options{})
	for _, c := range []struct {
		lost []string
		want string
	}{
		{nil, "A fresh Go interpreter is ready; no Go definitions were lost (there were none). The board and %store are untouched.\n"},
		{[]string{"x"}, "A fresh Go interpreter is ready; lost the Go definition of x. The board and %store are untouched.\n"},
		{[]string{"f", "x"}, "A fresh Go interpreter is ready; lost 2 Go definitions: f, x. The board and %store are untouched.\n"},
	} {
		env := newFakeEnv(t)
		env.lost = c.lost
		if err := r.Run(context.Background(), "hostreset", env); err != nil {
			t.Fatal(err)
		}
		if got := env.stdout.String(); got != c.want || env.resets != 1 {
			t.Errorf("%%hostreset with %q lost: %q after %d resets, want %q after 1", c.lost, got, env.resets, c.want)
		}
	}
	env := newFakeEnv(t)
	if err := r.Run(context.Background(), "hostreset now", env); err == nil || env.resets != 0 {
		t.Errorf("%%hostreset now: err %v after %d resets, want a usage error and no reset", err, env.resets)
	}
}
