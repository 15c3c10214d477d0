package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests run the command itself: the test binary re-executes itself
// with IOTKERNEL_TEST_MAIN set, and then main() runs with the arguments
// after "--".
func TestMain(m *testing.M) {
	if os.Getenv("IOTKERNEL_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"iotkernel"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "IOTKERNEL_TEST_MAIN=1", "JUPYTER_DATA_DIR="+t.TempDir())
	return cmd
}

func TestVersionAndUsage(t *testing.T) {
	out, err := command(t, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "iotkernel ") {
		t.Errorf("version: %q, %v; want \"iotkernel VERSION\"", out, err)
	}
	var stderr bytes.Buffer
	cmd := command(t, "frobnicate")
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: err %v, stderr %q; want exit status 2 naming it", err, stderr.String())
	}
	stderr.Reset()
	cmd = command(t, "kernel")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "-f CONNECTION_FILE is required") {
		t.Errorf("kernel without -f: err %v, stderr %q", err, stderr.String())
	}
}

func TestInstallPrefixAndUninstall(t *testing.T) {
	prefix := t.TempDir()
	if out, err := command(t, "install", "--prefix", prefix).CombinedOutput(); err != nil {
		t.Fatalf("install --prefix: %v: %s", err, out)
	}
	spec := filepath.Join(prefix, "share", "jupyter", "kernels", "iot", "kernel.json")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatalf("install --prefix wrote no %s: %v", spec, err)
	}
	var kj struct {
		Argv []string `json:"argv"`
	}
	if err := json.Unmarshal(data, &kj); err != nil || len(kj.Argv) == 0 || !filepath.IsAbs(kj.Argv[0]) {
		t.Errorf("kernel.json argv = %q (%v), want an absolute path first", kj.Argv, err)
	}
	if out, err := command(t, "uninstall", "--prefix", prefix).CombinedOutput(); err != nil {
		t.Fatalf("uninstall --prefix: %v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Dir(spec)); !os.IsNotExist(err) {
		t.Errorf("after uninstall the kernelspec dir is still there (%v)", err)
	}
}

// The kernel logs to stderr and --log-file at --log-level, never to
// stdout, and SIGTERM ends it cleanly within two seconds.
// connectionFile writes a connection file in dir for a kernel no test
// connects to: port 0 everywhere, so any free ports do.
func connectionFile(t *testing.T, dir string) string {
	t.Helper()
	conn, _ := json.Marshal(map[string]any{
		"ip": "127.0.0.1", "transport": "tcp", "signature_scheme": "hmac-sha256", "key": "secret",
		"shell_port": 0, "iopub_port": 0, "stdin_port": 0, "control_port": 0, "hb_port": 0,
	})
	connFile := filepath.Join(dir, "conn.json")
	if err := os.WriteFile(connFile, conn, 0o600); err != nil {
		t.Fatal(err)
	}
	return connFile
}

// waitForLog waits for what to appear in logFile, and fails the test
// after within.
func waitForLog(t *testing.T, logFile, what string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		data, _ := os.ReadFile(logFile)
		if bytes.Contains(data, []byte(what)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log file after %v: %s", what, within, data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKernelLogsAndSIGTERM(t *testing.T) {
	dir := t.TempDir()
	connFile := connectionFile(t, dir)
	logFile := filepath.Join(dir, "kernel.log")
	cmd := command(t, "kernel", "-f", connFile, "--log-file", logFile, "--log-level", "debug")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	waitForLog(t, logFile, "kernel started", 10*time.Second)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("SIGTERM: exit %v, want status 0; stderr: %s", err, stderr.String())
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("SIGTERM: exited after %v, want within 2 s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the kernel did not exit within 5 s of SIGTERM")
	}
	if stdout.Len() > 0 {
		t.Errorf("the kernel wrote to stdout: %q", stdout.String())
	}
	logged, _ := os.ReadFile(logFile)
	for _, want := range []string{"kernel started", "kernel stopped"} {
		if !bytes.Contains(logged, []byte(want)) {
			t.Errorf("log file lacks %q: %s", want, logged)
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, stderr.String())
		}
	}
	// The debug level reaches the file.
	if !bytes.Contains(logged, []byte("level=DEBUG msg=\"connection file\"")) {
		t.Errorf("--log-level debug wrote no debug lines: %s", logged)
	}

	cmd = command(t, "kernel", "-f", connFile, "--log-level", "loud")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `--log-level "loud"`) {
		t.Errorf("bad --log-level: err %v, output %q; want an error naming it", err, out)
	}
}
