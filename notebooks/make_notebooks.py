#!/usr/bin/python3
"""Writes the four socket-tutorial notebooks of this directory.

The notebooks are generated so that they stay reproducible: the same script
gives the same JSON, byte for byte (fixed cell ids, no outputs). Run it with
Debian's Python, which has nbformat:

    /usr/bin/python3 notebooks/make_notebooks.py          # rewrite them
    /usr/bin/python3 notebooks/make_notebooks.py --check  # fail if stale

Each notebook opens with one code cell tagged "parameters": `%connect esp32`
and the names and ports of the servers it talks to, as plain assignments.
scripts/run_tutorial.py rewrites those assignments to point a notebook at
servers on 127.0.0.1.
"""
import argparse
import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = os.path.dirname(os.path.abspath(__file__))

KERNELSPEC = {"name": "iot", "display_name": "IoT (MicroPython + Go)", "language": "python"}
LANGUAGE_INFO = {
    "name": "python",
    "mimetype": "text/x-python",
    "file_extension": ".py",
    "pygments_lexer": "python3",
    "codemirror_mode": {"name": "python", "version": 3},
}


def md(text):
    return ("md", text.strip("\n"), [])


def code(text, *tags):
    return ("code", text.strip("\n"), list(tags))


# The board's address, the same way in notebooks 2 and 4: a real ESP32 asks
# its Wi-Fi interface; MicroPython's Unix port has no `network` module and
# shares the computer's network, so loopback is its honest answer.
FIND_IP = '''
try:
    import network
    board_ip = network.WLAN(network.STA_IF).ifconfig()[0]
except ImportError:
    # No network module: this is MicroPython's Unix port, running on this
    # computer and sharing its network. Loopback reaches it from the host.
    board_ip = "127.0.0.1"
print("The board's address is", board_ip)
'''

# Reading a reply without holding it in memory: notebooks 1 and 3.
READ_REPLY = '''
print("Status:", s.readline().decode().rstrip())
headers = 0
while True:
    line = s.readline()
    if line in (b"", b"\\r\\n"):
        break
    headers += 1
    print("   ", line.decode().rstrip())

body = 0
while True:
    chunk = s.read(512)
    if not chunk:
        break
    if body == 0:
        print("The body starts with", chunk[:120])
    body += len(chunk)
s.close()
print(headers, "header lines and", body, "bytes of body")
'''

HTTP_CLIENT = [
    md('''
# 1. An HTTP client on the board

A program on a microcontroller reaches the network through *sockets*, the
same interface that CPython, C and nearly every other language offer. They
are low level: a library often does the job in fewer lines. Writing a client
by hand once shows what those libraries do, and what a web page costs a
small board.

This notebook runs on the board: every cell without `%%host` goes to the
MicroPython board attached to the kernel. The first cell is its only
setting: which board to use and which web server to ask. Change `HOST` to
try another server. (`esp32` is a name from your boards file, or the one
ESP32 found on a serial port; `%connect -h` says more.)
'''),
    code('''
%connect esp32
HOST = "www.google.com"
PORT = 80
''', "parameters"),
    md('''
## From a name to an address

`socket.getaddrinfo` asks the name service for the server's addresses. Each
entry of its answer is a tuple `(family, type, protocol, canonical name,
address)`; `connect` wants the last element, the address. An ESP32 prints it
as `('142.250.74.36', 80)`. MicroPython's Unix port prints the raw C
structure as a `bytearray`; `connect` takes either.
'''),
    code('''
import socket

infos = socket.getaddrinfo(HOST, PORT)
print(len(infos), "entries; the first one:")
print(infos[0])
addr = infos[0][-1]
'''),
    md('''
## Asking for the page

The request is plain text: a request line, header lines, and an empty line
that ends it. `HTTP/1.0` asks the server to close the connection once it has
answered, so the end of the reply is simply the end of the stream: `read`
returns empty bytes. The `Host` header names the site, because one address
often serves many.

The reply comes back the same way: a status line, headers up to an empty
line, then the body. The cell prints the headers and only counts the body,
reading it 512 bytes at a time: the board never holds the whole reply.
'''),
    code('''
s = socket.socket()
s.connect(addr)
s.write(b"GET / HTTP/1.0\\r\\nHost: " + HOST.encode() + b"\\r\\n\\r\\n")
''' + READ_REPLY),
    md('''
## What this reply tells us

Look at the numbers. A search engine's home page is tens of kilobytes of
HTML, scripts and cookies, written for a browser that renders it on a big
screen. An ESP32 has a few hundred kilobytes of RAM for everything, so
keeping such a page whole, let alone parsing it, is out of reach; reading it
in chunks, as above, is the only way to even count it.

Servers made for machines answer differently: a weather or time service can
reply with a few bytes of JSON or plain text. When you choose what a board
talks to, pick such an interface. The next notebook turns the roles around:
the board is the server, and we look at what browsers send to it.
'''),
]

