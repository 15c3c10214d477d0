package kernel

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory release. A cell that prints a megabyte makes several transient
// copies of it (the cell's string, the stream buffer, the JSON content,
// the signed frames); Go's collector would keep those pages resident long
// after, while the kernel sits idle in the notebook. So after a heavy
// request (one that allocated heavyRequest bytes), or once requests have
// allocated releaseAfter bytes in all since the last release, the kernel
// hands freed memory back to the operating system once releaseDelay has
// passed with no request: a run of cells (a Run All, a benchmark's
// thousand trivial cells) pays for one full collection at its end, not
// one per heavy cell or every few hundred light ones, and never while a
// cell waits for it. The delay is short next to a notebook user's pauses,
// and long next to the gap between the cells of a Run All.
const (
	heavyRequest = 1 << 20
	releaseAfter = 8 << 20
	releaseDelay = 50 * time.Millisecond
)

// memoryReleaser is owned by the worker goroutine; the release itself
// runs on a timer's goroutine, so no request ever waits for it.
type memoryReleaser struct {
	sample  []metrics.Sample
	prev    uint64 // cumulative heap allocations after the previous request
	last    uint64 // cumulative heap allocations when last armed
	armed   bool   // a release is due once requests pause
	timer   *time.Timer
	release func() // debug.FreeOSMemory; tests count calls instead
}

func newMemoryReleaser() *memoryReleaser {
	r := &memoryReleaser{sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}, release: debug.FreeOSMemory}
	r.last = r.allocated()
	r.prev = r.last
	return r
}

func (r *memoryReleaser) allocated() uint64 {
	metrics.Read(r.sample)
	if r.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return r.sample[0].Value.Uint64()
}

// afterRequest is called by the worker after each shell request. It costs
// one metrics read, and while a release is due, moving its timer.
func (r *memoryReleaser) afterRequest() {
	now := r.allocated()
	heavy := now-r.prev >= heavyRequest
	r.prev = now
	if r.armed && !r.timer.Stop() {
		r.armed = false // it went off: the memory went back since
	}
	if heavy || now-r.last >= releaseAfter {
		r.last = now
		r.armed = true
	}
	if !r.armed {
		return
	}
	if r.timer == nil {
		r.timer = time.AfterFunc(releaseDelay, r.release)
		return
	}
	r.timer.Reset(releaseDelay)
}

// stop cancels a pending release (at shutdown).
func (r *memoryReleaser) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
}
