package magics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
)

// boardArg returns the board path of a ":PATH" argument.
func boardArg(arg string) (string, bool) {
	if strings.HasPrefix(arg, ":") {
		return arg[1:], true
	}
	return "", false
}

// needBoardPath is the error for a host path where a board path is wanted.
func needBoardPath(arg string) error {
	return usageErrorf("%q is a host path: board paths start with ':' (:%s); for host files use !ls, !cat, !rm", arg, arg)
}

// onBoardPaths checks that args are one or more :PATH arguments, then
// calls do with env's board for each path in turn, stopping at the first
// error. Every argument is checked before the board is taken, so a usage
// error comes first.
func onBoardPaths(ctx context.Context, env Env, args []string, do func(ctx context.Context, b Board, p string) error) error {
	if len(args) == 0 {
		return usageErrorf("want a :PATH")
	}
	var paths []string
	for _, a := range args {
		p, ok := boardArg(a)
		if !ok {
			return needBoardPath(a)
		}
		paths = append(paths, p)
	}
	b, err := board(env)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := do(ctx, b, p); err != nil {
			return err
		}
	}
	return nil
}

// ls is %ls.
func (r *Registry) ls() Magic {
	return Magic{
		Name:    "ls",
		Args:    "[:PATH]",
		Summary: "List a directory on the board (default: its current directory).",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			long := fs.Bool("l", false, "show sizes")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("want at most one :PATH")
				}
				if len(args) == 0 {
					args = []string{":"} // the board's current directory
				}
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					entries, _, err := boardpy.Ls(ctx, b, p)
					if err != nil {
						return err
					}
					var out bytes.Buffer
					for _, e := range entries {
						name := e.Name
						if e.Dir {
							name += "/"
						}
						switch {
						case !*long:
							fmt.Fprintln(&out, name)
						case e.Dir:
							fmt.Fprintf(&out, "%10s  %s\n", "-", name)
						default:
							fmt.Fprintf(&out, "%10d  %s\n", e.Size, name)
						}
					}
					_, err = env.Stdout().Write(out.Bytes())
					return err
				})
			}
		},
	}
}

// cat is %cat.
func (r *Registry) cat() Magic {
	return Magic{
		Name:    "cat",
		Args:    ":PATH...",
		Summary: "Print files of the board.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					st, err := boardpy.Stat(ctx, b, p)
					if err != nil {
						return err
					}
					switch {
					case !st.Exists:
						return fmt.Errorf("cat :%s: no such file on the board", p)
					case st.Dir:
						return fmt.Errorf("cat :%s: is a directory (%%ls :%s lists it)", p, p)
					}
					data, err := boardpy.Read(ctx, b, p, nil)
					if err != nil {
						return err
					}
					_, err = env.Stdout().Write(data)
					return err
				})
			}
		},
	}
}

// rm is %rm.
func (r *Registry) rm() Magic {
	return Magic{
		Name:    "rm",
		Args:    ":PATH...",
		Summary: "Remove files (and with -r directories) on the board.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			rec := fs.Bool("r", false, "remove directories and their contents")
			return func(ctx context.Context, env Env, args []string) error {
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					err := boardpy.Rm(ctx, b, p, *rec)
					if errors.Is(err, boardpy.ErrIsDir) {
						return fmt.Errorf("rm :%s: is a directory (%%rm -r :%s removes it and its contents)", p, p)
					}
					return err
				})
			}
		},
	}
}

// mkdir is %mkdir.
func (r *Registry) mkdir() Magic {
	return Magic{
		Name:    "mkdir",
		Args:    ":PATH...",
		Summary: "Make directories on the board.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					return boardpy.Mkdir(ctx, b, p, false)
				})
			}
		},
	}
}

// writeFileCell is %%writefile's RunCell. As in IPython, the file ends
// with a newline even though the cell's text does not.
func (r *Registry) writeFileCell(ctx context.Context, env Env, args, body string) error {
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	return r.WriteFile(ctx, args, body, env)
}

