package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/magics"
)

// ---- %rsync -------------------------------------------------------------

// projectFiles writes a project of 40 modules of 0.3 to 3 KB under dir.
func projectFiles(dir string) ([]string, error) {
	var rels []string
	for i := 0; i < 40; i++ {
		rel := fmt.Sprintf("lib/pkg%d/mod%02d.py", i%5, i)
		body := fmt.Sprintf("# module %d\n", i) + strings.Repeat(fmt.Sprintf("VALUE_%d = %d  # padding to a module's size\n", i, i*i), 6+i*2)
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	return rels, nil
}

// rsyncUp makes the board folder dst match the host folder src with the
// round trips of %rsync SRC :DST: the board's whole tree with hashes in
// one, then a copy of each file that differs.
func (b *bench) rsyncUp(ctx context.Context, src, dst string) (copied int, err error) {
	entries, err := boardpy.Tree(ctx, b.iot, dst, true)
	if err != nil {
		return 0, err
	}
	have := map[string]boardpy.TreeEntry{}
	for _, e := range entries {
		have[e.Path] = e
	}
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		e, ok := have[rel]
		if d.IsDir() {
			if !ok {
				return boardpy.Mkdir(ctx, b.iot, boardpy.Join(dst, rel), true)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if ok && e.Hash != "" && boardpy.HashOf(e.Hash, data) == e.Hash {
			return nil
		}
		copied++
		return boardpy.Write(ctx, b.iot, boardpy.Join(dst, rel), data, boardpy.WriteOptions{})
	})
	return copied, err
}

func (b *bench) rsync(ctx context.Context) error {
	src := filepath.Join(b.hostDir, "tree")
	rels, err := projectFiles(src)
	if err != nil {
		return err
	}
	// The board holds the project, then two files change on the host.
	if err := boardpy.Mkdir(ctx, b.iot, "tree", true); err != nil {
		return err
	}
	if _, err := b.unthrottledCopy(ctx, src, "tree"); err != nil {
		return err
	}
	n := b.n(3)
	var ds []time.Duration
	up0 := b.line.Up.Bytes()
	change := func() error {
		for _, rel := range rels[:2] {
			f, err := os.OpenFile(filepath.Join(src, filepath.FromSlash(rel)), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			fmt.Fprintln(f, "CHANGED = True")
			if err := f.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		if err := change(); err != nil {
			return err
		}
		t0 := time.Now()
		copied, err := b.rsyncUp(ctx, src, "tree")
		d := time.Since(t0)
		if err != nil {
			return fmt.Errorf("iotkernel %%rsync: %w", err)
		}
		if copied != 2 {
			return fmt.Errorf("iotkernel %%rsync copied %d files, want the 2 changed", copied)
		}
		ds = append(ds, d)
	}
	iot := median(ds)
	up := (b.line.Up.Bytes() - up0) / int64(n)
	fmt.Printf("== %%rsync of a 40-file tree with 2 files changed (median of %d) ==\n", n)
	fmt.Printf("  iotkernel %%rsync      %9s  (wire %d B up)\n", fmtDur(iot), up)

	// mpremote copies the tree into :tree (it hashes each file on the
	// board and skips those that match, a round trip each), the same two
	// files changed before each run.
	var changeErr error
	mp, err := b.timeMpremoteEach(ctx, b.n(1), []string{"cp", "-r", src, ":"}, func() { changeErr = change() }, nil)
	if err == nil {
		err = changeErr
	}
	if err != nil {
		return err
	}
	speedup := float64(mp) / float64(iot)
	fmt.Printf("  mpremote cp -r        %9s  %.2fx iotkernel's time\n\n", fmtDur(mp), speedup)
	b.goal(fmt.Sprintf("%%rsync 40 files, 2 changed: iotkernel %.2fx faster than mpremote cp -r (goal >= 5x)", speedup), speedup >= 5)
	return nil
}

// unthrottledCopy puts the tree on the board at full speed: it is the
// starting point, not what is measured.
func (b *bench) unthrottledCopy(ctx context.Context, src, dst string) (int, error) {
	var copied int
	err := b.unthrottled(func() error {
		var err error
		copied, err = b.rsyncUp(ctx, src, dst)
		return err
	})
	return copied, err
}

// ---- %mount -------------------------------------------------------------

// mountImport times importing a 10 KB module from a host folder mounted
// on the board, against the line's floor and against mpremote's mount.
func (b *bench) mountImport(ctx context.Context) error {
	dir := filepath.Join(b.hostDir, "mounted")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var mod strings.Builder
	for i := 0; mod.Len() < 10*1024; i++ {
		fmt.Fprintf(&mod, "def f%d(x):\n    return x * %d + 1  # a function of the module\n", i, i)
	}
	mod.WriteString("N = 42\n")
	if err := os.WriteFile(filepath.Join(dir, "mod10k.py"), []byte(mod.String()), 0o644); err != nil {
		return err
	}
	const code = "import sys\nsys.modules.pop('mod10k', None)\nimport mod10k\nprint(mod10k.N)\n"

	serve, err := magics.FolderServer(dir, false)
	if err != nil {
		return err
	}
	b.iot.Serve(serve)
	if err := boardpy.Mount(ctx, b.iot, "/remote"); err != nil {
		return fmt.Errorf("iotkernel mount: %w", err)
	}
	n := b.n(5)
	var ds []time.Duration
	up0, down0 := b.line.Up.Bytes(), b.line.Down.Bytes()
	for i := 0; i < n; i++ {
		var out strings.Builder
		t0 := time.Now()
		err := b.iot.Exec(ctx, code, &out, nil)
		d := time.Since(t0)
		if err != nil || out.String() != "42\n" {
			return fmt.Errorf("iotkernel import through the mount: %v, printed %q", err, out.String())
		}
		ds = append(ds, d)
	}
	iot := median(ds)
	up, down := (b.line.Up.Bytes()-up0)/int64(n), (b.line.Down.Bytes()-down0)/int64(n)
	if err := boardpy.Umount(ctx, b.iot, "/remote"); err != nil {
		return err
	}
	b.iot.Serve(nil)
	floor := b.lineTime(mod.Len())
	fmt.Printf("== %%mount: importing a %d B module through a mounted host folder (median of %d) ==\n", mod.Len(), n)
	fmt.Printf("  floor                 %9s  = the module's bytes at line rate\n", fmtDur(floor))
	fmt.Printf("  iotkernel %%mount      %9s  %6.2fx floor    (a cell that re-imports it; wire %d B up, %d B down)\n", fmtDur(iot), float64(iot)/float64(floor), up, down)

	// mpremote mounts the folder and runs the same cell: as a whole
	// command, and as one more exec of the cell inside one invocation
	// (the mount's set-up and mpremote's start cancel out), against
	// mounting and running an empty cell.
	const k = 5
	mounted := "Local directory " + dir + " is mounted at /remote\n"
	mount := func(args ...string) []string { return append([]string{"mount", dir}, args...) }
	bare, err := b.timeMpremote(ctx, b.n(3), mount("exec", "pass"), expectOut(mounted))
	if err != nil {
		return err
	}
	nWhole := b.n(3)
	up0, down0 = b.line.Up.Bytes(), b.line.Down.Bytes()
	whole, err := b.timeMpremote(ctx, nWhole, mount("exec", code), expectOut(mounted+"42\r\n"))
	if err != nil {
		return err
	}
	up1, down1 := b.line.Up.Bytes(), b.line.Down.Bytes()
	nAll := b.n(2)
	all, err := b.timeMpremote(ctx, nAll, mount(repeat([]string{"exec", code}, k)...), expectOut(mounted+strings.Repeat("42\r\n", k)))
	if err != nil {
		return err
	}
	// One more exec's wire bytes: a k-exec run's less a whole
	// command's (their means).
	mpUp := ((b.line.Up.Bytes()-up1)/int64(nAll) - (up1-up0)/int64(nWhole)) / (k - 1)
	mpDown := ((b.line.Down.Bytes()-down1)/int64(nAll) - (down1-down0)/int64(nWhole)) / (k - 1)
	in := (all - whole) / (k - 1)
	fmt.Printf("  mpremote, whole cmd   %9s  %6.2fx iotkernel's time (`mount DIR exec CELL`, %s more than `mount DIR exec pass`)\n", fmtDur(whole), float64(whole)/float64(iot), fmtDur(whole-bare))
	fmt.Printf("  mpremote, in session  %9s  %6.2fx iotkernel's time (one more exec of the cell in one invocation: (T(%d execs) - T(1)) / %d; wire %d B up, %d B down)\n\n", fmtDur(in), float64(in)/float64(iot), k, k-1, mpUp, mpDown)
	ratio := float64(iot) / float64(in)
	b.goal(fmt.Sprintf("import of a 10 KB module through %%mount: iotkernel %.2fx mpremote mount's time in session (goal <= 1.3x)", ratio), ratio <= 1.3)
	return nil
}
