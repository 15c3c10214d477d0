package magics

import (
	"context"
	"flag"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/mip"
)

// mipMagic is %mip.
func (r *Registry) mipMagic() Magic {
	return Magic{
		Name:    "mip",
		Args:    "install PKG[@VERSION]...",
		Summary: "Install MicroPython packages (micropython-lib, github:, URLs) on the board, as mpremote mip does.",
		Detail: `The host downloads each package and its dependencies from the index
(default ` + mip.DefaultIndex + `): package/MPY/NAME/VERSION.json, MPY
being the board's .mpy version (sys.implementation._mpy) so that compiled
files match its firmware, then every file, whose SHA-256 must match the
index's hash; a bad hash installs nothing. The files are copied to the
board, each verified by hash, into the first directory of its sys.path
that ends in /lib unless -target says where. PKG may also be
github:ORG/REPO[/PATH][@BRANCH], gitlab:..., or an http(s) URL of a .py,
.mpy or package.json file, or of a folder holding package.json.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			target := fs.String("target", "", "install into `:DIR` on the board")
			index := fs.String("index", mip.DefaultIndex, "the package index's `URL`")
			noMPY := fs.Bool("no-mpy", false, "install .py source rather than compiled .mpy files")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) == 0 {
					return usageErrorf("want install PKG...")
				}
				if args[0] != "install" {
					return usageErrorf("%q is no %%mip command: %%mip install PKG installs a package", args[0])
				}
				if len(args) == 1 {
					return usageErrorf("want a package after install")
				}
				dir := ""
				if *target != "" {
					p, ok := boardArg(*target)
					if !ok {
						return needBoardPath(*target)
					}
					dir = p
				}
				b, err := board(env)
				if err != nil {
					return err
				}
				lib, err := boardpy.Lib(ctx, b)
				if err != nil {
					return err
				}
				if dir == "" {
					if lib.Dir == "" {
						return fmt.Errorf("mip: the board's sys.path has no directory ending in /lib: say where with -target :DIR")
					}
					dir = lib.Dir
				}
				mpy := "py"
				if lib.MPY > 0 && !*noMPY {
					mpy = strconv.Itoa(lib.MPY)
				}
				res := &mip.Resolver{Index: *index, MPY: mpy}
				for _, spec := range args[1:] {
					if err := r.mipInstall(ctx, env, b, res, spec, dir); err != nil {
						return err
					}
				}
				return nil
			}
		},
	}
}

// mipInstall installs one package and its dependencies into dir.
func (r *Registry) mipInstall(ctx context.Context, env Env, b Board, res *mip.Resolver, spec, dir string) error {
	out := env.Stdout()
	fmt.Fprintf(out, "Installing %s from %s to :%s\n", spec, strings.TrimRight(res.Index, "/"), dir)
	pkgs, err := res.Resolve(ctx, spec)
	if err != nil {
		return fmt.Errorf("mip: %w", err)
	}
	prog := newProgress(env, r.opts.Now)
	made := map[string]bool{}
	var files int
	var bytes int64
	var names []string
	summary := func() string {
		return fmt.Sprintf("installed %s: %d file(s), %s", strings.Join(names, ", "), files, byteSize(bytes))
	}
	for _, p := range pkgs {
		name := p.Name
		if p.Version != "" {
			name += " " + p.Version
		}
		names = append(names, name)
		for _, f := range p.Files {
			dst := boardpy.Join(dir, f.Path)
			if parent := path.Dir(dst); parent != "." && !made[parent] {
				if err := boardpy.MkdirAll(ctx, b, parent); err != nil {
					prog.finish(summary())
					return err
				}
				made[parent] = true
			}
			size := int64(len(f.Data))
			err := boardpy.Write(ctx, b, dst, f.Data, boardpy.WriteOptions{Chunk: r.opts.ChunkSize, Progress: func(n int64) { prog.update(f.Path, n, size) }})
			if err != nil {
				prog.finish(summary())
				return fmt.Errorf("%w (the package may be partly installed)", noRoom(ctx, b, dst, size, err))
			}
			prog.fileDone(size)
			files++
			bytes += size
			fmt.Fprintf(out, "  :%s (%s)\n", dst, byteSize(size))
		}
	}
	prog.finish(summary())
	_, err = fmt.Fprintln(out, summary())
	return err
}
