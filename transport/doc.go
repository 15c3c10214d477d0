// Package transport owns the link to a MicroPython board: opening,
// enumerating and closing links (serial ports, raw TCP sockets, RFC 2217
// telnet COM ports, MicroPython's WebREPL over ws:// and wss://, local
// processes under a pty, the local Unix port), the DTR/RTS policy, the raw
// REPL and raw-paste protocols of MicroPython's shared/runtime/pyexec.c,
// interrupts, soft and hard resets, and recovery when a board resets or
// vanishes.
//
// It is the only package that imports go.bug.st/serial; the ptys of
// process boards come from internal/tty.
// It knows nothing of Jupyter: a cell's output is written, decoded from
// UTF-8 with "\r\n" turned into "\n", to the writers the caller gives.
//
// Contract used by the router:
//
//	b, err := transport.Open(ctx, "serial:///dev/ttyUSB0", transport.Options{})
//	err = b.Run(ctx, code, transport.IO{Stdout: w, Input: ask}) // *ExecError if the board raised
//	err = b.Exec(ctx, code, stdout, stderr) // Run with no input
//	err = b.SoftReset(ctx, out)
//	err = b.HardReset(ctx, out)
//	b.URL(); b.Protocol() // "raw-paste" or "raw"
//	err = b.Close()      // idempotent
//	ports, err := transport.Discover(ctx)
//
// Run returns when the board is back at its raw prompt or ctx is done; a
// done ctx sends Ctrl-C and Run returns an *ExecError of Type
// "KeyboardInterrupt" once the board stopped. Only one call on a Board runs
// at a time; the others wait. input() on the board asks IO.Input, through
// a shim the transport defines on the board once per connection
// (input.go). Requests that board code makes of the host beside its
// output (a mounted host folder's file operations) are taken out of the
// output and answered by the handler given to Serve (serve.go).
//
// Files by job: board.go the link's lifecycle and recovery, handshake.go
// entering the raw REPL and raw-paste, exec.go uploading a cell, result.go
// reading its result through the pure scanner (scan.go), input.go input(),
// webrepl.go and websocket.go WebREPL links (login, TLS, the file
// protocol of ReadFile and WriteFile), rfc2217.go RFC 2217 links,
// serve.go the board's requests.
package transport
