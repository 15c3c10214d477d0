package magics

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
)

// mountPoint is where %mount puts the host folder on the board.
const mountPoint = "/remote"

// A server is a board whose link can answer requests from the board
// while code runs: *transport.Board is one.
type server interface {
	Serve(h transport.RequestHandler)
	Serving() bool
}

// FolderServer returns the handler that serves the host folder dir to a
// board that boardpy.Mount mounted (what %mount gives the link's Serve);
// with writable the board may change it.
func FolderServer(dir string, writable bool) (transport.RequestHandler, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	h := &hostFS{root: real, writable: writable}
	return h.serve, nil
}

// remount mounts the served folder again after a reset, which unmounted
// it on the board; the host side still serves it.
func remount(ctx context.Context, env Env, b Board, out io.Writer) error {
	srv, ok := b.(server)
	if !ok || !srv.Serving() {
		return nil
	}
	if err := boardpy.Mount(ctx, b, mountPoint); err != nil {
		return fmt.Errorf("mount the host folder again after the reset: %w", err)
	}
	_, err := fmt.Fprintf(out, "the host folder is mounted at :%s again\n", mountPoint)
	return err
}

// hostFS serves a host folder to a board: the requests of boardpy's
// mounted filesystem, each an operation letter and hex arguments (paths
// inside the folder, written data), answered with "o" and the result
// (escapeReply), or "e" and an errno. No path leaves the folder: ".." is
// refused, and so is a link to outside it.
type hostFS struct {
	root     string // absolute, links resolved
	writable bool
}

// MicroPython's errno values, which are Linux's.
const (
	errnoENOENT  = 2
	errnoEIO     = 5
	errnoEACCES  = 13
	errnoEEXIST  = 17
	errnoENOTDIR = 20
	errnoEISDIR  = 21
	errnoEINVAL  = 22
	errnoEROFS   = 30
)

// serve answers a request. A line that is no request (a cell printed the
// mark itself) is left to the output: an unknown operation, or arguments
// that are not hex.
func (h *hostFS) serve(req string) (string, bool) {
	op, rest, _ := strings.Cut(req, " ")
	if len(op) != 1 || !strings.Contains("ilsrwxmdn", op) {
		return "", false
	}
	var args []string
	for _, a := range strings.Split(rest, " ") {
		b, err := hex.DecodeString(a)
		if err != nil {
			return "", false
		}
		args = append(args, string(b))
	}
	data, errno := h.do(op, args)
	if errno != 0 {
		return fmt.Sprintf("e%d", errno), true
	}
	return "o" + escapeReply(data), true
}

// A reply's bytes travel as they are but for Ctrl-C, which the board
// would take as an interrupt: replyEsc 'c' stands for it and replyEsc
// 'e' for replyEsc itself, so that the board decodes a reply with one
// split. Source files hold neither byte: they cross at the line's rate.
const replyEsc = 0x1b

func escapeReply(data []byte) string {
	var b strings.Builder
	b.Grow(len(data))
	for _, c := range data {
		switch c {
		case 0x03:
			b.WriteByte(replyEsc)
			b.WriteByte('c')
		case replyEsc:
			b.WriteByte(replyEsc)
			b.WriteByte('e')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// do runs one request.
func (h *hostFS) do(op string, args []string) ([]byte, int) {
	if op == "i" {
		// What the board may do: it refuses writes early when read-only.
		if h.writable {
			return []byte("rw"), 0
		}
		return []byte("ro"), 0
	}
	want := map[string]int{"s": 1, "l": 1, "r": 1, "w": 2, "x": 1, "m": 1, "d": 1, "n": 2}
	n, ok := want[op]
	if !ok || len(args) != n {
		return nil, errnoEINVAL
	}
	p, errno := h.path(args[0])
	if errno != 0 {
		return nil, errno
	}
	switch op {
	case "w", "x", "m", "d", "n":
		if !h.writable {
			return nil, errnoEROFS
		}
	}
	var err error
	switch op {
	case "s":
		fi, err := os.Stat(p)
		if err != nil {
			return nil, errnoOf(err)
		}
		kind := "f"
		if fi.IsDir() {
			kind = "d"
		}
		return fmt.Appendf(nil, "%s %d %d", kind, fi.Size(), fi.ModTime().Unix()), 0
	case "l":
		des, err := os.ReadDir(p)
		if err != nil {
			return nil, errnoOf(err)
		}
		var b strings.Builder
		for _, de := range des {
			kind := "f"
			if fi, err := os.Stat(filepath.Join(p, de.Name())); err == nil && fi.IsDir() {
				kind = "d"
			}
			fmt.Fprintf(&b, "%s %s\n", kind, de.Name())
		}
		return []byte(b.String()), 0
	case "r":
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, errnoOf(err)
		}
		return data, 0
	case "w":
		err = os.WriteFile(p, []byte(args[1]), 0o644)
	case "x":
		if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
			return nil, errnoEISDIR
		}
		err = os.Remove(p)
	case "m":
		err = os.Mkdir(p, 0o755)
	case "d":
		if fi, serr := os.Stat(p); serr == nil && !fi.IsDir() {
			return nil, errnoENOTDIR
		}
		err = os.Remove(p)
	case "n":
		to, errno := h.path(args[1])
		if errno != 0 {
			return nil, errno
		}
		err = os.Rename(p, to)
	}
	if err != nil {
		return nil, errnoOf(err)
	}
	return nil, 0
}

// path maps a path inside the mount ("/lib/a.py") to the host's, or
// refuses it: ".." anywhere, or a link that leads out of the folder.
func (h *hostFS) path(p string) (string, int) {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", errnoEACCES
		}
	}
	full := filepath.Join(h.root, filepath.FromSlash(path.Clean("/"+p)))
	// Resolve links in what exists of the path (the last element may be
	// a file about to be created).
	real, err := filepath.EvalSymlinks(full)
	if errors.Is(err, fs.ErrNotExist) {
		parent, perr := filepath.EvalSymlinks(filepath.Dir(full))
		if perr != nil {
			return full, 0 // a missing parent: the operation says ENOENT
		}
		real = filepath.Join(parent, filepath.Base(full))
	} else if err != nil {
		return "", errnoEIO
	}
	if real != h.root && !strings.HasPrefix(real, h.root+string(filepath.Separator)) {
		return "", errnoEACCES
	}
	return full, 0
}

