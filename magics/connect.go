package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/internal/userfile"
	"github.com/iotkernel/iotkernel/transport"
)

// BoardsPath returns the boards file of env: $IOTKERNEL_BOARDS, else
// $XDG_CONFIG_HOME/iotkernel/boards.json, else
// ~/.config/iotkernel/boards.json.
func BoardsPath(env Env) (string, error) {
	if p := getenv(env, "IOTKERNEL_BOARDS"); p != "" {
		return p, nil
	}
	p, err := userfile.ConfigPath(func(k string) string { return getenv(env, k) }, "boards.json")
	if err != nil {
		return "", fmt.Errorf("find the boards file: %w (or set IOTKERNEL_BOARDS)", err)
	}
	return p, nil
}

// resolved is where a %connect argument leads.
type resolved struct {
	name     string // "" when given a URL
	url      string
	password string // the boards file's WebREPL password, if any
	note     string // said before connecting: which of several ports was picked
}

// resolve turns a %connect argument into a URL: a name in the boards file
// first, then a URL as given, then the discovered serial ports whose board
// matches the name.
func (r *Registry) resolve(ctx context.Context, env Env, arg string) (resolved, error) {
	path, err := BoardsPath(env)
	if err != nil {
		return resolved{}, err
	}
	entries, err := readBoardEntries(path)
	if err != nil && !transport.IsURL(arg) {
		return resolved{}, err
	}
	if e, ok := entries[arg]; ok {
		return resolved{name: arg, url: e.URL, password: e.Password}, nil
	}
	boards := urls(entries)
	if transport.IsURL(arg) {
		return resolved{url: arg}, nil
	}
	ports, derr := r.opts.Discover(ctx)
	var match []transport.PortInfo
	for _, p := range ports {
		if portMatches(p, arg) {
			match = append(match, p)
		}
	}
	switch {
	case len(match) == 1:
		return resolved{name: arg, url: "serial://" + match[0].Path}, nil
	case len(match) > 1:
		var others []string
		for _, p := range match[1:] {
			others = append(others, p.Path)
		}
		note := fmt.Sprintf("%d ports match %q: using %s (%s); the others: %s. Connect to one by its path to choose.\n",
			len(match), arg, match[0].Path, describePort(match[0]), strings.Join(others, ", "))
		return resolved{name: arg, url: "serial://" + match[0].Path, note: note}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no board named %q: ", arg)
	if len(boards) > 0 {
		names := make([]string, 0, len(boards))
		for n := range boards {
			names = append(names, n)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "the boards file %s names %s; ", path, strings.Join(names, ", "))
	} else {
		fmt.Fprintf(&b, "the boards file %s names none; ", path)
	}
	switch {
	case derr != nil:
		fmt.Fprintf(&b, "listing serial ports failed (%v); ", derr)
	case len(ports) == 0:
		b.WriteString("no serial ports were found; ")
	default:
		var ps []string
		for _, p := range ports {
			ps = append(ps, p.Path+" ("+describePort(p)+")")
		}
		fmt.Fprintf(&b, "serial ports found: %s; ", strings.Join(ps, ", "))
	}
	b.WriteString("give a URL (serial:///dev/ttyUSB0, socket://HOST:PORT, exec:COMMAND, local) or name one with %connect --save NAME URL")
	return resolved{}, errors.New(b.String())
}

// portMatches reports whether the board on p answers to name: the name
// appears in its chip, product or manufacturer, or is its device name or
// serial number.
func portMatches(p transport.PortInfo, name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{p.Chip, p.Product, p.Manufacturer} {
		if s != "" && strings.Contains(strings.ToLower(s), n) {
			return true
		}
	}
	if p.MicroPython && (n == "micropython" || n == "board") {
		return true
	}
	return n == strings.ToLower(filepath.Base(p.Path)) || (p.SerialNumber != "" && n == strings.ToLower(p.SerialNumber))
}

// describePort is a short description of the board on p.
func describePort(p transport.PortInfo) string {
	var parts []string
	if p.Chip != "" {
		parts = append(parts, p.Chip)
	} else if p.Product != "" {
		parts = append(parts, p.Product)
	}
	if p.VID != "" {
		parts = append(parts, p.VID+":"+p.PID)
	}
	if len(parts) == 0 {
		return "unknown board"
	}
	return strings.Join(parts, ", ")
}

// probe opens the board at url, asks it who it is, and closes it again.
// Opening enters the raw REPL, which interrupts the program the board
// runs.
func probe(ctx context.Context, url string) (boardpy.Info, error) {
	b, err := transport.Open(ctx, url, transport.Options{})
	if err != nil {
		return boardpy.Info{}, err
	}
	defer b.Close()
	info, err := boardpy.Describe(ctx, b)
	if err != nil {
		return boardpy.Info{}, fmt.Errorf("probe %s: %w", url, err)
	}
	return info, nil
}

// connect is %connect.
func (r *Registry) connect() Magic {
	return Magic{
		Name:    "connect",
		Args:    "NAME|URL  or  --save NAME URL",
		Summary: "Attach a board by name or URL; it becomes the current board, the others stay connected.",
		Detail: `URLs: serial:///dev/ttyUSB0 (or just /dev/ttyUSB0, COM3),
socket://HOST:PORT, rfc2217://HOST:PORT (a serial port shared by ser2net),
ws://HOST[:8266] and wss://HOST[:8266][?pin=SHA256|?ca=FILE] (WebREPL),
exec:COMMAND, local (MicroPython's Unix port).

A NAME is looked up in the boards file ($IOTKERNEL_BOARDS, else
~/.config/iotkernel/boards.json: a JSON object of name: URL, editable by
hand or with --save; a WebREPL board's entry may be
{"url": "ws://...", "password": "..."}), then among the serial ports
whose board matches it (esp32 finds the ESP32-class port). %discover
lists both. A WebREPL password comes from the boards file, else
$IOTKERNEL_WEBREPL_PASSWORD, else the notebook asks for it.

Every board connected stays connected under its name (--as NAME, else
its boards-file name, else its URL) until %disconnect NAME; connecting
a name again replaces that board. The last one connected is current:
plain board cells run there. %boards lists them, %use NAME switches,
%%board NAME... runs a cell on others.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			quiet := fs.Bool("q", false, "do not print what was connected")
			save := fs.Bool("save", false, "save NAME = URL in the boards file, then connect")
			as := fs.String("as", "", "keep the board under `NAME` (default: its boards-file name, else its URL)")
			return func(ctx context.Context, env Env, args []string) error {
				arg := ""
				switch {
				case *save && len(args) != 2:
					return usageErrorf("--save wants NAME URL")
				case *as != "" && (transport.IsURL(*as) || strings.ContainsAny(*as, " \t")):
					return usageErrorf("--as %q is not a board name", *as)
				case *save:
					if transport.IsURL(args[0]) || strings.ContainsAny(args[0], " \t") {
						return usageErrorf("--save NAME URL: %q is not a board name", args[0])
					}
					path, err := BoardsPath(env)
					if err != nil {
						return err
					}
					if err := saveBoard(path, args[0], args[1]); err != nil {
						return err
					}
					if !*quiet {
						fmt.Fprintf(env.Stdout(), "saved %s = %s in %s\n", args[0], args[1], path)
					}
					arg = args[0]
				case len(args) != 1:
					return usageErrorf("want one board name or URL")
				default:
					arg = args[0]
				}
				res, err := r.resolve(ctx, env, arg)
				if err != nil {
					return err
				}
				if res.note != "" && !*quiet {
					io.WriteString(env.Stdout(), res.note)
				}
				if res.password != "" {
					ctx = transport.WithPassword(ctx, res.password)
				}
				name := *as
				if name == "" {
					name = res.name
				}
				if name == "" {
					name = res.url
				}
				url, platform := res.url, ""
				if bs, ok := env.(BoardSet); ok {
					st, err := bs.ConnectAs(ctx, name, res.url)
					if err != nil {
						return connectError(res.url, err)
					}
					url, platform = st.URL, st.Platform
				} else {
					b, err := env.Connect(ctx, res.url)
					if err != nil {
						return connectError(res.url, err)
					}
					url = b.URL()
					if !*quiet && name == res.url {
						platform, _ = boardpy.Platform(ctx, b)
					}
				}
				if *quiet {
					return nil
				}
				if name == res.url {
					// Named by its URL: say what it is instead.
					name = platform
					if name == "" {
						name = "board"
					}
				}
				_, err = fmt.Fprintf(env.Stdout(), "Connected to %s @ %s\n", name, url)
				return err
			}
		},
	}
}

// connectError says what failed when a board never answered: a board
// command that exited is not a board that lost its state.
func connectError(url string, err error) error {
	var pe *transport.ProcessExitError
	if !errors.As(err, &pe) {
		return err
	}
	msg := fmt.Sprintf("board %s: the board command %s exited (%s) before answering", url, pe.Name, pe.Status)
	if pe.LastLine != "" {
		msg += fmt.Sprintf("; its last line: %s", pe.LastLine)
	}
	return errors.New(msg)
}

// disconnect is %disconnect.
func (r *Registry) disconnect() Magic {
	return Magic{
		Name:    "disconnect",
		Args:    "[NAME]",
		Summary: "Release the current board, or the board NAME (its port is free for other programs).",
		Detail: `When the current board goes, the board connected last before it becomes
current. A background cell on the board is stopped first.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("takes at most one board name")
				}
				if bs, ok := env.(BoardSet); ok {
					name := ""
					if len(args) == 1 {
						name = args[0]
					}
					if name == "" && env.Board() == nil {
						_, err := io.WriteString(env.Stdout(), "no board was connected\n")
						return err
					}
					closed, cur, err := bs.DisconnectBoard(name)
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stdout(), "Disconnected from %s (%s)\n", closed.Name, closed.URL)
					if closed.Current && cur.Name != "" {
						fmt.Fprintf(env.Stdout(), "current board: %s @ %s\n", cur.Name, cur.URL)
					}
					return nil
				}
				if len(args) > 0 {
					return usageErrorf("this session keeps one board: no name needed")
				}
				b := env.Board()
				if b == nil {
					_, err := io.WriteString(env.Stdout(), "no board was connected\n")
					return err
				}
				url := b.URL()
				if err := env.Disconnect(); err != nil {
					return fmt.Errorf("disconnect %s: %w", url, err)
				}
				_, err := fmt.Fprintf(env.Stdout(), "Disconnected from %s\n", url)
				return err
			}
		},
	}
}

