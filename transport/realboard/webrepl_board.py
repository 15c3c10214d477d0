# MicroPython's WebREPL on the Unix port: a ws:// board for the tests.
#
#   micropython webrepl_board.py PORT BOARDPROG
#
# with the password in $IOTKERNEL_TEST_WEBREPL_PASSWORD. It listens on
# 127.0.0.1:PORT, answers the WebSocket handshake, wraps the connection in
# MicroPython's own websocket and _webrepl objects (extmod/modwebsocket.c,
# extmod/modwebrepl.c: the password prompt, text frames for the REPL, the
# binary file protocol) and makes that the REPL's terminal with
# os.dupterm, as an ESP32's webrepl.py does. MicroPython 1.25's Unix port
# has no native raw REPL, so the REPL on that terminal is the project's
# board program (BOARDPROG, transport/boardprog), whose input is read from
# the _webrepl object and whose output reaches it through dupterm. One
# client at a time; the board's namespace lives as long as the process, as
# on an ESP32 whose WebREPL client reconnects.

import sys
import os
import socket
import websocket
import _webrepl
import binascii
import struct
import builtins

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"


def sha1(data):
    # This build has no TLS library, so no hashlib.sha1: FIPS 180-4 by hand.
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    n = len(data)
    data = bytes(data) + b"\x80" + b"\x00" * ((55 - n) % 64) + struct.pack(">Q", n * 8)
    m = 0xFFFFFFFF
    for off in range(0, len(data), 64):
        w = list(struct.unpack(">16I", data[off:off + 64]))
        for i in range(16, 80):
            x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w.append(((x << 1) | (x >> 31)) & m)
        a, b, c, d, e = h
        for i in range(80):
            if i < 20:
                f, k = (b & c) | (~b & d), 0x5A827999
            elif i < 40:
                f, k = b ^ c ^ d, 0x6ED9EBA1
            elif i < 60:
                f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
            else:
                f, k = b ^ c ^ d, 0xCA62C1D6
            t = ((((a << 5) | (a >> 27)) & m) + (f & m) + e + k + w[i]) & m
            a, b, c, d, e = t, a, ((b << 30) | (b >> 2)) & m, c, d
        h = [(x + y) & m for x, y in zip(h, [a, b, c, d, e])]
    return struct.pack(">5I", *h)


def handshake(cl):
    # The server half of RFC 6455's opening handshake.
    if not cl.readline():
        return False
    key = None
    while True:
        l = cl.readline()
        if not l or l == b"\r\n":
            break
        name, _, value = l.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
    if not key:
        cl.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        return False
    accept = binascii.b2a_base64(sha1(key + GUID))[:-1]
    cl.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    return True


class Typed:
    # The board program's stdin: what the client types over the WebREPL.
    # The _webrepl object serves the password and the file protocol inside
    # its read, and returns REPL bytes only.
    def __init__(self, ws):
        self.ws = ws

    def read(self, n):
        while True:
            b = self.ws.read(1)
            if b is not None:  # None: a frame came in pieces
                return b


def serve(g, board, cl):
    ws = _webrepl._webrepl(websocket.websocket(cl, True))
    g["_stdin"] = Typed(ws)
    # Cells read the REPL's input too (a %mount's replies): on an ESP32
    # sys.stdin reads dupterm's stream, but the Unix port's is the
    # process's stdin and cannot be replaced, so the board-side code
    # looks for this name first.
    builtins._ik_stdin = g["_stdin"]
    g["line"] = g["Line"]()
    os.dupterm(ws)
    try:
        board.serve()
    finally:
        os.dupterm(None)


def main():
    port, prog = int(sys.argv[1]), sys.argv[2]
    _webrepl.password(os.getenv("IOTKERNEL_TEST_WEBREPL_PASSWORD"))
    g = {"__name__": "iotkernel_board", "__file__": prog}
    with open(prog) as f:
        exec(f.read(), g)
    board = g["Board"]()
    # As the board program's own main does: the script's folder is
    # sys.path[0]; a board has '' there, so that a cell imports from its
    # current directory (a %mount's folder, files copied to the board).
    if sys.path and sys.path[0] != "":
        sys.path[0] = ""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    srv.listen(1)
    print("webrepl board listening on", port)
    while True:
        cl, _ = srv.accept()
        try:
            if handshake(cl):
                serve(g, board, cl)
        except Exception as e:
            # As on an ESP32, whose dupterm drops a WebREPL that raised
            # (a file it cannot open): the client reconnects.
            sys.print_exception(e, sys.stderr)
        cl.close()


main()
