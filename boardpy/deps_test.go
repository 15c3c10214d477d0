package boardpy_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDeps holds the package graph the doc comment promises: boardpy
// depends on nothing of the project but pysource and store (and the
// internal/ helpers they use), and the
// transport, which runs its programs, does not depend on boardpy.
func TestDeps(t *testing.T) {
	const mod = "github.com/iotkernel/iotkernel/"
	deps := func(pkg string) []string {
		t.Helper()
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		var ours []string
		for _, p := range strings.Fields(string(out)) {
			if strings.HasPrefix(p, mod) {
				ours = append(ours, strings.TrimPrefix(p, mod))
			}
		}
		return ours
	}
	for _, p := range deps("boardpy") {
		switch p {
		case "boardpy", "pysource", "store":
		default:
			if strings.HasPrefix(p, "internal/") {
				continue
			}
			t.Errorf("boardpy depends on %s", p)
		}
	}
	for _, p := range deps("transport") {
		if p == "boardpy" {
			t.Error("transport depends on boardpy")
		}
	}
}
