package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
)

const rsyncDetail = `Hashes both sides (the board's whole folder in one round trip) and copies
only the files that differ, so a folder of which two files changed costs
the listing and two copies. Every copy is verified by hash. -d also
deletes what is on the board but not on the host; without it such
entries are listed and kept. Hidden names (starting with '.', as .git)
and __pycache__ folders are left alone on both sides. -n only lists what would be done (as %rdiff
does). Symbolic links on the host are followed when they stay inside
DIR. A board without room fails on the file that did not fit, which is
removed rather than left half written. Copies longer than a second show
a progress bar.`

// rsync is %rsync.
func (r *Registry) rsync() Magic {
	return Magic{
		Name:    "rsync",
		Args:    "DIR :DIR",
		Summary: "Make a board folder match a host folder, copying only the files that differ.",
		Detail:  rsyncDetail,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			dry := fs.Bool("n", false, "only list what would be done")
			del := fs.Bool("d", false, "delete what the host folder lacks")
			return func(ctx context.Context, env Env, args []string) error {
				return r.runRsync(ctx, env, args, *dry, *del)
			}
		},
	}
}

// rdiff is %rdiff, %rsync -n.
func (r *Registry) rdiff() Magic {
	return Magic{
		Name:    "rdiff",
		Args:    "DIR :DIR",
		Summary: "List what %rsync DIR :DIR would copy and delete, changing nothing.",
		Detail:  "The same as %rsync -n: entries only on the board are listed as what -d would delete.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				return r.runRsync(ctx, env, args, true, true)
			}
		},
	}
}

// A hostEntry is a file or directory of the host folder.
type hostEntry struct {
	rel  string // relative to the folder, '/'-separated
	dir  bool
	full string // its host path
}

