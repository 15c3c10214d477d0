//go:build !unix

package router

// cpuTime is not known on this system: %%time shows the wall time only.
func cpuTime() (cpuTimes, bool) { return cpuTimes{}, false }
