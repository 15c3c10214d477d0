package router

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/boardprog"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// askRecorder is a recorder that also notes whether each input was asked
// as a password.
type askRecorder struct {
	*kerneltest.Recorder
	password []bool
}

func (r *askRecorder) Input(ctx context.Context, prompt string, password bool) (string, error) {
	r.password = append(r.password, password)
	return r.Recorder.Input(ctx, prompt, password)
}

// execute runs a cell and returns its recorder and error.
func execute(t *testing.T, s *Session, cell string, answers ...string) (*askRecorder, error) {
	t.Helper()
	rec := &askRecorder{Recorder: &kerneltest.Recorder{Answers: answers}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return rec, s.Execute(ctx, cell, rec)
}

// TestWebREPLConnect connects to MicroPython's own WebREPL (the Unix port
// built with it, BOARDS.md section 5) by a boards-file name that holds
// its password, runs cells and copies files over WebREPL's file protocol.
func TestWebREPLConnect(t *testing.T) {
	work := t.TempDir()
	t.Setenv(transport.PasswordEnv, "")
	t.Setenv("IOTKERNEL_STORE", filepath.Join(work, "store.json"))
	boardsFile := filepath.Join(work, "boards.json")
	t.Setenv("IOTKERNEL_BOARDS", boardsFile)
	// Found from the repo, before the test leaves its directory.
	t.Setenv("IOTKERNEL_WEBREPL_MICROPYTHON", realboard.WebREPLPort(t))
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(work) // the board's files land here
	wb := realboard.WebREPL(t, "garden1", prog, 0)
	boards := map[string]any{
		"garden": map[string]string{"url": wb.URL, "password": "garden1"},
		"wrong":  map[string]string{"url": wb.URL, "password": "nope"},
		"plain":  wb.URL,
	}
	data, _ := json.Marshal(boards)
	if err := os.WriteFile(boardsFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	rec, err := execute(t, s, "%connect wrong")
	var ce *kernel.CellError
	if !errors.As(err, &ce) || ce.Name != "WebREPLAuthError" {
		t.Fatalf("%%connect with a wrong password: %v, want WebREPLAuthError", err)
	}
	if strings.Contains(ce.Value, "nope") || len(rec.password) != 0 {
		t.Errorf("WebREPLAuthError %q (asked %d times): must not show the password nor ask", ce.Value, len(rec.password))
	}

	rec, err = execute(t, s, "%connect garden")
	if err != nil || rec.Output().Stdout != "Connected to garden @ "+wb.URL+"\n" {
		t.Fatalf("%%connect garden: %v, stdout %q", err, rec.Output().Stdout)
	}
	if rec, err = execute(t, s, "x = 6 * 7\nx"); err != nil || rec.Output().Result != "42" {
		t.Fatalf("cell: %v, result %q", err, rec.Output().Result)
	}

	src := filepath.Join(work, "host.bin")
	blob := make([]byte, 64<<10)
	rand.Read(blob)
	os.WriteFile(src, blob, 0o644)
	if _, err := execute(t, s, "%cp host.bin :board.bin"); err != nil {
		t.Fatalf("%%cp to the board: %v", err)
	}
	if _, err := execute(t, s, "%cp :board.bin back.bin"); err != nil {
		t.Fatalf("%%cp from the board: %v", err)
	}
	if back, _ := os.ReadFile(filepath.Join(work, "back.bin")); !bytes.Equal(back, blob) {
		t.Errorf("the copy back holds %d bytes, not the %d sent", len(back), len(blob))
	}
	if rec, err = execute(t, s, "import os\nos.stat('board.bin')[6]"); err != nil || rec.Output().Result != "65536" {
		t.Errorf("the board's file: %v, size %q", err, rec.Output().Result)
	}

	// No password anywhere: the notebook asks, as a password. The board
	// serves one WebREPL client at a time: release it first (connected
	// boards stay connected under their names).
	if _, err := execute(t, s, "%disconnect garden"); err != nil {
		t.Fatalf("%%disconnect garden: %v", err)
	}
	rec, err = execute(t, s, "%connect plain -q", "garden1")
	if err != nil {
		t.Fatalf("%%connect with a typed password: %v", err)
	}
	if len(rec.Output().Prompts) != 1 || len(rec.password) != 1 || !rec.password[0] {
		t.Errorf("prompts %q, password flags %v: want one password prompt", rec.Output().Prompts, rec.password)
	}
	if rec, err = execute(t, s, "print('typed in')"); err != nil || rec.Output().Stdout != "typed in\n" {
		t.Errorf("cell after a typed password: %v, %q", err, rec.Output().Stdout)
	}

	// The board loses power mid-cell: BoardResetError, as on a serial
	// line; once it is back where it was, the next cell reconnects and
	// logs in again with the password it was given.
	time.AfterFunc(300*time.Millisecond, wb.Kill)
	_, err = execute(t, s, "import time\ntime.sleep(30)")
	if !errors.As(err, &ce) || ce.Name != "BoardResetError" {
		t.Fatalf("cell on a board that died: %v, want BoardResetError", err)
	}
	_, port, _ := strings.Cut(wb.Addr, ":")
	realboard.WebREPL(t, "garden1", prog, atoiT(t, port))
	if rec, err = execute(t, s, "print('back')"); err != nil || rec.Output().Stdout != "back\n" {
		t.Errorf("cell after the board came back: %v, %q", err, rec.Output().Stdout)
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
