package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// BoardSet is the session's connected boards, by name, for an Env that
// keeps several at once (the router's does): %connect --as, %boards,
// %use and %disconnect NAME act through it. An Env that does not
// implement it holds one board, reached through Env.Board and Connect.
// Its methods may be called while boards run cells.
type BoardSet interface {
	// ConnectAs opens url and keeps it as the board called name, which
	// becomes the current board. A board already connected as name is
	// closed first, so that its port can be reopened; the other boards
	// stay connected.
	ConnectAs(ctx context.Context, name, url string) (BoardStatus, error)
	// DisconnectBoard closes the named board ("" is the current one). When
	// it was current, the board connected last before it becomes current;
	// the status of that one (Name "" when none is left) comes back.
	DisconnectBoard(name string) (closed, current BoardStatus, err error)
	// Use makes the named board current.
	Use(name string) (BoardStatus, error)
	// Boards lists the connected boards in the order they were connected.
	Boards() []BoardStatus
}

// BoardStatus is one connected board as %boards shows it.
type BoardStatus struct {
	Name     string
	URL      string
	Platform string // sys.platform, "" when not known
	Current  bool
	// State is "idle", "running cell [N]", "background cell [N]" or
	// "gone" (its link vanished; the next cell tries to reopen it).
	State string
}

// boardSet returns env's BoardSet, or an error saying the session keeps
// one board.
func boardSet(env Env) (BoardSet, error) {
	if bs, ok := env.(BoardSet); ok {
		return bs, nil
	}
	return nil, errors.New("this session keeps one board at a time")
}

// UnknownBoardError is the error for a board name that is not connected;
// it names the closest connected ones.
type UnknownBoardError struct {
	Name  string
	Known []string // the connected boards' names
}

func (e *UnknownBoardError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("no board named %q is connected (none is: %%connect [--as NAME] NAME|URL connects one)", e.Name)
	}
	if near := suggest(e.Name, e.Known); len(near) > 0 {
		return fmt.Sprintf("no board named %q is connected: did you mean %s? (%%boards lists them)", e.Name, strings.Join(near, " or "))
	}
	return fmt.Sprintf("no board named %q is connected: the boards are %s", e.Name, strings.Join(e.Known, ", "))
}

// boardsMagic is %boards.
func (r *Registry) boardsMagic() Magic {
	return Magic{
		Name:    "boards",
		Summary: "List the connected boards: name, URL, platform and what each is doing.",
		Detail: `The current board (marked *) runs plain board cells; %use NAME changes
it, %%board NAME runs one cell elsewhere. A board's state is idle,
running cell [N], background cell [N] (%%bg) or gone (its link vanished:
the next cell on it tries to reopen it).`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("takes no arguments")
				}
				bs, err := boardSet(env)
				if err != nil {
					return err
				}
				list := bs.Boards()
				if len(list) == 0 {
					_, err := io.WriteString(env.Stdout(), "no board is connected (%connect [--as NAME] NAME|URL connects one)\n")
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "  NAME\tURL\tPLATFORM\tSTATE")
				for _, b := range list {
					mark := " "
					if b.Current {
						mark = "*"
					}
					p := b.Platform
					if p == "" {
						p = "?"
					}
					fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\n", mark, b.Name, b.URL, p, b.State)
				}
				return tw.Flush()
			}
		},
	}
}

// use is %use.
func (r *Registry) use() Magic {
	return Magic{
		Name:    "use",
		Args:    "NAME",
		Summary: "Make the connected board NAME the current one (for plain board cells and magics).",
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) != 1 {
					return usageErrorf("want one board name")
				}
				bs, err := boardSet(env)
				if err != nil {
					return err
				}
				b, err := bs.Use(args[0])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout(), "current board: %s @ %s\n", b.Name, b.URL)
				return err
			}
		},
	}
}
