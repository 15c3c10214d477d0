"""The socket tutorial (notebooks/) executed end to end by a real Jupyter
client, nbclient, on the `iot` kernel, against the simulated board
(MicroPython's Unix port as `esp32`, see conftest.py) and local HTTP and
HTTPS servers standing in for the internet hosts.

The notebooks are driven with scripts/run_tutorial.py's pieces, the same
code `make demo` runs. The HTTP server notebook is driven step by step
here: start the server cell, request it from the host, check the counted
replies, interrupt it, check the KeyboardInterrupt and the freed port, and
run it again.
"""
import asyncio
import glob
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import nbformat
import pytest

import run_tutorial as rt
from conftest import ARTIFACTS, REPO

NOTEBOOKS = os.path.join(REPO, "notebooks")
NAMES = ["1-http-client.ipynb", "2-http-server.ipynb", "3-https-client.ipynb", "4-secure-server.ipynb",
         "5-two-boards.ipynb"]
# Split so that this file does not hold the marker it looks for.
KEY_MARKER = b"PRIVATE " + b"KEY-----"


def notebook(name):
    return os.path.join(NOTEBOOKS, name)


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


# The executed notebooks and the kernels' logs, to look at after a run.
OUT = os.path.join(ARTIFACTS, "tutorial")
LOGS = os.path.join(OUT, "logs")


def save_artifact(nb, name):
    os.makedirs(OUT, exist_ok=True)
    nbformat.write(nb, os.path.join(OUT, name))


@pytest.fixture(scope="module")
def stand_ins():
    with rt.StandIns() as s:
        yield s


def run(path, params):
    """Runs a notebook through with the driver; fails with the driver's
    account when a cell failed. Returns the executed notebook."""
    nb, summary = asyncio.run(rt.run_notebook(path, params, log_dir=LOGS))
    save_artifact(nb, os.path.basename(path))
    if summary["error"] is not None:
        pytest.fail(summary["error"], pytrace=False)
    for i, c in code_cells(nb):
        assert c.execution_count is not None, "cell %d did not run" % i
    return nb


def texts(nb):
    return [rt.cell_text(c) for _, c in code_cells(nb)]


# ---- the files in the repository -------------------------------------------

def test_the_five_notebooks_are_there():
    found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(NOTEBOOKS, "[0-9]*.ipynb")))
    assert found == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_valid_nbformat4_with_outputs_cleared(name):
    with open(notebook(name), encoding="utf-8") as f:
        text = f.read()
    raw = json.loads(text)
    assert raw["nbformat"] == 4
    # As stored, without conversion: validate raises on any schema error.
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "iot"
    assert nb.metadata.language_info.name == "python"
    for i, c in code_cells(nb):
        assert c.outputs == [], "cell %d of %s has outputs" % (i, name)
        assert c.execution_count is None, "cell %d of %s has an execution count" % (i, name)
    assert KEY_MARKER not in text.encode()