HTTP_SERVER = [
    md('''
# 2. An HTTP server on the board

Now the board serves web pages. The server below waits for a connection,
reads one request, answers with a short text page that counts the requests,
and waits again, until you stop it.

The first cell chooses the board and the port to listen on.
'''),
    code('''
%connect esp32
PORT = 8080
''', "parameters"),
    md('''
## The board's address

A browser needs the board's address. An ESP32 on Wi-Fi learns it from the
access point, and its `network` module tells us. MicroPython's Unix port,
which can stand in for a board, has no `network` module: it runs on this
computer and shares its network, so we use `127.0.0.1`, the computer's own
loopback address. That is also why the server binds to `board_ip` rather
than to every interface: on the Unix port it stays private to this machine.
'''),
    code(FIND_IP),
    md('''
## The server

- `SO_REUSEADDR` lets the cell bind the port again right after a previous
  run has closed it.
- `accept()` blocks until a client connects. Each request is read line by
  line up to the empty line that ends its headers; every line is printed so
  you can see what a client sends.
- The reply is `HTTP/1.0`: closing the connection marks its end.
- `served` is a global, so the cell after the server can report it.

The cell keeps running: the notebook shows it as busy. While it runs, open
the printed address in a browser, or ask from a terminal with
`curl http://127.0.0.1:8080/` (use the board's address and port). Then stop
it with the interrupt button (the black square in the toolbar). The
interrupt reaches the board as Ctrl-C: `accept()` raises `KeyboardInterrupt`,
the `finally` clause closes the listening socket, and the notebook shows the
`KeyboardInterrupt` error. That error is the expected way out of this cell.
'''),
    code('''
import socket

PAGE = b"HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nHello #%d from MicroPython!\\n"
served = 0


def serve(port):
    global served
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(socket.getaddrinfo(board_ip, port)[0][-1])
    listener.listen(2)
    print("Listening on http://%s:%d/ until interrupted" % (board_ip, port))
    try:
        while True:
            conn, peer = listener.accept()
            request = conn.readline()
            print("Request #%d:" % served, request)
            while True:
                header = conn.readline()
                if header in (b"", b"\\r\\n"):
                    break
                print("   ", header)
            conn.write(PAGE % served)
            conn.close()
            served += 1
    finally:
        listener.close()
        print("Closed port", port, "after", served, "requests")


serve(PORT)
''', "interrupt"),
    md('''
## What the server saw

Two things stand out when a browser is the client:

1. Each page load counts twice. Besides the page, the browser asks for
   `/favicon.ico`, the little icon of the tab, and our server answers that
   request too.
2. Browsers send many headers: who they are, the languages and formats they
   accept, caching hints. A program like `curl` sends three. Every header
   costs the board time and memory, which is one reason devices talk to each
   other with leaner protocols than a browser's HTTP.

Run the server cell again: it starts over, on the same port, because the
`finally` clause released it. The next cell reads the counter the server
left behind.
'''),
    code('''
print("The server answered", served, "requests")
'''),
]