// walkHost lists root's entries, parents before their children, sorted
// by name within a directory. Links are followed when their target stays
// inside root; one that leaves it is an error.
func walkHost(root string) ([]hostEntry, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	var out []hostEntry
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if skipped(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		e := hostEntry{rel: filepath.ToSlash(rel), dir: d.IsDir(), full: p}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("%s: %w", e.rel, err)
			}
			if in, err := filepath.Rel(realRoot, target); err != nil || in == ".." || strings.HasPrefix(in, "../") {
				return fmt.Errorf("%s links to %s, outside %s: refusing to copy it", e.rel, target, root)
			}
			fi, err := os.Stat(target)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				return fmt.Errorf("%s links to the directory %s: copy that directory itself instead", e.rel, target)
			}
		} else if !d.IsDir() && !d.Type().IsRegular() {
			return nil // sockets, devices, FIFOs
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// skipped reports whether %rsync leaves the entry name alone on both
// sides: hidden names (.git, .venv) and CPython's caches.
func skipped(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__pycache__"
}

// skippedPath reports whether any element of the '/'-separated p is
// skipped.
func skippedPath(p string) bool {
	for _, name := range strings.Split(p, "/") {
		if skipped(name) {
			return true
		}
	}
	return false
}

// A syncOp is one thing %rsync does.
type syncOp struct {
	verb string // "delete", "mkdir", "copy"
	rel  string
	dir  bool   // the entry is a directory
	note string // why: "new", "changed"
	data []byte // a copy's bytes
}

func (o syncOp) String() string {
	name := o.rel
	if name == "" {
		name = "." // the board folder itself
	}
	if o.dir {
		name += "/"
	}
	s := fmt.Sprintf("%-6s %s", o.verb, name)
	if o.note != "" {
		s += " (" + o.note + ")"
	}
	return s
}

// runRsync runs %rsync and %rdiff.
func (r *Registry) runRsync(ctx context.Context, env Env, args []string, dry, del bool) error {
	if len(args) != 2 {
		return usageErrorf("want DIR :DIR, got %d argument(s)", len(args))
	}
	if _, ok := boardArg(args[0]); ok {
		return usageErrorf("the source %s is a board path: %%rsync copies a host folder to the board", args[0])
	}
	root, ok := boardArg(args[1])
	if !ok {
		return needBoardPath(args[1])
	}
	dir, err := hostPath(env, args[0])
	if err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("rsync: host folder %s: %w", dir, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("rsync: %s is a file, not a folder (%%cp copies files)", dir)
	}
	b, err := board(env)
	if err != nil {
		return err
	}
	host, err := walkHost(dir)
	if err != nil {
		return fmt.Errorf("rsync: %w", err)
	}

	onBoard := map[string]boardpy.TreeEntry{}
	rootMissing := false
	entries, err := boardpy.Tree(ctx, b, root, true)
	switch {
	case errors.Is(err, boardpy.ErrNotFound):
		rootMissing = true
	case err != nil:
		return err
	case len(entries) == 1 && entries[0].Path == "" && !entries[0].Dir:
		return fmt.Errorf("rsync: :%s is a file on the board, not a folder", root)
	}
	for _, e := range entries {
		if !skippedPath(e.Path) {
			onBoard[e.Path] = e
		}
	}

	// Deletions first: they make room for the copies.
	var ops []syncOp
	inHost := map[string]bool{}
	for _, h := range host {
		inHost[h.rel] = h.dir
	}
	var extra []string
	for p, e := range onBoard {
		if isDir, ok := inHost[p]; !ok || isDir != e.Dir {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	var gone []string // directories deleted whole
	var onlyBoard int
	for _, p := range extra {
		if under(p, gone) {
			continue
		}
		e := onBoard[p]
		_, onHost := inHost[p]
		if !onHost && !del {
			onlyBoard++
			continue
		}
		note := ""
		if onHost {
			note = "replaced by a " + map[bool]string{true: "file", false: "folder"}[e.Dir]
		}
		ops = append(ops, syncOp{verb: "delete", rel: p, dir: e.Dir, note: note})
		if e.Dir {
			gone = append(gone, p)
		}
	}
	if rootMissing {
		ops = append(ops, syncOp{verb: "mkdir", rel: "", dir: true, note: "new"})
	}
	unchanged := 0
	for _, h := range host {
		e, ok := onBoard[h.rel]
		ok = ok && e.Dir == h.dir && !under(h.rel, gone)
		if h.dir {
			if !ok {
				ops = append(ops, syncOp{verb: "mkdir", rel: h.rel, dir: true})
			}
			continue
		}
		data, err := os.ReadFile(h.full)
		if err != nil {
			return fmt.Errorf("rsync: %w", err)
		}
		switch {
		case !ok:
			ops = append(ops, syncOp{verb: "copy", rel: h.rel, note: "new", data: data})
		case e.Size != int64(len(data)) || e.Hash == "" || boardpy.HashOf(e.Hash, data) != e.Hash:
			ops = append(ops, syncOp{verb: "copy", rel: h.rel, note: "changed", data: data})
		default:
			unchanged++
		}
	}

	out := env.Stdout()
	if dry {
		for _, op := range ops {
			fmt.Fprintln(out, op)
		}
		copies, deletes := countOps(ops)
		s := fmt.Sprintf("would copy %d file(s), delete %d; %d unchanged", copies, deletes, unchanged)
		if onlyBoard > 0 {
			s += fmt.Sprintf("; %d only on the board (-d deletes them)", onlyBoard)
		}
		_, err := fmt.Fprintln(out, s)
		return err
	}

	prog := newProgress(env, r.opts.Now)
	var copied, deleted int
	var bytes int64
	summary := func() string {
		s := fmt.Sprintf("copied %d file(s), %s; deleted %d; %d unchanged", copied, byteSize(bytes), deleted, unchanged)
		if onlyBoard > 0 {
			s += fmt.Sprintf("; %d only on the board (-d deletes them)", onlyBoard)
		}
		return s
	}
	for _, op := range ops {
		p := root
		if op.rel != "" {
			p = boardpy.Join(root, op.rel)
		}
		switch op.verb {
		case "delete":
			err = boardpy.Rm(ctx, b, p, op.dir)
			deleted++
		case "mkdir":
			err = boardpy.Mkdir(ctx, b, p, true)
		case "copy":
			size := int64(len(op.data))
			err = boardpy.Write(ctx, b, p, op.data, boardpy.WriteOptions{Chunk: r.opts.ChunkSize, Progress: func(n int64) { prog.update(op.rel, n, size) }})
			if err == nil {
				prog.fileDone(size)
				copied++
				bytes += size
			} else {
				err = noRoom(ctx, b, p, size, err)
			}
		}
		if err != nil {
			prog.finish(summary())
			return err
		}
		fmt.Fprintln(out, op)
	}
	prog.finish(summary())
	_, err = fmt.Fprintln(out, summary())
	return err
}

// countOps counts the copies and deletions among ops.
func countOps(ops []syncOp) (copies, deletes int) {
	for _, op := range ops {
		switch op.verb {
		case "copy":
			copies++
		case "delete":
			deletes++
		}
	}
	return copies, deletes
}

// under reports whether p is inside one of dirs.
func under(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// enospc is MicroPython's errno for a full filesystem.
const enospc = 28

// noRoom turns a write that failed because the board's filesystem is
// full into an error naming the file, after removing what was written of
// it: a half-written module would fail at import with a misleading
// SyntaxError. Other errors come back unchanged.
func noRoom(ctx context.Context, b Board, path string, size int64, err error) error {
	var ee *transport.ExecError
	if !errors.As(err, &ee) || ee.Type != "OSError" {
		return err
	}
	v := ee.Value
	if v != fmt.Sprint(enospc) && !strings.Contains(v, "ENOSPC") && !strings.Contains(v, fmt.Sprintf("[Errno %d]", enospc)) {
		return err
	}
	boardpy.Rm(context.WithoutCancel(ctx), b, path, false)
	return fmt.Errorf("no room on the board for :%s (%s): its filesystem is full (OSError %s); %%df shows the room left, %%rm frees some", path, byteSize(size), v)
}
