package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
)

// A Magic is one magic: its name, its help text and what it does.
type Magic struct {
	Name    string // without '%'
	Args    string // synopsis of the arguments after the flags: "NAME|URL"
	Summary string // one line for %lsmagic
	Detail  string // paragraphs for %NAME -h, after the summary
	// Cell marks a cell magic (%%NAME on a cell's first line), and Body
	// says what its body is.
	Cell bool
	Body CellBody
	// New declares the magic's flags on fs, a fresh FlagSet for each call,
	// and returns the function that runs the magic once fs is parsed,
	// given the remaining arguments. A cell magic has none, or one that
	// only declares the flags of its first line (for its usage text).
	New func(fs *flag.FlagSet) func(ctx context.Context, env Env, args []string) error
	// RunCell runs a cell magic with a DataBody: args is the rest of its
	// line, body the cell below it.
	RunCell func(r *Registry, ctx context.Context, env Env, args, body string) error
}

// CellBody says what the body of a cell magic is, which the router needs
// to split a cell before anything runs.
type CellBody int

const (
	// GoBody is Go code that the session's interpreter runs, with line
	// magics and !commands at column 0 in between (%%host).
	GoBody CellBody = iota + 1
	// DataBody is text handed whole to the magic's RunCell (%%bash,
	// %%writefile): no line in it is a magic.
	DataBody
	// BoardBody is MicroPython run on the board as a plain board cell
	// (line magics and !commands included); the magic changes how the
	// session shows its output (%%plot).
	BoardBody
	// NestedBody is a cell of its own, which may start with a cell magic
	// (%%time): the router parses it as a cell.
	NestedBody
)

// LookupCell returns what the body of the cell magic name is ("host",
// without "%%"), and false when there is no such cell magic. It needs no
// Registry: the cell magics are the same in every one.
func LookupCell(name string) (CellBody, bool) {
	for _, m := range cellMagics() {
		if m.Name == name {
			return m.Body, true
		}
	}
	return 0, false
}

// Options configure a Registry. The zero value uses the real system.
type Options struct {
	// Discover lists serial ports; default transport.Discover.
	Discover func(ctx context.Context) ([]transport.PortInfo, error)
	// Probe asks the board at url who it is (for %discover -a); default
	// opens it and asks boardpy.Describe.
	Probe func(ctx context.Context, url string) (boardpy.Info, error)
	// Now is the host clock; default time.Now.
	Now func() time.Time
	// ChunkSize is the number of file bytes sent to the board per Exec;
	// default boardpy.DefaultChunk.
	ChunkSize int
}

// key is where m is kept in a Registry: a line magic by its name, a cell
// magic by "%" and its name, so that %time and %%time can both exist.
func key(m Magic) string {
	if m.Cell {
		return "%" + m.Name
	}
	return m.Name
}

// A Registry holds the magics of a kernel. It keeps no state between
// calls besides its options, so one Registry can serve several sessions;
// Run is safe for concurrent use.
type Registry struct {
	opts   Options
	magics map[string]Magic
}

// NewRegistry returns a registry holding every magic of the kernel.
func NewRegistry(opts Options) *Registry {
	if opts.Discover == nil {
		opts.Discover = transport.Discover
	}
	if opts.Probe == nil {
		opts.Probe = probe
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = boardpy.DefaultChunk
	}
	r := &Registry{opts: opts, magics: make(map[string]Magic)}
	for _, m := range r.all() {
		r.magics[key(m)] = m
	}
	return r
}

// all lists the magics, grouped as %lsmagic shows them.
func (r *Registry) all() []Magic {
	ms := []Magic{
		r.lsmagic(),
		r.connect(), r.disconnect(), r.discover(),
		r.boardsMagic(), r.use(), r.bgLine(),
		r.softreset(), r.hardreset(), r.info(),
		r.storeMagic(),
		r.cd(), r.hostreset(),
		r.ls(), r.cat(), r.cp(), r.rm(), r.mkdir(),
		r.synctime(), r.gettime(),
		r.plotLine(), timeLine(),
		r.rsync(), r.rdiff(), r.load(), r.capture(),
		r.df(), r.tree(), r.sha256Magic(), r.mipMagic(),
		r.mount(), r.umount(),
	}
	return append(ms, cellMagics()...)
}

