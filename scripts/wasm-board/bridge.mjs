// bridge.mjs makes MicroPython 1.27 compiled to WebAssembly a board on this
// process's stdin and stdout, the way a UART makes a microcontroller one:
// bytes read from stdin go to MicroPython's own REPL (replProcessChar, i.e.
// pyexec.c), and every byte MicroPython prints goes to stdout unchanged. So
// `exec:node scripts/wasm-board/bridge.mjs` is a board for iotkernel.
//
// Raw-paste is the one part the bridge speaks itself. The WebAssembly port
// answers `\x05A\x01` with `R\x01` and a window, but its
// mp_hal_stdin_rx_chr() is a stub that returns 0 (ports/webassembly/
// mphalport.h), so pyexec's raw-paste reader never sees the code and spins
// for ever. The bridge therefore takes the raw-paste upload off the line
// with pyexec's framing and flow control (window 128 bytes, two windows
// granted up front, one `\x01` per window consumed, `\x04` when the upload
// ends, bytes beyond the granted windows dropped like an overflowing UART
// FIFO), then hands the code to MicroPython's plain raw REPL and forwards
// its answer without the `OK` that raw-paste does not send.
//
// The bridge is synchronous: MicroPython runs a cell inside
// replProcessChar. Pending output is flushed before every blocking read, so
// the host always sees the window grant it is waiting for.
//
// A soft reset (Ctrl-D at an empty prompt, or sys.exit() in a cell) makes
// MicroPython return from the REPL. A board would reboot, so the bridge
// starts a fresh interpreter, prints "soft reboot", and comes back in the
// REPL mode it was in, as pyexec.c does.
//
// Limits of this board: a running cell cannot be interrupted (WebAssembly
// runs it to the end on this thread; a Ctrl-C is read once the cell is
// done, and at the prompt it just clears the line), input() cannot read
// stdin, and a raw-paste cell must not contain the bytes 0x01 or 0x02
// (the plain raw REPL it is handed to treats them as commands).

import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const stdinFD = 0;
const stdoutFD = 1;

// Protocol bytes (shared/runtime/pyexec.c).
const ctrlA = 0x01; // enter the raw REPL; ends a raw-paste command
const ctrlB = 0x02; // leave the raw REPL
const ctrlC = 0x03; // interrupt; clears the raw line
const ctrlD = 0x04; // run the raw line; end of a raw-paste upload
const ctrlE = 0x05; // starts a raw-paste command at an empty raw line
const rawBanner = "raw REPL; CTRL-B to exit\r\n";

// pyexec's window: half of MICROPY_REPL_STDIN_BUFFER_MAX (256).
const pasteWindow = 128;

// Output is gathered and written in batches: MicroPython hands it over one
// byte at a time.
const flushBytes = 4096;
const flushMillis = 20;

let out = [];
let lastFlush = Date.now();
let dropOK = 0; // bytes of the plain raw REPL's "OK" still to swallow
let recent = null; // when an array, what the board printed lately

function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(stdoutFD, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
      pause(1);
    }
  }
}

// The raw-paste upload in progress, if any: its credit grows only when a
// window grant really leaves the bridge.
let paste = null;

function flush() {
  lastFlush = Date.now();
  if (out.length === 0) return;
  if (paste !== null) {
    paste.credit += paste.unsent * pasteWindow;
    paste.unsent = 0;
  }
  const buf = Buffer.from(out);
  out = [];
  writeAll(buf);
}

function emit(bytes) {
  for (const b of bytes) {
    if (dropOK > 0) {
      dropOK--;
      continue;
    }
    out.push(b);
    if (recent !== null) recent.push(b);
  }
  if (out.length >= flushBytes || Date.now() - lastFlush >= flushMillis) flush();
}

function emitText(s) {
  emit(Buffer.from(s, "latin1"));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}

// Input: a queue refilled by blocking reads of fd 0.
const chunk = Buffer.alloc(4096);
let queue = Buffer.alloc(0);
let pos = 0;

function nextByte() {
  while (pos >= queue.length) {
    flush();
    let n;
    try {
      n = fs.readSync(stdinFD, chunk, 0, chunk.length, null);
    } catch (err) {
      if (err.code === "EAGAIN") {
        pause(2);
        continue;
      }
      if (err.code !== "EIO") throw err;
      n = 0; // a pty whose other side closed
    }
    if (n === 0) {
      // The host closed the line: the board is unplugged.
      flush();
      process.exit(0);
    }
    queue = Buffer.from(chunk.subarray(0, n));
    pos = 0;
  }
  return queue[pos++];
}

