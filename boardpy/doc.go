// Package boardpy owns the Python that iotkernel runs on a board for its
// own purposes: file operations (Ls, Stat, Hash, Read, Write, Rm, Mkdir),
// what a board says about itself (Describe) and its clock (Time, SetTime),
// the wrapper that shows the value of a cell's last expression (WithResult),
// the names and values that completion and inspection show (Names,
// Inspect), and the programs that copy %store values off and onto the
// board (Dump, Define). Each is a Go function over an Execer, the one
// method it needs of a board, in the spirit of mpremote's fs_* transport
// methods; callers parse arguments and print, and never write Python.
//
// Every global name these programs define starts with Prefix, and every
// program removes what it defined, after a failure too where it can, so a user's
// namespace holds none of them between cells; completion hides them.
// Programs run on MicroPython 1.9 and later (and on CPython, which the
// tests use as a stand-in board). A micro:bit has about 9 KB of free
// heap, in which the raw REPL holds a program's source while it compiles
// it: a program gets only the helpers it uses (prelude), written tersely.
//
// Board errors (a *transport.ExecError, from the Execer) pass through
// unchanged, so that callers map them in one place; errors of the
// operations themselves name the board path as ":PATH", as mpremote does.
//
// The package depends on nothing of the project but pysource (string
// literals) and store (the values that Dump and Define carry). In
// particular it does not import transport: *transport.Board satisfies
// Execer, the tests use the real MicroPython Unix port through transport,
// and transport itself needs no board-side Python but the raw REPL's own
// input() shim, which lives next to the raw REPL code.
package boardpy
