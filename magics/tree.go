package magics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/iotkernel/iotkernel/boardpy"
)

// df is %df.
func (r *Registry) df() Magic {
	return Magic{
		Name:    "df",
		Args:    "[:PATH...]",
		Summary: "Show the size and free room of the board's filesystem (default: the one holding /).",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) == 0 {
					args = []string{":/"}
				}
				var out bytes.Buffer
				row := "%10s  %10s  %10s  %4s  %s\n"
				fmt.Fprintf(&out, row, "size", "used", "free", "use%", "path")
				err := onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					du, err := boardpy.Df(ctx, b, p)
					if err != nil {
						return err
					}
					pct := 0
					if du.Size > 0 {
						pct = int((du.Size - du.Free) * 100 / du.Size)
					}
					fmt.Fprintf(&out, row, byteSize(du.Size), byteSize(du.Size-du.Free), byteSize(du.Free), fmt.Sprintf("%d%%", pct), ":"+p)
					return nil
				})
				if err != nil {
					return err
				}
				_, err = env.Stdout().Write(out.Bytes())
				return err
			}
		},
	}
}

// tree is %tree.
func (r *Registry) tree() Magic {
	return Magic{
		Name:    "tree",
		Args:    "[:DIR]",
		Summary: "Show a board folder and everything under it (default: the board's current directory).",
		Detail:  "The whole tree is listed in one round trip to the board.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			long := fs.Bool("l", false, "show file sizes")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("want at most one :DIR")
				}
				if len(args) == 0 {
					args = []string{":"}
				}
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					entries, err := boardpy.Tree(ctx, b, p, false)
					if err != nil {
						return err
					}
					if len(entries) == 1 && entries[0].Path == "" && !entries[0].Dir {
						return fmt.Errorf("tree :%s: is a file, not a folder (%%ls -l :%s shows it)", p, p)
					}
					_, err = env.Stdout().Write([]byte(drawTree(":"+p, entries, *long)))
					return err
				})
			}
		},
	}
}

// drawTree draws entries (depth first, as boardpy.Tree lists them) under
// a title line, with the lines of the tree command.
func drawTree(title string, entries []boardpy.TreeEntry, sizes bool) string {
	var b strings.Builder
	b.WriteString(title + "\n")
	var dirs, files int
	var total int64
	depth := func(p string) int { return strings.Count(p, "/") }
	for i, e := range entries {
		d := depth(e.Path)
		// Each ancestor level shows a bar when more entries follow at
		// that level below it.
		var prefix strings.Builder
		for level := 0; level <= d; level++ {
			more := false
			for _, n := range entries[i+1:] {
				if nd := depth(n.Path); nd < level {
					break
				} else if nd == level {
					more = true
					break
				}
			}
			switch {
			case level < d && more:
				prefix.WriteString("│   ")
			case level < d:
				prefix.WriteString("    ")
			case more:
				prefix.WriteString("├── ")
			default:
				prefix.WriteString("└── ")
			}
		}
		name := e.Path[strings.LastIndex(e.Path, "/")+1:]
		if e.Dir {
			dirs++
			name += "/"
		} else {
			files++
			total += e.Size
			if sizes {
				name += fmt.Sprintf("  (%s)", byteSize(e.Size))
			}
		}
		b.WriteString(prefix.String() + name + "\n")
	}
	fmt.Fprintf(&b, "\n%d folder(s), %d file(s), %s\n", dirs, files, byteSize(total))
	return b.String()
}

// sha256Magic is %sha256.
func (r *Registry) sha256Magic() Magic {
	return Magic{
		Name:    "sha256",
		Args:    ":PATH...",
		Summary: "Print the SHA-256 of board files, as sha256sum does.",
		Detail: `The board computes it; a board without hashlib sends the file, verified,
and the host computes it.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				return onBoardPaths(ctx, env, args, func(ctx context.Context, b Board, p string) error {
					entries, err := boardpy.Tree(ctx, b, p, true)
					if errors.Is(err, boardpy.ErrNotFound) {
						return fmt.Errorf("sha256 :%s: no such file on the board", p)
					}
					if err != nil {
						return err
					}
					if len(entries) != 1 || entries[0].Path != "" || entries[0].Dir {
						return fmt.Errorf("sha256 :%s: is a directory", p)
					}
					sum, ok := strings.CutPrefix(string(entries[0].Hash), "sha256 ")
					if !ok {
						data, err := boardpy.Read(ctx, b, p, nil)
						if err != nil {
							return err
						}
						h := sha256.Sum256(data)
						sum = hex.EncodeToString(h[:])
					}
					_, err = fmt.Fprintf(env.Stdout(), "%s  :%s\n", sum, p)
					return err
				})
			}
		},
	}
}
