"""Fixtures shared by the tutorial tests (test_tutorial.py, test_browser.py).

`board_env` makes `%connect esp32` reach the simulated board: MicroPython's
Unix port started by the kernel as the URL `local`, through a boards file
private to the test module. It also gives the kernel a private %store file,
so that the tutorial's values (a private key among them, for a moment) never
reach the user's own store. Anything missing fails the test that asked for
it, with what to install; nothing is skipped.
"""
import json
import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "scripts"))

ARTIFACTS = os.environ.get("IOTKERNEL_ARTIFACTS") or os.path.join(REPO, "testdata", "artifacts")


def find_micropython():
    """The Unix port the kernel will start: $IOTKERNEL_MICROPYTHON, the one
    scripts/install-boards.sh puts in .cache/, or micropython on PATH."""
    env = os.environ.get("IOTKERNEL_MICROPYTHON")
    if env:
        return shutil.which(env)
    cached = os.path.join(REPO, ".cache", "boards", "trixie", "micropython")
    if os.access(cached, os.X_OK):
        return cached
    return shutil.which("micropython")


@pytest.fixture(scope="module")
def board_env():
    """Sets the environment that kernels started from now on inherit;
    restores it afterwards. Yields a dict with the paths it chose."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "iot" not in specs:
        pytest.fail("the kernelspec iot is not installed (JUPYTER_DATA_DIR=%s): run make test-jupyter, "
                    "or ./iotkernel install --user" % os.environ.get("JUPYTER_DATA_DIR", "(unset)"))
    mp = find_micropython()
    if not mp:
        pytest.fail("no MicroPython Unix port: run scripts/install-boards.sh (as root), "
                    "or set IOTKERNEL_MICROPYTHON")
    if not shutil.which("openssl"):
        pytest.fail("openssl is missing: apt-get install openssl")
    tmp = tempfile.mkdtemp(prefix="iot-tutorial-test-")
    boards = os.path.join(tmp, "boards.json")
    with open(boards, "w") as f:
        json.dump({"esp32": "local"}, f)
    values = {
        "IOTKERNEL_BOARDS": boards,
        "IOTKERNEL_MICROPYTHON": mp,
        "IOTKERNEL_STORE": os.path.join(tmp, "store.json"),
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield dict(values, tmp=tmp, kernelspec=specs["iot"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def board_kernel(board_env):
    """A client of a new iot kernel started in board_env's environment
    (`%connect esp32` attaches the Unix port); shut down afterwards."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="iot")
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