// A terminal line discipline would eat or translate control bytes (Ctrl-C
// as SIGINT, Ctrl-D as end of file, CR to LF); a UART passes them through.
function makeLineRaw() {
  if (!fs.fstatSync(stdinFD).isCharacterDevice()) return;
  try {
    execFileSync("stty", ["raw", "-echo"], { stdio: [stdinFD, "ignore", "ignore"] });
  } catch {
    // Not a terminal after all: nothing to do.
  }
}

// Board is one MicroPython interpreter and the REPL state the bridge keeps
// beside it: which REPL is active and how long the raw line is, which is
// what decides whether \x05 starts a raw-paste command.
class Board {
  constructor(mp) {
    this.mp = mp;
    this.raw = false;
    this.rawLine = 0;
    this.held = []; // a possible raw-paste command, held back
  }

  static async boot() {
    const mp = await loadMicroPython({ stdout: emit, linebuffer: false });
    return new Board(mp);
  }

  // feed gives one host byte to the board; it returns true when the board
  // asked for a soft reset.
  feed(c) {
    if (this.raw && (this.held.length > 0 || (this.rawLine === 0 && c === ctrlE))) {
      this.held.push(c);
      if (this.held.length < 3) return false;
      const [, cmd, end] = this.held;
      this.held = [];
      if (end === ctrlA) return this.rawPaste(cmd);
      // Not a command after all: the bytes are ordinary raw input.
      for (const b of [ctrlE, cmd, end]) if (this.process(b)) return true;
      return false;
    }
    return this.process(c);
  }

  // process hands one byte to MicroPython's REPL and follows its mode.
  process(c) {
    const watch = c === ctrlA && !this.raw;
    if (watch) recent = [];
    const ret = this.mp.replProcessChar(c);
    if (watch) {
      this.raw = Buffer.from(recent).toString("latin1").includes(rawBanner);
      recent = null;
    }
    if (this.raw) {
      if (c === ctrlA || c === ctrlC || c === ctrlD) this.rawLine = 0;
      else if (c === ctrlB) this.raw = false;
      else this.rawLine++;
    }
    return ret !== 0;
  }

  // rawPaste runs one raw-paste command as pyexec's do_reader_stdin does.
  rawPaste(cmd) {
    if (cmd !== 0x41) {
      emitText("R\x00>");
      return false;
    }
    // The host may send two windows at once; each grant that has left the
    // bridge adds one. A byte beyond that was sent without credit: a real
    // board's input buffer would have overflowed, so it is lost here too.
    paste = { credit: 2 * pasteWindow, unsent: 0 };
    emit([0x52, 0x01, pasteWindow & 0xff, pasteWindow >> 8, 0x01]);
    let received = 0;
    let sinceGrant = 0;
    const code = [];
    try {
      for (;;) {
        const c = nextByte();
        if (c === ctrlC) {
          // pyexec ends the upload and raises KeyboardInterrupt.
          emitText("\x04\x04KeyboardInterrupt: \r\n\x04>");
          return false;
        }
        if (c === ctrlD) break;
        received++;
        if (received > paste.credit) continue; // overflow: the byte is lost
        code.push(c);
        if (++sinceGrant === pasteWindow) {
          sinceGrant = 0;
          paste.unsent++;
          emit([ctrlA]);
        }
      }
    } finally {
      paste = null;
    }
    emit([ctrlD]);
    for (const c of code) {
      if (this.mp.replProcessChar(c) !== 0) return true;
    }
    dropOK = 2;
    const ret = this.mp.replProcessChar(ctrlD);
    dropOK = 0;
    this.rawLine = 0;
    return ret !== 0;
  }
}

async function main() {
  makeLineRaw();
  let board = await Board.boot();
  board.mp.replInit();
  flush();
  for (;;) {
    if (!board.feed(nextByte())) continue;
    // The REPL asked for a soft reset.
    const wasRaw = board.raw;
    emitText("soft reboot\r\n");
    flush();
    board = await Board.boot();
    board.mp.replInit();
    if (wasRaw) {
      // Come back in the raw REPL without the friendly banner, as a board
      // whose pyexec_mode_kind survives the reboot does.
      board.process(ctrlA);
      out = [];
      emitText(rawBanner + ">");
    }
    flush();
  }
}

await main();
