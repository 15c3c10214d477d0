package magics

import (
	"context"
	"errors"
	"flag"
	"io"
	"slices"
)

// BoardsCell is the first line of a %%board cell: the boards it runs on.
type BoardsCell struct {
	Names []string // in the order given, without repeats
	All   bool     // --all: every connected board
}

const boardCellDetail = `With one NAME the cell runs on that board as a plain board cell would on
the current one (line magics in it act on that board too). With several
NAMEs, or --all (every connected board), it runs on each at once: each
board's output shows under its own heading, updated in place while it
runs, errors are shown per board, and a table at the end says how each
ended (status, time). The cell fails if any board failed; interrupting it
stops every board. input() fails on boards run together: nobody could
tell which board asks.`

// boardCell is %%board.
func boardCell() Magic {
	return Magic{
		Name:    "board",
		Args:    "NAME... | --all",
		Summary: "Run the cell on the named boards (several at once), not on the current one.",
		Detail:  boardCellDetail,
		Cell:    true,
		Body:    BoardBody,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			fs.Bool("all", false, "run on every connected board")
			return nil
		},
	}
}

// ParseBoardsCell parses the first line of a %%board cell after
// "%%board".
func (r *Registry) ParseBoardsCell(args string) (BoardsCell, error) {
	m := r.magics["%board"]
	fail := func(err error) (BoardsCell, error) {
		return BoardsCell{}, &UsageError{Magic: "%" + m.Name, Err: err, Usage: synopsis(m)}
	}
	words, err := SplitArgs(args)
	if err != nil {
		return fail(err)
	}
	fs := flag.NewFlagSet("%%board", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "")
	rest, err := parseInterspersed(fs, words)
	if err != nil {
		return fail(err)
	}
	switch {
	case *all && len(rest) > 0:
		return fail(errors.New("give board names or --all, not both"))
	case !*all && len(rest) == 0:
		return fail(errors.New("name the boards to run on (%boards lists them), or --all"))
	}
	var names []string
	for _, n := range rest {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return BoardsCell{Names: names, All: *all}, nil
}
