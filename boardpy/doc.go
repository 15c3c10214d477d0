// Package boardpy owns the Python that iotkernel runs on a board for its
// own purposes: file operations (Ls, Stat, Hash, Read, Write, Rm, Mkdir,
// MkdirAll, a whole folder's listing with hashes in one program: Tree),
// the filesystem's room (Df), where packages go (Lib), a host folder
// mounted on the board whose files it asks the host for (Mount, Umount),
// what a board says about itself (Describe) and its clock (Time, SetTime),
// the wrapper that shows the value of a cell's last expression (WithResult),
// the display module of board cells and its frames (DisplayShim,
// DisplayFilter, ParseLiteral),
// the names and values that completion and inspection show (Names,
// Inspect), and the programs that copy %store values off and onto the
// board (Dump, Define). Each is a Go function over an Execer, the one
// method it needs of a board, in the spirit of mpremote's fs_* transport
// methods; callers parse arguments and print, and never write Python.
//
// Every global name these programs define starts with Prefix, and every
// program removes what it defined, after a failure too where it can, so
// a user's namespace holds none of them between cells; completion hides
// them. The display module is the one exception: it keeps display and
// _ik_D for as long as the board's state lasts. Programs run on MicroPython 1.9 and later (and on CPython, which
// the tests use as a stand-in board). A micro:bit has about 9 KB of free
// heap, in which the raw REPL holds a program's source while it compiles
// it: a program gets only the helpers it uses (prelude), written tersely,
// and is sent anew each time rather than kept on the board.
//
// Board errors (a *transport.ExecError, from the Execer) pass through
// unchanged, so that callers map them in one place; errors of the
// operations themselves name the board path as ":PATH", as mpremote does.
//
// The package depends on nothing of the project but pysource (string
// literals) and store (the values that Dump and Define carry), and
// TestDeps holds that line. It does not import transport:
// *transport.Board satisfies Execer, and the tests reach the real
// MicroPython Unix port through it. The transport in turn needs no
// program of this package; the only Python it sends is part of the raw
// REPL protocol it speaks (the input() shim of a cell's IO, and
// machine.reset() for a hard reset without a reset line).
package boardpy
