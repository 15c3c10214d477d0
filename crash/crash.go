// Package crash owns what a kernel leaves behind for the next one when a
// fatal runtime error kills it (a stack overflow, concurrent map writes,
// running out of memory: Go cannot recover from these): the runtime's
// crash output, the %%host cell that was running, and the board the
// kernel was connected to. When Jupyter restarts the kernel, the new one
// reads them back, shows the first cell what killed its predecessor, and
// reconnects the board.
//
// The files live next to the connection file (Jupyter's runtime dir; if
// that is read-only, $JUPYTER_RUNTIME_DIR, $XDG_RUNTIME_DIR/jupyter or
// the temporary dir), named after it, so the kernel Jupyter restarts with
// the same connection file finds them; a kernel that shuts down cleanly
// removes them.
//
// runtime/debug.SetCrashOutput copies a crash's goroutine traces to a
// file, but not the "fatal error: ..." line of a fatal error, which the
// runtime prints before it counts as crashing. So where it can (Unix),
// Open points the process's file descriptor 2 itself at the crash file,
// and gives os.Stderr a copy of the original descriptor, for the kernel's
// log; elsewhere it uses SetCrashOutput.
package crash

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// File name suffixes, after the connection file's name without ".json".
const (
	crashSuffix = ".iotkernel-crash.txt"          // the runtime's fatal error output
	prevSuffix  = ".iotkernel-crash-previous.txt" // the previous kernel's, kept for the user
	cellSuffix  = ".iotkernel-cell.txt"           // the %%host cell running, or the last one
	boardSuffix = ".iotkernel-board.txt"          // the connected board's URL
)

// The cell file holds a byte that says whether the cell was still
// running when the kernel died, the line it was running (lineDigits
// decimal digits, then a newline), and the cell's source, followed by
// zero bytes up to the file's size where it is mapped (Go source holds
// no zero byte).
//
// Where it can (Unix), the kernel writes the record into a shared memory
// map of the file rather than with a write per update: the updates come
// three or more per %%host cell, and on a busy disk a write that changes
// a file's modification time cost 20 to 60 µs, a third of a trivial
// cell's time in the kernel. The mapped pages belong to the file, so
// what was written is there for the next kernel however this one dies.
const (
	cellRunning  = 'R'
	cellFinished = 'F'
	lineDigits   = 6
	cellHeader   = 1 + lineDigits + 1
	cellMapSize  = 64 << 10 // grown (doubling) for a larger cell
)

// Log records what a running kernel is doing, for the next kernel to
// report if this one dies. Its methods are safe for concurrent use; a
// nil *Log records nothing.
type Log struct {
	log    *slog.Logger
	prefix string // path of the files without their suffixes

	mu      sync.Mutex
	crash   *os.File
	cell    *os.File
	cellMem []byte // the cell file mapped, if it could be; else nil
	cellLen int    // bytes of cellMem the current record holds
	restore func() // undoes the redirection of the runtime's output
	prev    Previous
}

// Previous is what the previous kernel with the same connection file
// left behind when it did not shut down cleanly.
type Previous struct {
	// Crash is the runtime's output for the fatal error; empty when the
	// kernel died without one (killed by a signal).
	Crash string
	// Cell is the source of the %%host cell it ran last, and Running
	// whether that cell was still running. Line is the cell's line
	// whose top-level statement ran last, 0 if unknown.
	Cell    string
	Running bool
	Line    int
	// Board is the URL of the board it was connected to, or "".
	Board string
	// CrashFile is where the crash output was kept.
	CrashFile string
	// When is when the crash output was written (the time of death).
	When time.Time
}

// Died reports whether there is anything to tell: the previous kernel
// crashed, or was killed while running a cell.
func (p Previous) Died() bool { return p.Crash != "" || p.Running }

// Open reads what the previous kernel of connFile left, then starts
// recording for this one: from now on a fatal error's output goes to the
// crash file (and no longer to the original standard error). Call it
// before anything keeps os.Stderr. It returns an error only when nothing
// can be recorded; the kernel runs without crash reports then.
func Open(connFile string, log *slog.Logger) (*Log, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, name := filepath.Split(connFile)
	name = strings.TrimSuffix(name, ".json")
	dir = writableDir(dir, os.Getenv("JUPYTER_RUNTIME_DIR"), filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "jupyter"), os.TempDir())
	l := &Log{log: log, prefix: filepath.Join(dir, name)}
	l.prev = l.readPrevious()
	if l.prev.Crash != "" {
		if err := os.Rename(l.prefix+crashSuffix, l.prefix+prevSuffix); err == nil {
			l.prev.CrashFile = l.prefix + prevSuffix
		}
	}

	crash, err := os.OpenFile(l.prefix+crashSuffix, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("crash report file: %w", err)
	}
	restore, err := redirectCrashOutput(crash)
	if err != nil {
		crash.Close()
		return nil, fmt.Errorf("crash report file: %w", err)
	}
	cell, err := os.OpenFile(l.prefix+cellSuffix, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		restore()
		crash.Close()
		return nil, fmt.Errorf("cell record file: %w", err)
	}
	l.crash, l.cell, l.restore = crash, cell, restore
	if mem, err := mapCell(cell, cellMapSize); err == nil {
		l.cellMem = mem
	} else {
		log.Debug("crash: cell record written with writes, not mapped", "err", err)
	}
	if l.prev.Board != "" {
		// Kept until this kernel connects elsewhere or shuts down, so
		// that a crash before the reconnection still remembers it.
		l.Board(l.prev.Board)
	} else {
		os.Remove(l.prefix + boardSuffix)
	}
	return l, nil
}