// WriteFile runs a %%writefile cell: args is the magic's line after
// "writefile" ("[-a] PATH"), body the cell below it. A PATH starting with
// ':' is written on the board (verified by hash), any other relative to
// env's working directory.
func (r *Registry) WriteFile(ctx context.Context, args string, body string, env Env) error {
	words, err := SplitArgs(args)
	if err != nil {
		return &UsageError{Magic: "writefile", Err: err}
	}
	fs := flag.NewFlagSet("%%writefile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	appendTo := fs.Bool("a", false, "append")
	rest, err := parseInterspersed(fs, words)
	if errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(env.Stdout(), r.Usage("writefile"))
		return err
	}
	if err == nil && len(rest) != 1 {
		err = errors.New("want one PATH")
	}
	if err != nil {
		return &UsageError{Magic: "writefile", Err: err, Usage: "%%writefile [-a] PATH"}
	}
	verb := "Writing"
	if *appendTo {
		verb = "Appending to"
	}
	if p, ok := boardArg(rest[0]); ok {
		b, err := board(env)
		if err != nil {
			return err
		}
		if err := boardpy.Write(ctx, b, p, []byte(body), boardpy.WriteOptions{Append: *appendTo, Chunk: r.opts.ChunkSize}); err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Stdout(), "%s :%s\n", verb, p)
		return err
	}
	p, err := hostPath(env, rest[0])
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if *appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	} else if _, err := os.Stat(p); err == nil {
		verb = "Overwriting"
	}
	f, err := os.OpenFile(p, flags, 0o644)
	if err != nil {
		return fmt.Errorf("writefile: %w", err)
	}
	_, err = f.WriteString(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writefile: %w", err)
	}
	_, err = fmt.Fprintf(env.Stdout(), "%s %s\n", verb, p)
	return err
}

// loc is one side of a copy: a board path or an absolute host path.
type loc struct {
	board bool
	path  string
}

func (l loc) String() string {
	if l.board {
		return ":" + l.path
	}
	return l.path
}

// join names an entry of directory l.
func (l loc) join(name string) loc {
	if l.board {
		return loc{true, boardpy.Join(l.path, name)}
	}
	return loc{false, filepath.Join(l.path, name)}
}

// base is l's last element.
func (l loc) base() string {
	if l.board {
		return path.Base(strings.TrimRight(l.path, "/"))
	}
	return filepath.Base(l.path)
}

// copier runs one %cp.
type copier struct {
	r       *Registry
	env     Env
	b       Board // nil when no board path is involved
	rec     bool
	prog    *progress
	copied  int
	skipped int
	bytes   int64
}

