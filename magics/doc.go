// Package magics owns the magic grammar of iotkernel notebooks: the
// registry of line magics (%connect, %store, %cp...) and cell magics
// (%%bash, %%writefile, %%host), their usage and help text (%lsmagic and
// %NAME -h are generated from it), and what each magic does, as IPython's
// magics behave where the two share a name.
//
// A magic never reaches the packages above it (the router, the kernel):
// everything it needs of the running session (the cell's output, the
// current board, the host interpreter's variables, the store, the working
// directory and environment) comes through the Env interface that the
// router implements. It writes no Python: it reaches a board through
// package boardpy's functions over Board.Exec (files, info, clock, store
// values) and through the resets.
//
// Board errors (*transport.ExecError) pass through unchanged so the router
// maps them in one place; misuse of a magic is a *UsageError.
package magics