HTTPS_CLIENT = [
    md('''
# 3. An HTTPS client on the board

HTTPS is HTTP inside a TLS connection. On the board the change to notebook 1
is small: connect the socket as before, then wrap it in TLS, and read and
write the wrapped socket. Everything else, the request and the reply, is the
same text, now encrypted on the wire. The port is 443.
'''),
    code('''
%connect esp32
HOST = "www.google.com"
PORT = 443
''', "parameters"),
    md('''
## Which TLS module

MicroPython 1.23 and newer provide TLS through `ssl.SSLContext`, as CPython
does; on an ESP32 `ssl` is a thin Python layer over the C module `tls`. The
Unix port ships `tls` without that layer, so the cell falls back to `tls`,
which has the same `SSLContext`.

`verify_mode = CERT_NONE` needs saying out loud: the connection is
encrypted, but the board does not check who answers, because it carries no
list of trusted certificate authorities. To check, give the context the
authority's certificate with `ctx.load_verify_locations(cadata=...)` and set
`CERT_REQUIRED`. Notebook 4 does this the other way round: the host checks
the board. `server_hostname` tells the server which site we want (SNI), as
the `Host` header does inside.
'''),
    code('''
import socket

try:
    import ssl
except ImportError:
    import tls as ssl  # the Unix port: the C module that ssl is built on

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = ssl.CERT_NONE

addr = socket.getaddrinfo(HOST, PORT)[0][-1]
s = socket.socket()
s.connect(addr)
s = ctx.wrap_socket(s, server_hostname=HOST)
s.write(b"GET / HTTP/1.0\\r\\nHost: " + HOST.encode() + b"\\r\\n\\r\\n")
''' + READ_REPLY),
    md('''
The reply is as long as over plain HTTP, and the TLS handshake before it
costs the board more: tens of kilobytes of RAM for the keys and buffers and
noticeable time on a small CPU. Next, the board is a TLS server, which is
where small boards struggle most.
'''),
]