def test_notebooks_match_their_generator():
    proc = subprocess.run([sys.executable, os.path.join(NOTEBOOKS, "make_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", NAMES)
def test_notebook_opens_with_one_parameters_cell(name):
    nb = nbformat.read(notebook(name), as_version=4)
    cells = code_cells(nb)
    first = cells[0][1]
    assert rt.parameters_cell(nb) is first, "the first code cell must be the one tagged parameters"
    assert first.source.splitlines()[0] == ("%connect --as server esp32" if name[0] == "5" else "%connect esp32")
    names = {"1": ["HOST", "PORT"], "2": ["PORT"], "3": ["HOST", "PORT"], "4": ["PORT", "REQUESTS"],
             "5": ["PORT", "READINGS"]}[name[0]]
    # The driver can point each at local servers (KeyError otherwise).
    rt.parameterize(nb, **{n: "x" for n in names})
    # Markdown before it is the title only: no code runs before the setting.
    assert all(c.cell_type == "markdown" for c in nb.cells[:cells[0][0]])


def test_no_private_key_in_the_repository():
    try:
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        files = [os.path.relpath(os.path.join(d, f), REPO)
                 for d, _, fs in os.walk(REPO) if "/." not in d and "node_modules" not in d for f in fs]
    offenders = []
    for f in filter(None, files):
        path = os.path.join(REPO, f)
        if not os.path.isfile(path):
            continue
        if re.search(r"\.(key|pem|der|p12|pfx)$", f):
            offenders.append(f)
            continue
        with open(path, "rb") as fh:
            if KEY_MARKER in fh.read():
                offenders.append(f)
    assert offenders == []


# ---- the notebooks, end to end ------------------------------------------------

def test_http_client_notebook(board_env, stand_ins):
    before = len(stand_ins.requests)
    nb = run(notebook(NAMES[0]), {"HOST": "127.0.0.1", "PORT": stand_ins.http_port})
    out = texts(nb)
    assert out[0] == "Connected to esp32 @ local\n"
    assert "entries; the first one:" in out[1]
    assert out[2].startswith("Status: HTTP/1.0 200 OK\n")
    m = re.search(r"^(\d+) header lines and (\d+) bytes of body$", out[2], re.M)
    assert m, out[2]
    # The whole wordy page was read, in chunks.
    assert int(m.group(2)) == len(rt.PAGE) and int(m.group(1)) >= 8
    assert stand_ins.requests[before:] == ["GET / HTTP/1.0"]


def test_https_client_notebook(board_env, stand_ins):
    before = len(stand_ins.requests)
    nb = run(notebook(NAMES[2]), {"HOST": "127.0.0.1", "PORT": stand_ins.https_port})
    out = texts(nb)
    assert out[0] == "Connected to esp32 @ local\n"
    assert out[1].startswith("Status: HTTP/1.0 200 OK\n")
    assert "%d bytes of body" % len(rt.PAGE) in out[1]
    assert stand_ins.requests[before:] == ["GET / HTTP/1.0"]


# A page load as Chromium makes it: the page, then the tab's icon, each
# with a browser's many headers.
BROWSER_HEADERS = {
    "Connection": "keep-alive",
    "Upgrade-Insecure-Requests": "1",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "en-US,en;q=0.9,de-CH;q=0.8,fr;q=0.6",
}


def get(port, path="/", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def test_http_server_notebook_driven(board_env):
    port = rt.free_port()
    nb = nbformat.read(notebook(NAMES[1]), as_version=4)
    rt.parameterize(nb, PORT=port)
    (server,) = rt.tagged(nb, "interrupt")
    cwd = tempfile.mkdtemp(prefix="iot-tutorial-")

    async def serve_once(s, want):
        """Starts the server cell, sends it requests, interrupts it; checks
        each step. `want` is how many requests to send."""
        task = s.start(server)
        await s.wait_for_text(server, "Listening on http://127.0.0.1:%d/" % port, task)
        assert not task.done()
        replies = []
        # One request the way a program sends it, then page loads the way
        # a browser does them: the page and its icon.
        for n in range(want):
            if n == 0:
                status, body = await asyncio.to_thread(get, port)
            else:
                path = "/" if n % 2 else "/favicon.ico"
                status, body = await asyncio.to_thread(get, port, path, BROWSER_HEADERS)
            assert status == 200
            replies.append(body.strip())
        assert replies == ["Hello #%d from MicroPython!" % n for n in range(want)]
        await s.wait_for_text(server, "Request #%d:" % (want - 1), task)
        assert not task.done(), "the server cell ended before the interrupt"

        t0 = time.monotonic()
        await s.interrupt()
        with pytest.raises(rt.CellFailed) as failed:
            await asyncio.wait_for(task, 30)
        took = time.monotonic() - t0
        assert failed.value.ename == "KeyboardInterrupt"
        assert took < 10, "the interrupt took %.1f s" % took
        cell = nb.cells[server]
        errors = rt.cell_errors(cell)
        assert [e.ename for e in errors] == ["KeyboardInterrupt"], "the cell shows other errors too"
        assert errors[0].traceback, "the KeyboardInterrupt has no traceback"
        text = rt.cell_text(cell)
        # The finally clause ran and closed the listening socket.
        assert "Closed port %d after %d requests" % (port, want) in text
        assert await asyncio.to_thread(rt.port_is_free, port), "port %d is still taken" % port
        return text

    async def drive():
        async with rt.Session(nb, cwd, kernel_log=os.path.join(LOGS, "2-http-server-driven.log")) as s:
            for i, _ in code_cells(nb):
                if i == server:
                    break
                await s.run(i)
            text = await serve_once(s, 3)
            # The server printed what each client sent; a browser sends
            # many more headers than a program does.
            assert "b'GET /favicon.ico HTTP/1.1\\r\\n'" in text
            assert "b'Accept-Language: en-US" in text
            # Re-running the cell binds the same port again.
            await serve_once(s, 1)
            for i, _ in code_cells(nb):
                if i > server:
                    await s.run(i)
            return s.ran

    try:
        ran = asyncio.run(drive())
    finally:
        save_artifact(nb, NAMES[1])
    out = texts(nb)
    assert out[0] == "Connected to esp32 @ local\n"
    assert out[1] == "The board's address is 127.0.0.1\n"
    assert out[-1] == "The server answered 1 requests\n"
    assert ran == len(code_cells(nb)) + 1  # the server cell ran twice


def test_secure_server_notebook(board_env):
    port = rt.free_port()
    nb = run(notebook(NAMES[3]), {"PORT": port, "REQUESTS": 3})
    by_source = {c.source.split("\n", 1)[0]: rt.cell_text(c) for _, c in code_cells(nb)}
    out = texts(nb)
    assert out[0] == "Connected to esp32 @ local\n"
    # The board's address went through the store to the host.
    assert "The board's address is 127.0.0.1\nstored board_ip (str)\n" in out[1]
    assert "restored board_ip (string)\n" in out[2]
    cert = by_source["%%bash"]
    assert "IP Address:127.0.0.1" in cert
    assert "Public Key Algorithm: id-ecPublicKey" in cert and "NIST CURVE: P-256" in cert
    # The board served three requests over TLS; the Go client, which trusts
    # only the certificate made above, got all three replies.
    server = [t for t in out if "Listening on https://" in t]
    assert server and "Served 3 requests over TLS" in server[0], server
    replies = [t for t in out if "over TLS from MicroPython" in t and "Listening" not in t]
    assert replies == ["".join("200 OK, TLS 304: Hello #%d over TLS from MicroPython!\n" % n for n in range(3))]
    assert rt.port_is_free(port)
    # The last cell removed the key from the store and from the disk.
    m = re.search(r"removed (\S+) and the key from the store", out[-1])
    assert m, out[-1]
    assert not os.path.exists(m.group(1))
    with open(board_env["IOTKERNEL_STORE"]) as f:
        stored = f.read()
    assert "board_key" not in stored and "board_cert" not in stored
    assert "board_ip" in stored


def test_two_boards_notebook(board_env):
    port = rt.free_port()
    nb = run(notebook(NAMES[4]), {"PORT": port, "READINGS": 3})
    out = texts(nb)
    assert out[0].startswith("Connected to server @ local\nConnected to client @ local\n"), out[0]
    # The Go goroutine collected three readings through the client board,
    # which fetched the server's over TLS while the server ran in the
    # background; the table was updated in place (one display).
    collect = [c for _, c in code_cells(nb) if "table := display.Markdown" in c.source][0]
    tables = [o for o in collect.outputs if o.output_type == "display_data"]
    assert len(tables) == 1, tables
    rows = re.findall(r"^\| (\d) \| (\d+\.\d) \| (\d+\.\d) \|$", tables[0].data["text/markdown"], re.M)
    assert [r[0] for r in rows] == ["1", "2", "3"], tables[0].data
    assert "collected 3 readings from both boards\n" in out
    assert re.search(r"^\[\d+\] +server +ok ", out[-1], re.M), out[-1]
    assert rt.port_is_free(port)
    with open(board_env["IOTKERNEL_STORE"]) as f:
        assert "board_key" not in f.read()


def test_driver_runs_every_notebook(board_env):
    """What `make demo` runs: the driver's command line over all five."""
    out_dir = tempfile.mkdtemp(prefix="iot-tutorial-out-")
    proc = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "run_tutorial.py"), "--out", out_dir],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail("run_tutorial.py exited %d:\n%s%s" % (proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]),
                    pytrace=False)
    lines = proc.stdout.splitlines()
    assert [ln.split()[1].rstrip(":") for ln in lines if ln.startswith("ok   ")] == NAMES, proc.stdout
    assert "server said: Hello #2 from MicroPython!" in proc.stdout
    assert "server said: 200 OK, TLS 304: Hello #2 over TLS from MicroPython!" in proc.stdout
    assert sorted(n for n in os.listdir(out_dir) if n.endswith(".ipynb")) == NAMES
    assert sorted(os.listdir(os.path.join(out_dir, "logs"))) == [n.replace(".ipynb", ".log") for n in NAMES]
    for name in NAMES:
        nb = nbformat.read(os.path.join(out_dir, name), as_version=4)
        nbformat.validate(nb)
