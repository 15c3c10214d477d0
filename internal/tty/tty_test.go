//go:build linux

package tty

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRawPassesEveryByte sends all 256 byte values from master to slave
// and back: none may be translated, swallowed, echoed or turned into a
// signal.
func TestRawPassesEveryByte(t *testing.T) {
	master, slave, err := Open(Raw)
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, dir := range []struct {
		name     string
		from, to interface {
			io.Reader
			io.Writer
		}
	}{{"master to slave", master, slave}, {"slave to master", slave, master}} {
		if _, err := dir.from.Write(all); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(all))
		done := make(chan error, 1)
		go func() { _, err := io.ReadFull(dir.to, got); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", dir.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: fewer than 256 bytes arrived within 5s", dir.name)
		}
		if !bytes.Equal(got, all) {
			t.Errorf("%s: bytes changed on the way:\n got %x\nwant %x", dir.name, got, all)
		}
	}
}

// TestStartDeliversCtrlCAsSIGINT runs a shell on a Board pty: 0x03 from
// the master must reach it as SIGINT, and 0x1a and 0x1c must arrive as
// data, not as SIGTSTP or SIGQUIT.
func TestStartDeliversCtrlCAsSIGINT(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Fatal("sh is needed for this test: ", err)
	}
	script := `trap 'echo got-SIGINT; exit 0' INT
echo ready
while :; do sleep 0.05; done`
	cmd := exec.Command("sh", "-c", script)
	master, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	out := make(chan string, 1)
	go func() { b, _ := io.ReadAll(master); out <- string(b) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	time.Sleep(300 * time.Millisecond) // let the trap be set
	master.Write([]byte{0x1a, 0x1c})   // must not stop or quit it
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-exited:
		t.Fatalf("0x1a/0x1c ended the process (%v): they must be data", err)
	default:
	}
	master.Write([]byte{0x03})
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("process ended with %v, want exit 0 from its INT trap", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("0x03 did not interrupt the process within 5s")
	}
	// The slave is gone with the process, so the read ends.
	if s := <-out; !strings.Contains(s, "got-SIGINT") {
		t.Errorf("process output %q lacks its trap's got-SIGINT", s)
	}
}
