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

	"github.com/iotkernel/iotkernel/pysource"
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
					entries, _, missing, err := listBoard(ctx, b, p)
					if err != nil {
						return err
					}
					if missing {
						return fmt.Errorf("ls :%s: no such file or directory on the board", p)
					}
					var out bytes.Buffer
					for _, e := range entries {
						name := e.name
						if e.dir {
							name += "/"
						}
						switch {
						case !*long:
							fmt.Fprintln(&out, name)
						case e.dir:
							fmt.Fprintf(&out, "%10s  %s\n", "-", name)
						default:
							fmt.Fprintf(&out, "%10d  %s\n", e.size, name)
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
					st, err := statBoard(ctx, b, p, -1)
					if err != nil {
						return err
					}
					switch {
					case !st.exists:
						return fmt.Errorf("cat :%s: no such file on the board", p)
					case st.dir:
						return fmt.Errorf("cat :%s: is a directory (%%ls :%s lists it)", p, p)
					}
					data, err := readBoardFile(ctx, b, p, st.size, nil)
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

// rmSnippet removes a board path, recursively with rec; it prints
// rm=ok, rm=missing or rm=isdir.
func rmSnippet(p string, rec bool) string {
	r := 0
	if rec {
		r = 1
	}
	return fmt.Sprintf(`def _ik_rmtree(d):
    for n in _ik_os.listdir(d):
        c = _ik_join(d, n)
        if _ik_isdir(_ik_os.stat(c)):
            _ik_rmtree(c)
        else:
            _ik_os.remove(c)
    if d not in ('', '/'):
        _ik_os.rmdir(d)
_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is None:
    print('rm=missing')
elif _ik_s[0] == 'f':
    _ik_os.remove(_ik_p)
    print('rm=ok')
elif %d:
    _ik_rmtree(_ik_p)
    print('rm=ok')
else:
    print('rm=isdir')
`, pysource.Str(p), r)
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
					out, err := withPrelude(ctx, b, rmSnippet(p, *rec))
					if err != nil {
						return err
					}
					switch parseKeyValues(out)["rm"] {
					case "ok":
						return nil
					case "missing":
						return fmt.Errorf("rm :%s: no such file or directory on the board", p)
					case "isdir":
						return fmt.Errorf("rm :%s: is a directory (%%rm -r :%s removes it and its contents)", p, p)
					default:
						return fmt.Errorf("rm :%s: unexpected answer from the board %q", p, short(out, 200))
					}
				})
			}
		},
	}
}

// mkdirBoard makes a directory on the board. With existOK, an existing
// directory is no error.
func mkdirBoard(ctx context.Context, b Board, p string, existOK bool) error {
	out, err := withPrelude(ctx, b, fmt.Sprintf(`_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is not None:
    print('mkdir=' + _ik_s[0])
elif not hasattr(_ik_os, 'mkdir'):
    print('mkdir=nodirs')
else:
    try:
        _ik_os.mkdir(_ik_p)
        print('mkdir=ok')
    except OSError as _ik_e:
        print('mkdir=%%s' %% _ik_e)
`, pysource.Str(p)))
	if err != nil {
		return err
	}
	switch v := parseKeyValues(out)["mkdir"]; v {
	case "ok":
		return nil
	case "d":
		if existOK {
			return nil
		}
		return fmt.Errorf("mkdir :%s: already exists on the board", p)
	case "f":
		return fmt.Errorf("mkdir :%s: a file of that name exists on the board", p)
	case "nodirs":
		return fmt.Errorf("mkdir :%s: this board's filesystem has no directories (its os module has no mkdir)", p)
	case "":
		return fmt.Errorf("mkdir :%s: unexpected answer from the board %q", p, short(out, 200))
	default:
		return fmt.Errorf("mkdir :%s: %s (does the parent directory exist?)", p, v)
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
					return mkdirBoard(ctx, b, p, false)
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
		if err := writeBoardFile(ctx, b, p, []byte(body), *appendTo, r.opts.ChunkSize, nil); err != nil {
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
		return loc{true, boardJoin(l.path, name)}
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
func (c *copier) stat(ctx context.Context, l loc, hashIfSize int64) (boardStat, error) {
	if l.board {
		return statBoard(ctx, c.b, l.path, hashIfSize)
	}
	fi, err := os.Stat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return boardStat{}, nil
	}
	if err != nil {
		return boardStat{}, err
	}
	return boardStat{exists: true, dir: fi.IsDir(), size: fi.Size()}, nil
}

// run copies srcs to dst (dstArg as the user wrote it).
func (c *copier) run(ctx context.Context, srcs []loc, dst loc, dstArg string) error {
	ds, err := c.stat(ctx, dst, -1)
	if err != nil {
		return err
	}
	into := ds.dir || dstArg == ":" || strings.HasSuffix(dstArg, "/")
	if len(srcs) > 1 && !into {
		return fmt.Errorf("cp: %s is not a directory: copying several sources wants one", dst)
	}
	if into && !ds.exists {
		return fmt.Errorf("cp: directory %s does not exist (make it first: %%mkdir for the board, !mkdir for the host)", dst)
	}
	for _, src := range srcs {
		ss, err := c.stat(ctx, src, -1)
		if err != nil {
			return err
		}
		if !ss.exists {
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
func (c *copier) copy(ctx context.Context, src loc, ss boardStat, dst loc) error {
	if !ss.dir {
		return c.copyFile(ctx, src, ss.size, dst)
	}
	if !c.rec {
		return fmt.Errorf("cp: %s is a directory (%%cp -r copies it)", src)
	}
	if dst.board {
		if err := mkdirBoard(ctx, c.b, dst.path, true); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dst.path, 0o755); err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	var entries []boardEntry
	if src.board {
		es, _, _, err := listBoard(ctx, c.b, src.path)
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
			entries = append(entries, boardEntry{name: de.Name(), dir: fi.IsDir(), size: fi.Size()})
		}
	}
	for _, e := range entries {
		if err := c.copy(ctx, src.join(e.name), boardStat{exists: true, dir: e.dir, size: e.size}, dst.join(e.name)); err != nil {
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
		d, err := readBoardFile(ctx, c.b, src.path, size, func(n int64) { c.prog.update(label, n, size) })
		if err != nil {
			return err
		}
		data = d
	}
	if dst.board {
		err = writeBoardFile(ctx, c.b, dst.path, data, false, c.r.opts.ChunkSize, func(n int64) { c.prog.update(label, n, size) })
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
	case ds.dir:
		return false, fmt.Errorf("cp: %s is a directory: copy into it with a trailing / (%s/)", dst, dst)
	case !ds.exists || ds.size != size:
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
		ss, err := statBoard(ctx, c.b, src.path, size)
		if err != nil || ss.hash == "" {
			return false, err
		}
		return hashOf(ss.hash, local) == ss.hash, nil
	}
	if ds.hash == "" {
		return false, nil
	}
	if data != nil {
		return hashOf(ds.hash, data) == ds.hash, nil
	}
	ss, err := statBoard(ctx, c.b, src.path, size)
	if err != nil {
		return false, err
	}
	return ss.hash == ds.hash, nil
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
