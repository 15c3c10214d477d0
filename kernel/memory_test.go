package kernel

import (
	"sync/atomic"
	"testing"
	"time"
)

var sink []byte

// TestMemoryReleaser: light requests never release; a run of heavy ones
// releases once, after the last of them.
func TestMemoryReleaser(t *testing.T) {
	var releases atomic.Int32
	r := newMemoryReleaser()
	r.release = func() { releases.Add(1) }
	defer r.stop()

	for range 50 {
		sink = make([]byte, 1<<10)
		r.afterRequest()
	}
	time.Sleep(3 * releaseDelay)
	if n := releases.Load(); n != 0 {
		t.Fatalf("light requests released memory %d times, want 0", n)
	}

	for range 5 {
		sink = make([]byte, releaseAfter+1)
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
}