// cp is %cp.
func (r *Registry) cp() Magic {
	return Magic{
		Name:    "cp",
		Args:    "SRC... DST",
		Summary: "Copy files between host and board (:PATH is on the board), verified, skipping unchanged ones.",
		Detail: `As in mpremote: ":main.py" is on the board, "main.py" on the host (relative
to %cd's directory); ":" alone is the board's current directory. With
several SRC, or when DST is an existing directory or ends in '/', files go
into DST under their own names. Each file is checked by hash (SHA-256,
or Adler-32 on boards without hashlib) and is not sent again when the
destination already holds the same bytes. Transfers longer than a second
show a progress bar.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			rec := fs.Bool("r", false, "copy directories recursively")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) < 2 {
					return usageErrorf("want SRC... DST")
				}
				c := &copier{r: r, env: env, rec: *rec}
				var locs []loc
				for _, a := range args {
					l, err := c.loc(a)
					if err != nil {
						return err
					}
					locs = append(locs, l)
				}
				c.prog = newProgress(env, r.opts.Now)
				err := c.run(ctx, locs[:len(locs)-1], locs[len(locs)-1], args[len(args)-1])
				c.prog.finish(c.summary())
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(env.Stdout(), c.summary())
				return err
			}
		},
	}
}

// loc parses a %cp argument, getting the board when it names one.
func (c *copier) loc(arg string) (loc, error) {
	if p, ok := boardArg(arg); ok {
		if c.b == nil {
			b, err := board(c.env)
			if err != nil {
				return loc{}, err
			}
			c.b = b
		}
		return loc{true, p}, nil
	}
	p, err := hostPath(c.env, arg)
	if err != nil {
		return loc{}, err
	}
	return loc{false, p}, nil
}

func (c *copier) summary() string {
	s := fmt.Sprintf("copied %d file(s), %s", c.copied, byteSize(c.bytes))
	if c.skipped > 0 {
		s += fmt.Sprintf("; %d unchanged", c.skipped)
	}
	return s
}

// stat says whether l exists, is a directory, and its size.
func (c *copier) stat(ctx context.Context, l loc, hashIfSize int64) (boardpy.FileInfo, error) {
	if l.board {
		if hashIfSize >= 0 {
			return boardpy.Hash(ctx, c.b, l.path, hashIfSize)
		}
		return boardpy.Stat(ctx, c.b, l.path)
	}
	fi, err := os.Stat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return boardpy.FileInfo{}, nil
	}
	if err != nil {
		return boardpy.FileInfo{}, err
	}
	return boardpy.FileInfo{Exists: true, Dir: fi.IsDir(), Size: fi.Size()}, nil
}

// run copies srcs to dst (dstArg as the user wrote it).
func (c *copier) run(ctx context.Context, srcs []loc, dst loc, dstArg string) error {
	ds, err := c.stat(ctx, dst, -1)
	if err != nil {
		return err
	}
	into := ds.Dir || dstArg == ":" || strings.HasSuffix(dstArg, "/")
	if len(srcs) > 1 && !into {
		return fmt.Errorf("cp: %s is not a directory: copying several sources wants one", dst)
	}
	if into && !ds.Exists {
		return fmt.Errorf("cp: directory %s does not exist (make it first: %%mkdir for the board, !mkdir for the host)", dst)
	}
	for _, src := range srcs {
		ss, err := c.stat(ctx, src, -1)
		if err != nil {
			return err
		}
		if !ss.Exists {
			return fmt.Errorf("cp: %s: no such file or directory", src)
		}
		target := dst
		if into {
			target = dst.join(src.base())
		}
		if err := c.copy(ctx, src, ss, target); err != nil {
			return err
		}
	}
	return nil
}

// copy copies src (described by ss) to dst, recursing into directories.
func (c *copier) copy(ctx context.Context, src loc, ss boardpy.FileInfo, dst loc) error {
	if !ss.Dir {
		return c.copyFile(ctx, src, ss.Size, dst)
	}
	if !c.rec {
		return fmt.Errorf("cp: %s is a directory (%%cp -r copies it)", src)
	}
	if dst.board {
		if err := boardpy.Mkdir(ctx, c.b, dst.path, true); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dst.path, 0o755); err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	var entries []boardpy.Entry
	if src.board {
		es, _, err := boardpy.Ls(ctx, c.b, src.path)
		if err != nil {
			return err
		}
		entries = es
	} else {
		des, err := os.ReadDir(src.path)
		if err != nil {
			return fmt.Errorf("cp: %w", err)
		}
		for _, de := range des {
			fi, err := os.Stat(filepath.Join(src.path, de.Name()))
			if err != nil {
				return fmt.Errorf("cp: %w", err)
			}
			entries = append(entries, boardpy.Entry{Name: de.Name(), Dir: fi.IsDir(), Size: fi.Size()})
		}
	}
	for _, e := range entries {
		if err := c.copy(ctx, src.join(e.Name), boardpy.FileInfo{Exists: true, Dir: e.Dir, Size: e.Size}, dst.join(e.Name)); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies one file of the given size, unless dst already holds
// the same bytes.
func (c *copier) copyFile(ctx context.Context, src loc, size int64, dst loc) error {
	var data []byte // src's bytes, once read
	if !src.board {
		d, err := os.ReadFile(src.path)
		if err != nil {
			return fmt.Errorf("cp: %w", err)
		}
		data, size = d, int64(len(d))
	}
	same, err := c.same(ctx, src, data, size, dst)
	if err != nil {
		return err
	}
	if same {
		c.skipped++
		return nil
	}
	label := fmt.Sprintf("%s -> %s", src, dst)
	if data == nil {
		d, err := boardpy.Read(ctx, c.b, src.path, func(n int64) { c.prog.update(label, n, size) })
		if err != nil {
			return err
		}
		data = d
	}
	if dst.board {
		err = boardpy.Write(ctx, c.b, dst.path, data, boardpy.WriteOptions{Chunk: c.r.opts.ChunkSize, Progress: func(n int64) { c.prog.update(label, n, size) }})
	} else {
		err = os.WriteFile(dst.path, data, 0o644)
		if err != nil {
			err = fmt.Errorf("cp: %w", err)
		}
	}
	if err != nil {
		return err
	}
	c.prog.fileDone(size)
	c.copied++
	c.bytes += size
	return nil
}

// same reports whether dst already holds src's bytes (data, when read;
// the board's file of the given size otherwise), comparing hashes on the
// board so that nothing is transferred.
func (c *copier) same(ctx context.Context, src loc, data []byte, size int64, dst loc) (bool, error) {
	ds, err := c.stat(ctx, dst, size)
	if err != nil {
		return false, err
	}
	switch {
	case ds.Dir:
		return false, fmt.Errorf("cp: %s is a directory: copy into it with a trailing / (%s/)", dst, dst)
	case !ds.Exists || ds.Size != size:
		return false, nil
	}
	if !dst.board {
		local, err := os.ReadFile(dst.path)
		if err != nil {
			return false, nil
		}
		if !src.board {
			return bytes.Equal(local, data), nil
		}
		ss, err := boardpy.Hash(ctx, c.b, src.path, size)
		if err != nil || ss.Hash == "" {
			return false, err
		}
		return boardpy.HashOf(ss.Hash, local) == ss.Hash, nil
	}
	if ds.Hash == "" {
		return false, nil
	}
	if data != nil {
		return boardpy.HashOf(ds.Hash, data) == ds.Hash, nil
	}
	ss, err := boardpy.Hash(ctx, c.b, src.path, size)
	if err != nil {
		return false, err
	}
	return ss.Hash == ds.Hash, nil
}

// progress is the progress bar of one command: an updatable display that
// appears once the command has run for a second.
type progress struct {
	env   Env
	now   func() time.Time
	id    string
	start time.Time
	last  time.Time
	shown bool
	done  int64 // bytes of the files finished
}

// progressDelay is how long a command runs before its progress shows:
// quick copies stay quiet.
const progressDelay = time.Second

func newProgress(env Env, now func() time.Time) *progress {
	var id [8]byte
	rand.Read(id[:])
	return &progress{env: env, now: now, id: "iotkernel-cp-" + hex.EncodeToString(id[:]), start: now()}
}

// update shows that n of size bytes of the current file are done.
func (p *progress) update(label string, n, size int64) {
	t := p.now()
	if t.Sub(p.start) < progressDelay || (p.shown && t.Sub(p.last) < 100*time.Millisecond && n < size) {
		return
	}
	p.last = t
	frac := 1.0
	if size > 0 {
		frac = float64(n) / float64(size)
	}
	rate := float64(p.done+n) / t.Sub(p.start).Seconds()
	const width = 30
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat("-", width-int(frac*width))
	text := fmt.Sprintf("%s  [%s] %3.0f%%  %s of %s  %s/s", label, bar, frac*100, byteSize(n), byteSize(size), byteSize(int64(rate)))
	p.show(map[string]any{
		"text/plain": text,
		"text/html": fmt.Sprintf(`<div><code>%s</code> <progress value="%d" max="%d"></progress> %.0f%% %s of %s, %s/s</div>`,
			html.EscapeString(label), n, max(size, 1), frac*100, byteSize(n), byteSize(size), byteSize(int64(rate))),
	})
}

func (p *progress) fileDone(size int64) { p.done += size }

// finish replaces a shown bar by the command's summary.
func (p *progress) finish(summary string) {
	if !p.shown {
		return
	}
	elapsed := p.now().Sub(p.start).Round(time.Millisecond)
	text := fmt.Sprintf("%s in %v", summary, elapsed)
	p.show(map[string]any{"text/plain": text, "text/html": "<div>" + html.EscapeString(text) + "</div>"})
}

func (p *progress) show(data map[string]any) {
	p.env.Display(data, p.id, p.shown)
	p.shown = true
}
