"""The HTTP server tutorial in a real browser: Debian's Jupyter Notebook
server and Debian's Chromium, headless, driven by playwright-core
(tests/browser/run-server-notebook.mjs).

The script runs the notebook's cells with the toolbar's Run button up to
the server cell, requests the server from this machine and checks the
counted replies, clicks the toolbar's interrupt button, waits for the
KeyboardInterrupt, runs the next cell, and saves a screenshot to
testdata/artifacts/browser-http-server.png. npm installs playwright-core
from the lock file; no browser is ever downloaded.
"""
import json
import re
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import nbformat
import pytest

import run_tutorial as rt
from conftest import ARTIFACTS, REPO

BROWSER_DIR = os.path.join(REPO, "tests", "browser")
NOTEBOOK = os.path.join(REPO, "notebooks", "2-http-server.ipynb")
CHROMIUM = "/usr/bin/chromium"
NOTEBOOK_SERVER = "/usr/bin/jupyter-notebook"


def need(path, what):
    if not (path and os.access(path, os.X_OK)):
        pytest.fail("%s is missing (%s): run scripts/install-deps.sh browser" % (what, path))


@pytest.fixture(scope="module")
def playwright():
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        pytest.fail("node and npm are missing: apt-get install nodejs npm")
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=BROWSER_DIR, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail("npm ci in tests/browser failed:\n" + proc.stdout + proc.stderr)
    return BROWSER_DIR


