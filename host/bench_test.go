package host

import (
	"context"
	"io"
	"testing"
)

// BenchmarkTrivialCell is the host side of make bench's trivial round
// trip: "x := 1", run again and again in one interpreter.
func BenchmarkTrivialCell(b *testing.B) {
	in, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	cellIO := IO{Stdout: io.Discard, Stderr: io.Discard}
	if _, err := in.Eval(context.Background(), "y := 2", cellIO); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := in.Eval(context.Background(), "x := 1", cellIO); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewInterp is what a kernel's first %%host cell, and every
// %hostreset, pays for a fresh interpreter.
func BenchmarkNewInterp(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		in, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		in.Close()
	}
}