SECURE_SERVER = [
    md('''
# 4. A secure server on the board, and a Go client that trusts it

A TLS server needs a private key and a certificate that binds the matching
public key to the server's name or address. We make both on the host with
`openssl`, send them to the board, run an HTTPS server there, and talk to it
from Go on the host with a client that trusts exactly this certificate.

The key is an elliptic-curve key (P-256). A 2048-bit RSA key is the usual
default, but its handshake needs more memory than an ESP32 has to spare,
which is where many first attempts at a TLS server on a board fail. P-256
keys are short and fast.

This notebook moves between three places, and the order of the cells
matters:

- board cells (MicroPython),
- `%%host` cells (Go, in the kernel on your computer),
- a `%%bash` cell (a shell on your computer).

`%store` carries values between them. The first cell chooses the board, the
port, and how many requests the server answers before it stops.
'''),
    code('''
%connect esp32
PORT = 8443
REQUESTS = 3
''', "parameters"),
    md('''
## The board's address, handed to the host

The certificate must name the address that clients use, so it starts on
the board. (On the Unix port there is no `network` module; see notebook 2.)
`%store` copies the board's variables into the kernel's store, where host
cells can read them.
'''),
    code(FIND_IP + '''%store board_ip PORT REQUESTS
'''),
    md('''
## On the host

`%store -r` defines the stored values as Go variables: `board_ip` is a
`string`, the numbers are integers. The key and certificate go to a fresh
private temporary directory, never next to the notebook. Environment
variables set here are seen by the next `%%bash` cell.
'''),
    code('''
%%host
%store -r board_ip PORT REQUESTS
import (
	"fmt"
	"os"
)

tlsDir, err := os.MkdirTemp("", "iot-tls-")
if err != nil {
	panic(err)
}
os.Setenv("BOARD_IP", board_ip)
os.Setenv("TLS_DIR", tlsDir)
fmt.Println("board", board_ip, "port", PORT, "- key and certificate in", tlsDir)
'''),
    md('''
## Key and certificate

`openssl genpkey` makes a new P-256 key; `openssl req -x509` makes a
self-signed certificate for it. `subjectAltName = IP:...` is the part clients
check: it must hold the address they connect to. `extendedKeyUsage =
serverAuth` says what the certificate is for. The board's TLS library reads
the compact binary form (DER), so we convert both files; the PEM copy of the
certificate is for the Go client. The `cd` line stops the cell with a clear
message when `TLS_DIR` is missing, rather than writing a key into the
notebook's folder.
'''),
    code('''
%%bash
set -e
cd "${TLS_DIR:?is not set (the %%host cell above sets it)}"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem
openssl req -x509 -new -key key.pem -days 30 -subj "/CN=MicroPython board" \\
    -addext "subjectAltName = IP:$BOARD_IP" \\
    -addext "extendedKeyUsage = serverAuth" \\
    -out cert.pem
openssl pkey -in key.pem -outform DER -out key.der
openssl x509 -in cert.pem -outform DER -out cert.der
openssl x509 -in cert.pem -noout -subject -ext subjectAltName
openssl x509 -in cert.pem -noout -text | grep -E "Public Key Algorithm|NIST CURVE" | sed "s/^ *//"
wc -c key.der cert.der
'''),
    md('''
## To the board

The host reads the files into `[]byte` values and stores them; the board
reads them back as `bytes`. The names `board_key` and `board_cert` are the
same on both sides. (With a real board you could instead copy the files to
its flash with `%cp`, so the server can restart without the host.)
'''),
    code('''
%%host
import (
	"fmt"
	"os"
	"path/filepath"
)

board_key, err := os.ReadFile(filepath.Join(tlsDir, "key.der"))
if err != nil {
	panic(err)
}
board_cert, err := os.ReadFile(filepath.Join(tlsDir, "cert.der"))
if err != nil {
	panic(err)
}
certPEM, err := os.ReadFile(filepath.Join(tlsDir, "cert.pem"))
if err != nil {
	panic(err)
}
fmt.Println("key:", len(board_key), "bytes; certificate:", len(board_cert), "bytes")
%store board_key board_cert
'''),
    code('''
%store -r board_key board_cert
print("The board has a key of", len(board_key), "bytes and a certificate of", len(board_cert), "bytes")
'''),
    md('''
## The Go client starts first

A board cell that serves blocks the notebook until it returns, so no cell
can run beside it. The client therefore starts *before* the server, in a
goroutine: it keeps running after its cell ends. It tries to connect every
half second until the board listens (for at most two minutes), then makes
`REQUESTS` requests and puts each reply in the channel `replies`.

The client trusts one certificate and nothing else: its pool of root
certificates holds only `cert.pem`. Go then checks that the board's
certificate is that one and that its `subjectAltName` holds the address in
the URL.
'''),
    code('''
%%host
import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

pool := x509.NewCertPool()
if !pool.AppendCertsFromPEM(certPEM) {
	panic("cert.pem holds no certificate")
}
client := &http.Client{
	Timeout: 10 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		DisableKeepAlives: true,
	},
}
boardURL := fmt.Sprintf("https://%s:%d/", board_ip, PORT)

replies := make(chan string, REQUESTS)
go func() {
	defer close(replies)
	deadline := time.Now().Add(2 * time.Minute)
	for n := 0; n < int(REQUESTS); {
		resp, err := client.Get(boardURL)
		var dialErr *net.OpError
		if errors.As(err, &dialErr) && dialErr.Op == "dial" && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond) // the board does not listen yet
			continue
		}
		if err != nil {
			replies <- "error: " + err.Error()
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			replies <- "error reading the reply: " + err.Error()
			return
		}
		replies <- fmt.Sprintf("%s, TLS %x: %s", resp.Status, resp.TLS.Version, strings.TrimSpace(string(body)))
		n++
	}
}()
fmt.Println("The client waits for", boardURL)
'''),
    md('''
## The server on the board

The listening socket is plain; each accepted connection is wrapped in TLS
with `server_side=True`, which runs the handshake with our key and
certificate. A client that rejects the certificate ends its handshake with
an error: the server reports it and goes on. The server stops by itself
after `REQUESTS` answers, or when you press the interrupt button; either
way the `finally` clause closes the port.
'''),
    code('''
import socket

try:
    import ssl
except ImportError:
    import tls as ssl  # the Unix port: see notebook 3

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(board_cert, board_key)

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(socket.getaddrinfo(board_ip, PORT)[0][-1])
listener.listen(2)
print("Listening on https://%s:%d/ for %d requests" % (board_ip, PORT, REQUESTS))
served = 0
try:
    while served < REQUESTS:
        conn, peer = listener.accept()
        try:
            conn = ctx.wrap_socket(conn, server_side=True)
            print("Request #%d:" % served, conn.readline())
            while True:
                header = conn.readline()
                if header in (b"", b"\\r\\n"):
                    break
                print("   ", header)
            conn.write(b"HTTP/1.0 200 OK\\r\\n\\r\\nHello #%d over TLS from MicroPython!\\n" % served)
            served += 1
        except OSError as e:
            print("A connection failed:", e)
        finally:
            conn.close()
finally:
    listener.close()
print("Served", served, "requests over TLS")
'''),
    md('''
## What the Go client got

The goroutine has finished by now (or gave up after two minutes). Reading
the channel prints each reply: the status, the TLS version as a hexadecimal
number (`304` is TLS 1.3, `303` TLS 1.2), and the body the board sent.
'''),
    code('''
%%host
import "fmt"

for reply := range replies {
	fmt.Println(reply)
}
'''),
    md('''
## Cleaning up

The private key has been in the kernel's store since we sent it to the
board; remove it, and the temporary directory. (A soft reset,
`%softreset`, also clears it from the board's RAM.)
'''),
    code('''
%%host
%store -d board_key
%store -d board_cert
import (
	"fmt"
	"os"
)

os.RemoveAll(tlsDir)
fmt.Println("removed", tlsDir, "and the key from the store")
'''),
]