// Names returns the names of the magics, sorted, for completion after
// '%': line magics as "connect", cell magics with their second '%' as
// "%bash", so that "%" + name is what the user types.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.magics))
	for k := range r.magics {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Usage returns the help text of the named magic (without '%'; a cell
// magic may be named "%bash" too, and is the one meant when a line magic
// has the same name), or "" when there is no such magic.
func (r *Registry) Usage(name string) string {
	m, ok := r.magics[name]
	if !ok {
		m, ok = r.magics["%"+name]
	}
	if !ok {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n\n%s\n", synopsis(m), m.Summary)
	if m.Detail != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(m.Detail))
	}
	if m.New != nil {
		fs := flag.NewFlagSet(m.Name, flag.ContinueOnError)
		m.New(fs)
		var flags strings.Builder
		fs.SetOutput(&flags)
		fs.PrintDefaults()
		if flags.Len() > 0 {
			fmt.Fprintf(&b, "\nflags:\n%s", flags.String())
		}
	}
	return b.String()
}

// synopsis is the one-line usage of m: "%connect [flags] NAME|URL".
func synopsis(m Magic) string {
	s := "%" + m.Name
	if m.Cell {
		s = "%" + s
	}
	if m.New != nil {
		fs := flag.NewFlagSet(m.Name, flag.ContinueOnError)
		m.New(fs)
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
		if len(names) > 0 {
			s += " [" + strings.Join(names, "] [") + "]"
		}
	}
	if m.Args != "" {
		s += " " + m.Args
	}
	return s
}

// Run runs the line magic in line, the text after '%' ("connect -q esp32").
// "%NAME -h" writes the magic's usage to env.Stdout(). An unknown magic, a
// bad flag or missing arguments are a *UsageError; errors from the board
// (*transport.ExecError) are returned unchanged.
func (r *Registry) Run(ctx context.Context, line string, env Env) error {
	args, err := SplitArgs(line)
	if err != nil {
		return &UsageError{Err: err}
	}
	if len(args) == 0 {
		return &UsageError{Err: errors.New("no magic name after %: %lsmagic lists the magics")}
	}
	name := args[0]
	if cellName, ok := strings.CutPrefix(name, "%"); ok {
		// "%%bash" below a cell's first line reaches here as "%bash".
		if cell, ok := r.magics["%"+cellName]; ok {
			if slices.Contains(args[1:], "-h") || slices.Contains(args[1:], "--help") {
				_, err := io.WriteString(env.Stdout(), r.Usage(name))
				return err
			}
			return misplacedCellMagic(cell)
		}
	}
	m, ok := r.magics[name]
	if !ok {
		cell, ok := r.magics["%"+name]
		if !ok {
			return r.unknown(name)
		}
		if slices.Contains(args[1:], "-h") || slices.Contains(args[1:], "--help") {
			_, err := io.WriteString(env.Stdout(), r.Usage("%"+name))
			return err
		}
		return misplacedCellMagic(cell)
	}
	fs := flag.NewFlagSet("%"+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := m.New(fs)
	rest, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(env.Stdout(), r.Usage(name))
		return err
	}
	if err != nil {
		return &UsageError{Magic: name, Err: err, Usage: synopsis(m)}
	}
	err = run(ctx, env, rest)
	if ue, ok := isUsage(err); ok && ue.Magic == "" {
		ue.Magic, ue.Usage = name, synopsis(m)
	}
	return err
}

// RunCell runs the cell magic with a DataBody in line, the cell's first
// line after "%%" ("writefile -a x.py"), on body. An unknown cell magic is
// a *UsageError naming the closest ones.
func (r *Registry) RunCell(ctx context.Context, line, body string, env Env) error {
	name, args, _ := strings.Cut(line, " ")
	m, ok := r.magics["%"+name]
	if !ok {
		return r.unknownCell(name)
	}
	if m.RunCell == nil {
		return fmt.Errorf("%%%%%s has no body runner: its cells are run by the session", name)
	}
	return m.RunCell(r, ctx, env, strings.TrimSpace(args), body)
}

// UnknownCell is the error for a cell that starts with %%NAME, NAME being
// no cell magic (line is the first line after "%%").
func (r *Registry) UnknownCell(line string) error {
	name, _, _ := strings.Cut(line, " ")
	return r.unknownCell(name)
}

// misplacedCellMagic is the error for cell magic m used as a line magic.
func misplacedCellMagic(m Magic) error {
	return &UsageError{Magic: m.Name, Err: fmt.Errorf("%%%%%s is a cell magic: put it alone on the first line of a cell", m.Name), Usage: synopsis(m)}
}

// parseInterspersed parses flags anywhere among the arguments, as
// "%connect esp32 -q" needs; after "--" every argument is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			break
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
	return rest, nil
}

// unknown is the error for a line magic that is not in the registry.
func (r *Registry) unknown(name string) error { return r.unknownOf(name, false) }

// unknownCell is the error for a cell magic that is not in the registry.
func (r *Registry) unknownCell(name string) error { return r.unknownOf(name, true) }

// unknownOf names the closest line magics, or cell magics, to name.
func (r *Registry) unknownOf(name string, cell bool) error {
	prefix, what := "%", "magic"
	if cell {
		prefix, what = "%%", "cell magic"
	}
	var names []string
	for _, m := range r.magics {
		if m.Cell == cell {
			names = append(names, m.Name)
		}
	}
	near := suggest(name, names)
	if len(near) == 0 {
		return &UsageError{Err: fmt.Errorf("unknown %s %s%s: %%lsmagic lists the magics", what, prefix, name)}
	}
	for i, n := range near {
		near[i] = prefix + n
	}
	return &UsageError{Err: fmt.Errorf("unknown %s %s%s: did you mean %s?", what, prefix, name, strings.Join(near, " or "))}
}

// lsmagic lists the magics with their summaries.
func (r *Registry) lsmagic() Magic {
	return Magic{
		Name:    "lsmagic",
		Summary: "List the magics, each with a one-line summary.",
		Detail:  "%NAME -h shows the full usage of one magic.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("takes no arguments")
				}
				_, err := io.WriteString(env.Stdout(), r.List())
				return err
			}
		},
	}
}

// List returns the %lsmagic text: the line magics, then the cell magics,
// each with its synopsis and summary.
func (r *Registry) List() string {
	var line, cell []Magic
	for _, m := range r.magics {
		if m.Cell {
			cell = append(cell, m)
		} else {
			line = append(line, m)
		}
	}
	byName := func(a, b Magic) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(line, byName)
	slices.SortFunc(cell, byName)
	var b strings.Builder
	section := func(title string, ms []Magic) {
		fmt.Fprintf(&b, "%s:\n", title)
		width := 0
		for _, m := range ms {
			width = max(width, len(synopsis(m)))
		}
		for _, m := range ms {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, synopsis(m), m.Summary)
		}
	}
	section("Line magics", line)
	b.WriteString("\n")
	section("Cell magics (first line of a cell)", cell)
	b.WriteString("\nLines starting with ! run in bash. %NAME -h shows a magic's usage.\n")
	return b.String()
}
