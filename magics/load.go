package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/boardpy"
)

// maxLoad is the largest file %load puts in a cell.
const maxLoad = 1 << 20

// load is %load.
func (r *Registry) load() Magic {
	return Magic{
		Name:    "load",
		Args:    ":PATH|PATH",
		Summary: "Replace the cell with the text of a board file (:PATH) or a host file.",
		Detail: `As IPython's %load: the cell becomes "# %load PATH" and the file's text,
for editing and running (the first line is a comment, so running it does
not load the file again). The file must be UTF-8 text of at most 1 MiB.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) != 1 {
					return usageErrorf("want one :PATH or PATH, got %d arguments (quote a name with spaces)", len(args))
				}
				var data []byte
				if p, ok := boardArg(args[0]); ok {
					b, err := board(env)
					if err != nil {
						return err
					}
					st, err := boardpy.Stat(ctx, b, p)
					switch {
					case err != nil:
						return err
					case !st.Exists:
						return fmt.Errorf("load :%s: no such file on the board (%%ls lists its files)", p)
					case st.Dir:
						return fmt.Errorf("load :%s: is a directory", p)
					case st.Size > maxLoad:
						return fmt.Errorf("load :%s: %s is too big for a cell (at most %s): %%cp copies it", p, byteSize(st.Size), byteSize(maxLoad))
					}
					if data, err = boardpy.Read(ctx, b, p, nil); err != nil {
						return err
					}
				} else {
					p, err := hostPath(env, args[0])
					if err != nil {
						return err
					}
					fi, err := os.Stat(p)
					switch {
					case err != nil:
						return fmt.Errorf("load %s: %w (board files are :PATH)", p, errors.Unwrap(err))
					case fi.IsDir():
						return fmt.Errorf("load %s: is a directory", p)
					case fi.Size() > maxLoad:
						return fmt.Errorf("load %s: %s is too big for a cell (at most %s)", p, byteSize(fi.Size()), byteSize(maxLoad))
					}
					if data, err = os.ReadFile(p); err != nil {
						return fmt.Errorf("load: %w", err)
					}
				}
				if !utf8.Valid(data) {
					return fmt.Errorf("load %s: not text (not UTF-8): %%cp copies it", args[0])
				}
				env.SetNextInput("# %load "+args[0]+"\n"+string(data), true)
				return nil
			}
		},
	}
}

// captureFile is what %capture gives the session: a host file that the
// output of board cells is appended to. A failed write never fails the
// cell; the first error is reported when the capture ends.
type captureFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	n    int64
	err  error
}

func (c *captureFile) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		n, err := c.f.Write(p)
		c.n += int64(n)
		c.err = err
	}
	return len(p), nil
}

// Close closes the file, returning the first error of its writes or of
// closing it.
func (c *captureFile) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.f.Close(); c.err == nil {
		c.err = err
	}
	return c.err
}

// capture is %capture.
func (r *Registry) capture() Magic {
	return Magic{
		Name:    "capture",
		Args:    "FILE|off",
		Summary: "Also write the output of the board cells that follow to a host file; %capture off stops.",
		Detail: `Each following board cell's output, its result and its error, if any, are
written to FILE as they come (a sensor's readings over a long run), until
%capture off, another %capture, or the kernel's end. FILE is replaced
unless -a appends to it. %capture alone says what is being captured.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			appendTo := fs.Bool("a", false, "append to FILE instead of replacing it")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("want one FILE, or off, got %d arguments (quote a name with spaces)", len(args))
				}
				if len(args) == 0 {
					old := env.Capture(nil)
					env.Capture(old)
					if c, ok := old.(*captureFile); ok {
						_, err := fmt.Fprintf(env.Stdout(), "capturing board output to %s (%s so far)\n", c.path, byteSize(c.n))
						return err
					}
					_, err := fmt.Fprintln(env.Stdout(), "not capturing")
					return err
				}
				var next io.Writer
				var c *captureFile
				if args[0] != "off" {
					p, err := hostPath(env, args[0])
					if err != nil {
						return err
					}
					flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
					if *appendTo {
						flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
					}
					f, err := os.OpenFile(p, flags, 0o644)
					if err != nil {
						return fmt.Errorf("capture: %w", err)
					}
					c = &captureFile{path: p, f: f}
					next = c
				}
				var err error
				if old, ok := env.Capture(next).(*captureFile); ok {
					if cerr := old.Close(); cerr != nil {
						err = fmt.Errorf("capture to %s: %w", old.path, cerr)
					}
					fmt.Fprintf(env.Stdout(), "captured %s to %s\n", byteSize(old.n), old.path)
				} else if c == nil {
					fmt.Fprintln(env.Stdout(), "not capturing")
				}
				if c != nil {
					fmt.Fprintf(env.Stdout(), "capturing board output to %s\n", c.path)
				}
				return err
			}
		},
	}
}
