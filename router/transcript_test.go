package router

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// Transcript tests: each testdata/*.txtar file is a notebook run top to
// bottom in one Session. A "cell" section is a cell; the sections after
// it say what the cell must produce:
//
//	stdout, stderr   the streams, exactly
//	stdout~, stderr~ a regular expression the stream must match
//	result           the execute_result's text/plain
//	error            "ename: evalue" of the cell's error (first line of evalue)
//	error~           a regular expression for "ename: evalue\ntraceback..."
//	display          the text/plain of each display, one per line
//	input            the answers typed at input prompts, one per line
//	prompts          the prompts asked, one per line (checked with input)
//	nostdin          (empty) the client allows no input (allow_stdin false)
//
// A stream, result or error that is not named must be empty: a cell that
// prints something unexpected fails. -update rewrites the exact sections
// from what the cells produced.
//
// The archive's comment may hold a line "requires: BOARD...", naming real
// MicroPython boards the transcript runs on:
//
//	local     the Unix port (board 3), found through $IOTKERNEL_MICROPYTHON
//	microbit  the micro:bit firmware on QEMU (board 1), its UART on a TCP
//	          socket on 127.0.0.1
//	wasm      MicroPython compiled to WebAssembly under Node.js (board 2)
//
// The harness starts each one (package realboard) and names it in the
// boards file, so that the transcript says "%connect microbit" or
// "%connect wasm"; "local" is a URL already. A board that is missing skips
// the transcript (fails it under make test), saying what to install.
//
// In cells, $WORK is the test's temporary directory (also the working
// directory, the store's and the boards file's home) and $ROOT the repo.

var update = flag.Bool("update", false, "rewrite the transcripts' expected sections")

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in testdata: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runTranscript(t, file)
		})
	}
}

func runTranscript(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	root := realboard.RepoRoot(t)
	// The boards start before the session, so that the session's cleanup,
	// which closes the links, runs before theirs.
	boards := startBoards(t, requiredBoards(string(ar.Comment)))
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("IOTKERNEL_STORE", filepath.Join(work, "store.json"))
	boardsFile := filepath.Join(work, "boards.json")
	t.Setenv("IOTKERNEL_BOARDS", boardsFile)
	if len(boards) > 0 {
		data, err := json.MarshalIndent(boards, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(boardsFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expand := strings.NewReplacer("$WORK", work, "$ROOT", root)

	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	changed := false
	for i := 0; i < len(ar.Files); {
		f := ar.Files[i]
		if f.Name != "cell" {
			t.Fatalf("section %q at %d is not after a cell", f.Name, i)
		}
		cell := strings.TrimSuffix(expand.Replace(string(f.Data)), "\n")
		j := i + 1
		want := map[string]*txtar.File{}
		for ; j < len(ar.Files) && ar.Files[j].Name != "cell"; j++ {
			want[ar.Files[j].Name] = &ar.Files[j]
		}
		rec := &kerneltest.Recorder{}
		if in, ok := want["input"]; ok {
			rec.Answers = strings.Split(strings.TrimSuffix(string(in.Data), "\n"), "\n")
		}
		_, rec.NoStdin = want["nostdin"]
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		execErr := s.Execute(ctx, cell, rec)
		cancel()

		out := rec.Output()
		got := map[string]string{
			"stdout":  out.Stdout,
			"stderr":  out.Stderr,
			"result":  out.Result,
			"display": strings.Join(out.Displays, "\n"),
			"error":   "",
		}
		if _, ok := want["input"]; ok {
			prompts := strings.Join(out.Prompts, "\n") + "\n"
			if w := string(want["prompts"].Data); prompts != w {
				t.Errorf("%s: cell:\n%s\nprompts = %q, want %q", file, cell, prompts, w)
			}
			if len(out.Unanswered) > 0 {
				t.Errorf("%s: cell:\n%s\nanswers not asked for: %q", file, cell, out.Unanswered)
			}
		}
		if got["display"] != "" {
			got["display"] += "\n"
		}
		if got["result"] != "" {
			got["result"] += "\n"
		}
		fullErr := ""
		if execErr != nil {
			var ce *kernel.CellError
			if !errors.As(execErr, &ce) {
				t.Errorf("cell %q: error %v is not a *kernel.CellError", cell, execErr)
				ce = &kernel.CellError{Name: "?", Value: execErr.Error()}
			}
			first, _, _ := strings.Cut(ce.Value, "\n")
			got["error"] = ce.Name + ": " + first + "\n"
			fullErr = ce.Name + ": " + ce.Value + "\n" + strings.Join(ce.Traceback, "\n")
		}
		for _, name := range []string{"stdout", "stderr", "result", "error", "display"} {
			if re, ok := want[name+"~"]; ok {
				text := got[name]
				if name == "error" {
					text = fullErr
				}
				pat := strings.TrimSuffix(expand.Replace(string(re.Data)), "\n")
				if !regexp.MustCompile(`(?s)` + pat).MatchString(text) {
					t.Errorf("%s: cell:\n%s\n%s = %q\nwant match for %q", file, cell, name, text, pat)
				}
				continue
			}
			w, ok := want[name]
			exp := ""
			if ok {
				exp = expand.Replace(string(w.Data))
			}
			if got[name] == exp {
				continue
			}
			if *update && ok {
				w.Data = []byte(unexpand(got[name], work, root))
				changed = true
				continue
			}
			t.Errorf("%s: cell:\n%s\n%s = %q\nwant %q", file, cell, name, got[name], exp)
		}
		i = j
	}
	if changed {
		if err := os.WriteFile(filepath.Join(root, "router", file), txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// requiredBoards returns the boards named by the "requires:" lines of an
// archive's comment.
func requiredBoards(comment string) []string {
	var names []string
	for _, line := range strings.Split(comment, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "requires:"); ok {
			names = append(names, strings.Fields(rest)...)
		}
	}
	return names
}

// startBoards starts the named real boards, stopped at the test's cleanup,
// and returns the boards file entries for them.
func startBoards(t *testing.T, names []string) map[string]string {
	t.Helper()
	boards := map[string]string{}
	for _, name := range names {
		switch name {
		case "local":
			t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
		case "microbit":
			// Plain raw uploads paced at half the UART's rate: the
			// emulated CPU falls behind real time on a loaded machine,
			// and its 64-byte input buffer has no flow control.
			boards[name] = realboard.MicrobitSocket(t) + "?baud=57600"
		case "wasm":
			boards[name] = realboard.Wasm(t)
		default:
			t.Fatalf("requires: unknown board %q (want local, microbit or wasm)", name)
		}
	}
	return boards
}

func unexpand(s, work, root string) string {
	return strings.NewReplacer(work, "$WORK", root, "$ROOT").Replace(s)
}
