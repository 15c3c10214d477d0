package kernel

import (
	"sync/atomic"
	"testing"
	"time"
)

var sink []byte

// TestMemoryReleaser: light requests do not release; a run of heavy ones
// releases once, after the last of them; so do enough light ones.
func TestMemoryReleaser(t *testing.T) {
	var releases atomic.Int32
	r := newMemoryReleaser()
	r.release = func() { releases.Add(1) }
	defer r.stop()

	for range releaseAfter / heavyRequest / 4 { // a quarter of releaseAfter in all
		sink = make([]byte, heavyRequest/2)
		r.afterRequest()
	}
	time.Sleep(3 * releaseDelay)
	if n := releases.Load(); n != 0 {
		t.Fatalf("light requests released memory %d times, want 0", n)
	}

	for range 5 {
		sink = make([]byte, heavyRequest+1)
		r.afterRequest() // a Run All of heavy cells, back to back
	}
	if n := releases.Load(); n != 0 {
		t.Errorf("released %d times during the run of heavy requests, want 0 until it ends", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for releases.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(3 * releaseDelay)
	if n := releases.Load(); n != 1 {
		t.Errorf("a run of heavy requests released memory %d times, want once", n)
	}

	// Light requests that allocate releaseAfter in all: once more.
	for range releaseAfter / (heavyRequest / 2) {
		sink = make([]byte, heavyRequest/2)
		r.afterRequest()
	}
	deadline = time.Now().Add(5 * time.Second)
	for releases.Load() == 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(3 * releaseDelay)
	if n := releases.Load(); n != 2 {
		t.Errorf("light requests that allocated %d MiB in all released memory %d times in all, want 2", releaseAfter>>20, n)
	}
}