// errnoOf maps a host error to the board's errno.
func errnoOf(err error) int {
	var en syscall.Errno
	switch {
	case errors.As(err, &en):
		return int(en)
	case errors.Is(err, fs.ErrNotExist):
		return errnoENOENT
	case errors.Is(err, fs.ErrExist):
		return errnoEEXIST
	case errors.Is(err, fs.ErrPermission):
		return errnoEACCES
	}
	return errnoEIO
}

// mount is %mount.
func (r *Registry) mount() Magic {
	return Magic{
		Name:    "mount",
		Args:    "DIR",
		Summary: "Let the board import from a host folder, mounted at /remote, reading its files on demand.",
		Detail: `As mpremote's mount: the board sees DIR as /remote, which becomes its
current directory, so "import app" reads app.py from the host when the
board imports it; edits on the host are seen by the next import (del
sys.modules['app'] first). Nothing is copied. The board's requests travel
beside the cell's output on the board link and are answered while board
code runs. Paths leaving DIR ("..", links to outside) are refused. -l lets
the board write, remove and rename files there. %umount ends it, and so
does %disconnect; after %softreset or %hardreset the folder is mounted
again.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			writable := fs.Bool("l", false, "let the board write to DIR")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) != 1 {
					return usageErrorf("want one host DIR, got %d arguments (quote a name with spaces)", len(args))
				}
				if _, ok := boardArg(args[0]); ok {
					return usageErrorf("%s is a board path: %%mount mounts a host folder on the board", args[0])
				}
				dir, err := hostPath(env, args[0])
				if err != nil {
					return err
				}
				fi, err := os.Stat(dir)
				if err != nil {
					return fmt.Errorf("mount %s: %w", dir, errors.Unwrap(err))
				}
				if !fi.IsDir() {
					return fmt.Errorf("mount %s: not a folder", dir)
				}
				serve, err := FolderServer(dir, *writable)
				if err != nil {
					return fmt.Errorf("mount %s: %w", dir, err)
				}
				b, err := board(env)
				if err != nil {
					return err
				}
				srv, ok := b.(server)
				if ok {
					srv.Serve(serve)
				}
				if !ok || !srv.Serving() {
					return fmt.Errorf("mount: this board's link (%s) cannot serve files to the board", b.URL())
				}
				if err := boardpy.Mount(ctx, b, mountPoint); err != nil {
					srv.Serve(nil)
					return err
				}
				mode := "read-only"
				if *writable {
					mode = "read-write"
				}
				_, err = fmt.Fprintf(env.Stdout(), "mounted %s at :%s (%s); the board's current directory is :%s\n", dir, mountPoint, mode, mountPoint)
				return err
			}
		},
	}
}

// umount is %umount.
func (r *Registry) umount() Magic {
	return Magic{
		Name:    "umount",
		Summary: "Unmount the host folder that %mount put at /remote.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("takes no arguments")
				}
				b, err := board(env)
				if err != nil {
					return err
				}
				err = boardpy.Umount(ctx, b, mountPoint)
				if srv, ok := b.(server); ok {
					srv.Serve(nil)
				}
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout(), "unmounted :%s\n", mountPoint)
				return err
			}
		},
	}
}
