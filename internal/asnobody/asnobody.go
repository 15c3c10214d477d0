// Package asnobody owns one helper of tests about file permissions: root
// may write any file, so a test that needs a user whom a file's mode keeps
// out runs itself again, as root, under the unprivileged user nobody.
package asnobody

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OpenDir returns a new temporary directory that nobody may write in, its
// parents made searchable.
func OpenDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	os.Chmod(dir, 0o777)
	return dir
}

// Rerun runs the test called test of the running test binary again as
// nobody (setpriv, from util-linux), with env added to its environment,
// and fails t unless it passes. The binary is copied into dir, which
// nobody must be able to read (OpenDir).
func Rerun(t *testing.T, dir, test string, env ...string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("as root, this test needs setpriv (apt-get install util-linux) to act as nobody: %v", err)
	}
	bin := filepath.Join(dir, filepath.Base(os.Args[0]))
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin,
		"-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