// discover is %discover.
func (r *Registry) discover() Magic {
	return Magic{
		Name:    "discover",
		Summary: "List the boards: names from the boards file and serial ports with VID:PID and chip.",
		Detail: `Listing never interrupts a board. With -a each serial port that is not
the connected board is opened and asked what it runs, which stops the
program running on it; so is each network board of the boards file
(ws://, wss://, rfc2217://, socket://), in parallel, for at most 2 s each.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			probe := fs.Bool("a", false, "ask each board what it runs (interrupts its program)")
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("takes no arguments")
				}
				out := env.Stdout()
				path, err := BoardsPath(env)
				if err != nil {
					return err
				}
				entries, err := readBoardEntries(path)
				if err != nil {
					fmt.Fprintf(env.Stderr(), "%v\n", err)
				}
				boards := urls(entries)
				if len(boards) == 0 {
					fmt.Fprintf(out, "Boards file %s: no names (add one with %%connect --save NAME URL)\n", path)
				} else {
					fmt.Fprintf(out, "Boards file %s:\n", path)
					names := make([]string, 0, len(boards))
					for n := range boards {
						names = append(names, n)
					}
					slices.Sort(names)
					tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
					for _, n := range names {
						fmt.Fprintf(tw, "  %s\t%s\n", n, boards[n])
					}
					tw.Flush()
				}
				if *probe {
					r.probeNetwork(ctx, env, entries)
				}
				ports, err := r.opts.Discover(ctx)
				if err != nil {
					return fmt.Errorf("list serial ports: %w", err)
				}
				fmt.Fprintf(out, "\nSerial ports:\n%s", transport.FormatPorts(ports))
				if !*probe || len(ports) == 0 {
					return nil
				}
				current := ""
				if b := env.Board(); b != nil {
					current = strings.TrimPrefix(b.URL(), "serial://")
				}
				fmt.Fprintf(out, "\nBoards:\n")
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, p := range ports {
					if p.Path == current {
						fmt.Fprintf(tw, "  %s\t(connected: %%info describes it)\n", p.Path)
						continue
					}
					info, err := r.opts.Probe(ctx, "serial://"+p.Path)
					if err != nil {
						fmt.Fprintf(tw, "  %s\t(no answer: %v)\n", p.Path, err)
						continue
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s %s\t%s\n", p.Path, info.Platform, info.Implementation, info.Version, info.Machine)
				}
				return tw.Flush()
			}
		},
	}
}

// networkProbeTime bounds %discover -a's question to one network board,
// so that an unreachable host costs at most that.
const networkProbeTime = 2 * time.Second

// probeNetwork asks each network board of the boards file (WebREPL, RFC
// 2217, raw TCP) who it is, in parallel, each within networkProbeTime,
// and lists the answers in name order.
func (r *Registry) probeNetwork(ctx context.Context, env Env, entries map[string]boardEntry) {
	current := ""
	if b := env.Board(); b != nil {
		current = b.URL()
	}
	var names []string
	for n, e := range entries {
		if isNetworkURL(e.URL) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	lines := make([]string, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		e := entries[n]
		if e.URL == current {
			lines[i] = fmt.Sprintf("  %s\t(connected: %%info describes it)\n", n)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, networkProbeTime)
			defer cancel()
			if e.Password != "" {
				pctx = transport.WithPassword(pctx, e.Password)
			}
			info, err := r.opts.Probe(pctx, e.URL)
			if err != nil {
				lines[i] = fmt.Sprintf("  %s\t(no answer: %v)\n", n, err)
				return
			}
			lines[i] = fmt.Sprintf("  %s\t%s\t%s %s\t%s\n", n, info.Platform, info.Implementation, info.Version, info.Machine)
		}()
	}
	wg.Wait()
	fmt.Fprintf(env.Stdout(), "\nNetwork boards:\n")
	tw := tabwriter.NewWriter(env.Stdout(), 0, 4, 2, ' ', 0)
	for _, l := range lines {
		io.WriteString(tw, l)
	}
	tw.Flush()
}

// isNetworkURL reports whether url reaches a board over the network.
func isNetworkURL(url string) bool {
	for _, p := range []string{"ws://", "wss://", "rfc2217://", "socket://"} {
		if strings.HasPrefix(strings.TrimSpace(url), p) {
			return true
		}
	}
	return false
}

// softreset is %softreset.
func (r *Registry) softreset() Magic {
	return Magic{
		Name:    "softreset",
		Summary: "Soft-reset the board: its variables and imports are gone.",
		Detail:  "The board restarts MicroPython (boot.py runs, main.py does not) and the link stays open.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			quiet := fs.Bool("q", false, "print nothing")
			return func(ctx context.Context, env Env, args []string) error {
				return r.reset(ctx, env, args, *quiet, false)
			}
		},
	}
}

// hardreset is %hardreset.
func (r *Registry) hardreset() Magic {
	return Magic{
		Name:    "hardreset",
		Summary: "Hard-reset the board (as its reset button does): everything on it restarts.",
		Detail:  "The link reconnects once the board is back; variables and imports are gone.",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				return r.reset(ctx, env, args, false, true)
			}
		},
	}
}

// reset runs a soft or hard reset and says what was lost.
func (r *Registry) reset(ctx context.Context, env Env, args []string, quiet, hard bool) error {
	if len(args) > 0 {
		return usageErrorf("takes no arguments")
	}
	b, err := board(env)
	if err != nil {
		return err
	}
	out := env.Stdout()
	if quiet {
		out = io.Discard
	}
	kind, do := "soft", b.SoftReset
	if hard {
		kind, do = "hard", b.HardReset
	}
	fmt.Fprintf(out, "--- %s reset of %s ---\n", kind, b.URL())
	if err := do(ctx, out); err != nil {
		return err
	}
	if _, err = fmt.Fprintf(out, "--- %s reset done: variables and imports on the board are gone ---\n", kind); err != nil {
		return err
	}
	return remount(ctx, env, b, out)
}