@pytest.fixture
def notebook_server(board_env):
    """Jupyter Notebook on a free loopback port, serving a copy of the HTTP
    server notebook whose PORT is a free port. Yields (url, token, root,
    port of the board's server)."""
    need(NOTEBOOK_SERVER, "Debian's jupyter-notebook")
    need(CHROMIUM, "Debian's chromium")
    root = tempfile.mkdtemp(prefix="iot-browser-root-")
    board_port = rt.free_port()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    rt.parameterize(nb, PORT=board_port)
    nbformat.write(nb, os.path.join(root, os.path.basename(NOTEBOOK)))

    token = secrets.token_hex(16)
    port = rt.free_port()
    config = tempfile.mkdtemp(prefix="iot-browser-jupyter-")
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=os.path.join(config, "config"),
               JUPYTER_RUNTIME_DIR=os.path.join(config, "runtime"))
    argv = [NOTEBOOK_SERVER, "--no-browser", "--ip=127.0.0.1", "--port=%d" % port,
            "--port-retries=0", "--NotebookApp.token=" + token, "--notebook-dir=" + root]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    log_path = os.path.join(ARTIFACTS, "browser-notebook-server.log")
    os.makedirs(ARTIFACTS, exist_ok=True)
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = "http://127.0.0.1:%d/" % port
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail("jupyter-notebook exited with %s; see %s" % (proc.returncode, log_path))
            try:
                with urllib.request.urlopen(url + "api/status?token=" + token, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("jupyter-notebook did not answer on %s within 60 s; see %s" % (url, log_path))
            time.sleep(0.2)
        yield url, token, root, board_port
    finally:
        # SIGTERM: the server shuts its kernels down, then exits.
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(config, ignore_errors=True)


def test_http_server_notebook_in_chromium(playwright, notebook_server):
    url, token, _, board_port = notebook_server
    shot = os.path.join(ARTIFACTS, "browser-http-server.png")
    if os.path.exists(shot):
        os.remove(shot)
    env = dict(os.environ, JUPYTER_URL=url, JUPYTER_TOKEN=token, NOTEBOOK=os.path.basename(NOTEBOOK),
               REQUESTS="3", ARTIFACTS=ARTIFACTS, CHROMIUM=CHROMIUM)
    proc = subprocess.run(["node", "run-server-notebook.mjs"], cwd=playwright, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    assert lines, "the browser script printed nothing:\n" + proc.stderr
    result = json.loads(lines[-1])
    assert proc.returncode == 0 and result["ok"], "%s\n%s" % (result.get("error"), proc.stderr)
    assert result["replies"] == ["Hello #%d from MicroPython!" % n for n in range(3)]
    assert result["interrupt"].startswith("KeyboardInterrupt")
    assert result["next"] == "The server answered 3 requests"
    assert result["screenshot"] == shot
    with open(shot, "rb") as f:
        head = f.read(8)
    assert head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 20000
    # The finally clause closed the board's listening socket.
    assert rt.port_is_free(board_port)


PLOT_CELL = """%%plot --window 100
import time, math
print("sampling")
for i in range(120):
    print("temp:", round(20 + 3 * math.sin(i / 8), 2), "hum=", 40 + i % 9)
    time.sleep(0.04)
print("done")"""


def test_live_plot_in_chromium(playwright, notebook_server):
    """A %%plot cell in the real browser: the chart shows and is redrawn
    while the cell runs (screenshot mid-run), and the final chart stays,
    with the window's points, above the cell's text lines."""
    url, token, root, _ = notebook_server
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "iot", "display_name": "iot", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("%connect esp32"), nbformat.v4.new_code_cell(PLOT_CELL)]
    nbformat.write(nb, os.path.join(root, "plot.ipynb"))
    env = dict(os.environ, JUPYTER_URL=url, JUPYTER_TOKEN=token, NOTEBOOK="plot.ipynb",
               ARTIFACTS=ARTIFACTS, CHROMIUM=CHROMIUM)
    proc = subprocess.run(["node", "run-plot-notebook.mjs"], cwd=playwright, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    assert lines, "the browser script printed nothing:\n" + proc.stderr
    result = json.loads(lines[-1])
    assert proc.returncode == 0 and result["ok"], "%s\n%s" % (result.get("error"), proc.stderr)
    # Mid-run: the cell still runs and the chart already has points.
    assert result["running"], result
    assert result["mid"] and result["mid"]["series"] == ["temp", "hum"], result["mid"]
    assert 0 < result["mid"]["points"][0] < 100, result["mid"]
    # After: the window's 100 points of each series, the text lines kept,
    # one chart (updated in place, not one output per redraw).
    assert result["final"]["series"] == ["temp", "hum"], result["final"]
    assert result["final"]["points"] == [100, 100], result["final"]
    assert result["text"] == "sampling\ndone", result["text"]
    assert result["textBeforeChart"], "the text printed before the first reading shows below the chart"
    for shot in (result["midScreenshot"], result["screenshot"]):
        with open(shot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_two_boards_notebook_in_chromium(playwright, notebook_server):
    """Notebook 5 after Run All in the real browser: two boards, the server
    in the background (its output arrives under its own cell after the
    cells below it ran), Go's table of readings updated in place."""
    url, token, root, _ = notebook_server
    nb = nbformat.read(os.path.join(REPO, "notebooks", "5-two-boards.ipynb"), as_version=4)
    port = rt.free_port()
    rt.parameterize(nb, PORT=port, READINGS=3)
    nbformat.write(nb, os.path.join(root, "5-two-boards.ipynb"))
    env = dict(os.environ, JUPYTER_URL=url, JUPYTER_TOKEN=token, NOTEBOOK="5-two-boards.ipynb",
               ARTIFACTS=ARTIFACTS, CHROMIUM=CHROMIUM, SHOT="browser-two-boards.png",
               EXPECT="collected 3 readings from both boards")
    proc = subprocess.run(["node", "run-all-notebook.mjs"], cwd=playwright, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = proc.stdout.strip().splitlines()
    assert lines, "the browser script printed nothing:\n" + proc.stderr
    result = json.loads(lines[-1])
    assert proc.returncode == 0 and result["ok"], "%s\n%s" % (result.get("error"), proc.stderr)
    assert result["errors"] == [], result["errors"]
    text = result["text"]
    assert "Connected to server @ local" in text and "Connected to client @ local" in text, text
    # The table of readings, one row per reading, shown once.
    assert len(re.findall(r"^1\t\d+\.\d\t\d+\.\d$", text, re.M)) == 1, text
    assert re.search(r"^3\t\d+\.\d\t\d+\.\d$", text, re.M), text
    with open(result["screenshot"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert rt.port_is_free(port)