TWO_BOARDS = [
    md("""
# 5. Two boards: a TLS server in the background, and Go collecting readings

IoT is rarely one device. Here one notebook drives two boards at once:

- the **server** board serves sensor readings over TLS, in a *background*
  cell (`%%bg`), so the notebook goes on while it serves;
- the **client** board fetches readings from the server over TLS, checking
  the server's certificate, and has a sensor of its own;
- a **Go goroutine** on the host collects readings from the client board,
  through the `board` package, and shows them in a table that updates in
  place.

`%connect --as NAME` keeps each board under its name; the board connected
last is the current one. The server is `esp32` (see notebook 1); the
client is MicroPython's Unix port on this computer (`local`).
"""),
    code("""
%connect --as server esp32
%connect --as client local
PORT = 8443
READINGS = 5
%store PORT READINGS
%boards
""", "parameters"),
    md("""
## The server's address and key

`%%board NAME` runs a cell on the named board. The server's certificate
must name the address the client uses, so it starts there.
"""),
    code("""
%%board server
""" + FIND_IP + """%store board_ip
"""),
    md("""
Go makes the server's key and a self-signed certificate for that address
(the same as notebook 4's `openssl` commands, with `crypto/x509`), in the
compact binary form (DER) that the boards' TLS library reads.
"""),
    code("""
%%host
%store -r board_ip
import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
if err != nil {
	panic(err)
}
template := &x509.Certificate{
	SerialNumber: big.NewInt(time.Now().UnixNano()),
	Subject:      pkix.Name{CommonName: "MicroPython board"},
	NotBefore:    time.Now().Add(-time.Hour),
	NotAfter:     time.Now().Add(30 * 24 * time.Hour),
	IPAddresses:  []net.IP{net.ParseIP(board_ip)},
	KeyUsage:     x509.KeyUsageDigitalSignature,
	ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
}
board_cert, err := x509.CreateCertificate(rand.Reader, template, template, &serverKey.PublicKey, serverKey)
if err != nil {
	panic(err)
}
board_key, err := x509.MarshalPKCS8PrivateKey(serverKey)
if err != nil {
	panic(err)
}
fmt.Println("certificate for", board_ip, ":", len(board_cert), "bytes")
%store board_key board_cert
"""),
    md("""
The key goes to the server only, and leaves the store at once; the
certificate goes to both boards: the client trusts it and nothing else.
"""),
    code("""
%%board server
%store -r board_key board_cert PORT READINGS
%store -d board_key
"""),
    code("""
%%board client
%store -r board_ip board_cert PORT
"""),
    md("""
## The server, in the background

`%%bg server` starts the cell on the server board and returns at once: its
output keeps arriving here, under this cell, ending with its result. Until
it ends, the server board refuses other cells at once (`BoardBusyError`),
while the host and the client board go on. It stops by itself after
`READINGS` readings; `%bg stop` would interrupt it.
"""),
    code("""
%%bg server
import socket
import time
try:
    import ssl
except ImportError:
    import tls as ssl  # the Unix port: see notebook 3

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(board_cert, board_key)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(socket.getaddrinfo(board_ip, PORT)[0][-1])
listener.listen(2)
print("serving readings on %s:%d" % (board_ip, PORT))
served = 0
try:
    while served < READINGS:
        conn, peer = listener.accept()
        try:
            conn = ctx.wrap_socket(conn, server_side=True)
            conn.readline()
            reading = 20 + (time.ticks_ms() // 10) % 100 / 10  # a stand-in sensor
            conn.write(("%.1f\\n" % reading).encode())
            served += 1
            print("reading #%d: %.1f" % (served, reading))
        except OSError as e:
            print("a connection failed:", e)
        finally:
            conn.close()
finally:
    listener.close()
"served %d readings" % served
"""),
    md("""
## The client board

`fetch()` asks the server for a reading over TLS and checks its
certificate: the one we made is the only one it trusts, and it must name
the address it connects to. `own_reading()` is the client's own sensor.
"""),
    code("""
%%board client
import socket
import time
try:
    import ssl
except ImportError:
    import tls as ssl

def fetch():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        ctx.load_verify_locations(cadata=board_cert)
    except TypeError:
        ctx.load_verify_locations(board_cert)  # the Unix port's tls module
    s = socket.socket()
    try:
        s.connect(socket.getaddrinfo(board_ip, PORT)[0][-1])
        s = ctx.wrap_socket(s, server_hostname=board_ip)
        s.write(b"GET /reading\\r\\n")
        return float(s.readline())
    finally:
        s.close()

def own_reading():
    return 18 + (time.ticks_ms() // 7) % 100 / 10

own_reading()
"""),
    md("""
## Go collects the readings

The `board` package of `%%host` cells drives the boards from Go:
`board.Call("client", "fetch")` calls the client's function and returns its
value as a Go `float64`; `board.Eval` evaluates an expression. The calls are
safe from goroutines: this one keeps collecting after its cell ended, and
updates the table in place. (A call to the server board would fail at once
with `BoardBusyError`: it runs the background cell.)
"""),
    code("""
%%host
%store -r READINGS
import (
	"fmt"
	"strings"
	"time"
)

table := display.Markdown("waiting for the first reading...")
collected := make(chan int, 1)
go func() {
	rows := []string{"| # | server (over TLS) | client |", "|---|---|---|"}
	n := 0
	for tries := 0; n < int(READINGS) && tries < 100; tries++ {
		server, err := board.Call("client", "fetch")
		if err != nil {
			time.Sleep(200 * time.Millisecond) // the server may not listen yet
			continue
		}
		own, err := board.Eval("client", "own_reading()")
		if err != nil {
			fmt.Println("client:", err)
			break
		}
		n++
		rows = append(rows, fmt.Sprintf("| %d | %.1f | %.1f |", n, server, own))
		table.Markdown(strings.Join(rows, "\\n"))
	}
	collected <- n
}()
fmt.Println("collecting", READINGS, "readings in the background")
"""),
    code("""
%%host
n := <-collected
fmt.Println("collected", n, "readings from both boards")
"""),
    md("""
`%bg wait` waits for the background cells still running (the server has
served its readings by now, or is about to), `%bg` lists them with how
each ended, and `%boards` shows both boards idle again.
"""),
    code("""
%bg wait
%bg
%boards
"""),
]

NOTEBOOKS = {
    "1-http-client.ipynb": HTTP_CLIENT,
    "2-http-server.ipynb": HTTP_SERVER,
    "3-https-client.ipynb": HTTPS_CLIENT,
    "4-secure-server.ipynb": SECURE_SERVER,
    "5-two-boards.ipynb": TWO_BOARDS,
}


def build(name, cells):
    nb = new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    stem = name.split("-")[0]
    for i, (kind, text, tags) in enumerate(cells):
        if kind == "md":
            cell = new_markdown_cell(text)
        else:
            cell = new_code_cell(text)
        cell.id = "nb%s-cell%02d" % (stem, i)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if a notebook differs from what this script writes")
    ap.add_argument("--dir", default=HERE, help="where to write (default: this script's directory)")
    args = ap.parse_args()
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = build(name, cells)
        path = os.path.join(args.dir, name)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote", path)
    if stale:
        print("stale (run notebooks/make_notebooks.py):", *stale, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
