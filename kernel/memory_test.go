package kernel

import (
	"sync/atomic"
	"testing"
	"time"
)

var sink []byte

// TestMemoryReleaser: light requests do not release; a run of heavy
// requests, or of light ones that allocate releaseAfter in all, releases
// once, after the run ends; the next request after a release does not
// release again by itself.
func TestMemoryReleaser(t *testing.T) {
	var releases atomic.Int32
	r := newMemoryReleaser()
	r.release = func() { releases.Add(1) }
	defer r.stop()
	// run serves n requests back to back, each allocating size bytes.
	run := func(n, size int) {
		for range n {
			sink = make([]byte, size)
			r.afterRequest()
		}
	}
	// waitFor waits until there have been want releases and then some
	// more time, and reports how many there were.
	waitFor := func(want int32) int32 {
		deadline := time.Now().Add(5 * time.Second)
		for releases.Load() < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(3 * releaseDelay)
		return releases.Load()
	}

	run(releaseAfter/heavyRequest-2, heavyRequest/2) // under half of releaseAfter in all
	if n := waitFor(0); n != 0 {
		t.Fatalf("light requests released memory %d times, want 0", n)
	}

	run(5, heavyRequest+1) // a Run All of heavy cells
	if n := releases.Load(); n != 0 {
		t.Errorf("released %d times during the run of heavy requests, want 0 until it ends", n)
	}
	if n := waitFor(1); n != 1 {
		t.Errorf("a run of heavy requests released memory %d times, want once", n)
	}

	run(1, 1<<10) // the next cell, a light one, after the pause
	if n := waitFor(1); n != 1 {
		t.Errorf("a light request after a release released again: %d releases, want 1", n)
	}

	run(2*releaseAfter/heavyRequest+2, heavyRequest/2) // light ones, over releaseAfter in all
	if n := releases.Load(); n != 1 {
		t.Errorf("released during a run of light requests: %d releases, want still 1", n)
	}
	if n := waitFor(2); n != 2 {
		t.Errorf("light requests that allocated over %d MiB in all released memory %d times in all, want 2", releaseAfter>>20, n)
	}
}
