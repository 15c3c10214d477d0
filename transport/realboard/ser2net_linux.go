package realboard

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/internal/tty"
	"github.com/iotkernel/iotkernel/transport/boardprog"
)

// UnixPortPTY starts the MicroPython Unix port with the board program on
// a pty (0x03 interrupts it, as on a board's UART) and returns the path of
// a second pty whose bytes are bridged to it: a device a serial server
// such as ser2net opens as it opens /dev/ttyUSB0, once the board is idle
// at its prompt (the banner is not passed on). It stops both at cleanup.
func UnixPortPTY(t testing.TB) string {
	t.Helper()
	mp := UnixPort(t)
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(boardprog.Args(mp, prog)[0], boardprog.Args(mp, prog)[1:]...)
	boardSide, err := tty.Start(cmd)
	if err != nil {
		Missing(t, "start %s on a pty: %v", mp, err)
	}
	exited := waitFor(cmd)
	// The board is idle once its banner and prompt came: a Ctrl-C from a
	// host that connects sooner would stop the board program as it starts.
	var banner []byte
	buf := make([]byte, 512)
	boardSide.SetReadDeadline(time.Now().Add(20 * time.Second))
	for !strings.HasSuffix(string(banner), ">>> ") {
		n, err := boardSide.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			Missing(t, "%s printed no prompt on its pty: %v (it printed %q)", mp, err, banner)
		}
		banner = append(banner, buf[:n]...)
	}
	boardSide.SetReadDeadline(time.Time{})
	master, slave, err := tty.Open(tty.Raw)
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	copied := make(chan struct{}, 2)
	go func() { io.Copy(boardSide, master); copied <- struct{}{} }()
	go func() { io.Copy(master, boardSide); copied <- struct{}{} }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		boardSide.Close()
		master.Close()
		slave.Close()
		<-copied
		<-copied
	})
	// The slave stays open here, unread, so that the pty lives while the
	// server opens and closes it.
	return slave.Name()
}

// Ser2net starts Debian's ser2net with an RFC 2217 (telnet) accepter on a
// free loopback port in front of the serial device dev at 115200 8N1, and
// returns its rfc2217:// URL. ser2net is $IOTKERNEL_SER2NET or on PATH.
// It is killed by PID at cleanup (it may linger on SIGTERM).
func Ser2net(t testing.TB, dev string) string {
	t.Helper()
	bin := os.Getenv("IOTKERNEL_SER2NET")
	if bin == "" {
		bin = "ser2net"
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		Missing(t, "ser2net not found (%v; apt-get install ser2net, which scripts/install-deps.sh does, or set IOTKERNEL_SER2NET)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "ser2net.yaml")
	yaml := fmt.Sprintf(`%%YAML 1.1
---
connection: &board
  accepter: telnet(rfc2217),tcp,127.0.0.1,%s
  connector: serialdev,%s,115200n81,local
  options:
    kickolduser: true
    chardelay: false
`, port, dev)
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-u", "-c", conf, "-P", filepath.Join(dir, "ser2net.pid"))
	var stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		Missing(t, "start %s: %v", bin, err)
	}
	exited := waitFor(cmd)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if s := strings.TrimSpace(stderr.String()); s != "" {
			t.Logf("ser2net said: %s", s)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			Missing(t, "ser2net exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			Missing(t, "ser2net did not listen on %s within 10 s: %s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "rfc2217://" + addr
}