// writableDir returns the first of dirs where a file can be created:
// Jupyter's runtime dir holds the connection file, but may be read-only.
func writableDir(dirs ...string) string {
	for _, d := range dirs {
		if d == "" || d == "jupyter" {
			continue
		}
		f, err := os.CreateTemp(d, ".iotkernel-probe-*")
		if err != nil {
			continue
		}
		f.Close()
		os.Remove(f.Name())
		return d
	}
	return os.TempDir()
}

// setCrashOutput is the portable way, which misses the fatal error line.
func setCrashOutput(f *os.File) (restore func(), err error) {
	if err := debug.SetCrashOutput(f, debug.CrashOptions{}); err != nil {
		return nil, err
	}
	return func() { debug.SetCrashOutput(nil, debug.CrashOptions{}) }, nil
}

func (l *Log) readPrevious() Previous {
	p := Previous{CrashFile: l.prefix + crashSuffix}
	// What else reached file descriptor 2 (a library's warning) is no
	// crash.
	if b, err := os.ReadFile(p.CrashFile); err == nil && crashed(b) {
		p.Crash = string(b)
		if fi, err := os.Stat(p.CrashFile); err == nil {
			p.When = fi.ModTime()
		}
	}
	if b, err := os.ReadFile(l.prefix + cellSuffix); err == nil {
		// The rest of a mapped file is zeros; so is all of it when the
		// kernel died before its first %%host cell. A record that is not
		// whole (a full disk, a hand edit) tells nothing.
		b = bytes.TrimRight(b, "\x00")
		if len(b) >= cellHeader && (b[0] == cellRunning || b[0] == cellFinished) && b[cellHeader-1] == '\n' {
			p.Running = b[0] == cellRunning
			p.Line, _ = strconv.Atoi(string(b[1 : 1+lineDigits]))
			p.Cell = string(b[cellHeader:])
		}
	}
	if b, err := os.ReadFile(l.prefix + boardSuffix); err == nil {
		p.Board = strings.TrimSpace(string(b))
	}
	if !p.Died() {
		// Killed between cells: nothing worth reporting, but its board
		// is reconnected all the same.
		p.Cell = ""
	}
	return p
}

// crashed reports whether out is the runtime's output for a fatal error
// or an unrecovered panic.
func crashed(out []byte) bool {
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("fatal error: ")) || bytes.HasPrefix(l, []byte("panic: ")) ||
			bytes.HasPrefix(l, []byte("goroutine ")) && bytes.HasSuffix(l, []byte(":")) {
			return true
		}
	}
	return false
}

// Previous returns what the previous kernel left behind.
func (l *Log) Previous() Previous {
	if l == nil {
		return Previous{}
	}
	return l.prev
}

// Running records that a %%host cell with this source starts.
func (l *Log) Running(code string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cell == nil {
		return
	}
	buf := make([]byte, 0, cellHeader+len(code))
	buf = append(buf, cellRunning)
	buf = append(buf, strings.Repeat("0", lineDigits)...)
	buf = append(append(buf, '\n'), code...)
	if l.cellMem != nil && l.growCellMem(len(buf)) {
		copy(l.cellMem, buf)
		clear(l.cellMem[len(buf):max(l.cellLen, len(buf))])
		l.cellLen = len(buf)
		return
	}
	if _, err := l.cell.WriteAt(buf, 0); err != nil {
		l.log.Warn("crash: record the running cell", "err", err)
		return
	}
	l.cell.Truncate(int64(len(buf)))
}

// At records that the running cell is at line (of the cell, 1-based).
// It is called for every top-level statement, so it costs one write.
func (l *Log) At(line int) {
	if l == nil || line < 0 || line >= 1_000_000 {
		return
	}
	var digits [lineDigits]byte
	for i := lineDigits - 1; i >= 0; i-- {
		digits[i] = byte('0' + line%10)
		line /= 10
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.cellMem != nil:
		copy(l.cellMem[1:], digits[:])
	case l.cell != nil:
		l.cell.WriteAt(digits[:], 1)
	}
}

// Finished records that the cell Running recorded has ended.
func (l *Log) Finished() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.cellMem != nil:
		l.cellMem[0] = cellFinished
	case l.cell != nil:
		l.cell.WriteAt([]byte{cellFinished}, 0)
	}
}

// growCellMem makes the mapped cell file hold at least n bytes, and
// reports false if it cannot (it then unmaps it: the record is written
// to the file from then on, whose bytes past n must be zero or cut).
func (l *Log) growCellMem(n int) bool {
	if n <= len(l.cellMem) {
		return true
	}
	size := len(l.cellMem)
	for size < n {
		size *= 2
	}
	unmapCell(l.cellMem)
	l.cellMem, l.cellLen = nil, 0
	mem, err := mapCell(l.cell, size)
	if err != nil {
		l.log.Warn("crash: grow the cell record", "err", err)
		return false
	}
	l.cellMem = mem
	return true
}

// Board records the URL of the board now connected, "" for none.
func (l *Log) Board(url string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	path := l.prefix + boardSuffix
	if url == "" {
		os.Remove(path)
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o600); err != nil {
		l.log.Warn("crash: record the board", "err", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		l.log.Warn("crash: record the board", "err", err)
	}
}

// Close ends recording at a clean shutdown: the files are removed, so the
// next kernel reports nothing and connects no board by itself.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.crash == nil {
		return nil
	}
	l.restore()
	l.crash.Close()
	if l.cellMem != nil {
		unmapCell(l.cellMem)
		l.cellMem = nil
	}
	l.cell.Close()
	l.crash, l.cell = nil, nil
	for _, s := range []string{crashSuffix, prevSuffix, cellSuffix, boardSuffix} {
		os.Remove(l.prefix + s)
	}
	return nil
}
