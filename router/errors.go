package router

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iotkernel/iotkernel/host"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/transport"
)

// cellError turns any failure of a cell into what the notebook shows:
// ename, evalue and traceback. It is the one place that knows how each
// part of the kernel reports failure.
func cellError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ce      *kernel.CellError
		panicE  *host.PanicError
		recur   *host.RecursionError
		compile *host.CompileError
		exit    *host.ExitError
		board   *transport.ExecError
		usage   *magics.UsageError
		reset   *transport.ResetError
		stuck   *host.StuckError
		unknown *magics.UnknownBoardError
		busy    *BusyError
	)
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &unknown):
		return textError("UnknownBoardError", unknown.Error())
	case errors.As(err, &busy):
		return textError("BoardBusyError", busy.Error())
	case errors.As(err, &usage):
		return textError("UsageError", usage.Error())
	case errors.Is(err, transport.ErrAuth):
		return textError("WebREPLAuthError", err.Error()+"\n(fix the password in the boards file or $"+transport.PasswordEnv+", then %connect again)")
	case errors.As(err, &reset):
		return textError("BoardResetError", reset.Error())
	case errors.Is(err, transport.ErrNotConnected):
		return textError("NoBoardError", err.Error()+"\n"+connectHint)
	case errors.Is(err, transport.ErrTimeout):
		return textError("BoardTimeoutError", err.Error()+"\n(is the board busy or in another mode? %hardreset, or unplug it and plug it in again)")
	case errors.Is(err, transport.ErrInterruptIgnored):
		return textError("KeyboardInterrupt", err.Error()+"\n(the board may still be running the cell: %hardreset restarts it, losing its variables)")
	case errors.Is(err, transport.ErrReservedByte):
		return textError("ValueError", err.Error())
	case errors.As(err, &board):
		tb := board.Traceback
		if board.Hint != "" {
			tb = append(append([]string(nil), tb...), "", board.Hint)
		}
		if len(tb) == 0 {
			tb = []string{board.Error()}
		}
		return &kernel.CellError{Name: board.Type, Value: board.Value, Traceback: tb}
	case errors.As(err, &stuck) && stuck.Err != nil:
		return &kernel.CellError{Name: "KeyboardInterrupt", Value: "interrupted", Traceback: []string{
			"KeyboardInterrupt: the cell was interrupted, but its Go code is still blocked in a call no interrupt reaches",
			"(a locked mutex, sync.WaitGroup.Wait, a select inside library code).",
			stuck.Advice(),
		}}
	case errors.As(err, &stuck):
		return textError("HostBlockedError", stuck.Error()+".\n"+stuck.Advice())
	case errors.As(err, &recur):
		// Its value reads "RecursionError: maximum call depth...".
		tb := append([]string{recur.Value}, recur.Traceback...)
		return &kernel.CellError{Name: "RecursionError", Value: strings.TrimPrefix(recur.Value, "RecursionError: "), Traceback: tb}
	case errors.As(err, &panicE):
		tb := append([]string{"panic: " + panicE.Value}, panicE.Traceback...)
		return &kernel.CellError{Name: "panic", Value: panicE.Value, Traceback: tb}
	case errors.As(err, &compile):
		return &kernel.CellError{Name: "CompileError", Value: compile.Error(), Traceback: []string{compile.Error()}}
	case errors.As(err, &exit):
		msg := fmt.Sprintf("%s(%d) was called; the kernel keeps running", cmp.Or(exit.Func, "os.Exit"), exit.Code)
		return &kernel.CellError{Name: "Exit", Value: msg, Traceback: []string{msg}}
	case errors.Is(err, kernel.ErrNoStdin):
		return &kernel.CellError{Name: "StdinNotAllowed", Value: err.Error(), Traceback: []string{err.Error()}}
	case errors.Is(err, context.Canceled):
		return err // the kernel says KeyboardInterrupt for every executor
	}
	return textError("Error", err.Error())
}

// connectHint follows every "no board" error: none was connected, or the
// link to it closed and could not be opened again.
const connectHint = `  Connect one:  %connect esp32   (or %connect serial:///dev/ttyUSB0, %connect local; %discover lists what is plugged in)
  or run Go on this computer by starting the cell with %%host`

// magicOutOfMemory gives a MemoryError that the board raised running a
// magic's code the advice that fits it: the transport's, to split the
// cell, is for the user's code. A small board (a micro:bit has 10 KB of
// heap) fills up with variables and with the names every snippet leaves
// interned.
func magicOutOfMemory(magic string, err error) error {
	var ee *transport.ExecError
	if !errors.As(err, &ee) || ee.Type != "MemoryError" {
		return err
	}
	c := *ee
	c.Hint = "the board ran out of memory running " + magic + ": del variables it no longer needs, or %softreset, which frees all its memory and loses its variables (%store keeps some first)"
	return &c
}

// textError is an error whose traceback is its message, one line per
// line, headed by the name as Python prints it.
func textError(name, msg string) *kernel.CellError {
	lines := strings.Split(msg, "\n")
	lines[0] = name + ": " + lines[0]
	value, _, _ := strings.Cut(msg, "\n")
	return &kernel.CellError{Name: name, Value: value, Traceback: lines}
}
