"""Several boards through a real Jupyter client (jupyter_client): a
%%bg cell's output keeps arriving after its execute_reply, with that
cell's request as parent header, while other cells run on another board;
a board busy with it refuses cells at once."""
import time

import pytest
from jupyter_client.manager import KernelManager


@pytest.fixture
def kc(board_env):
    km = KernelManager(kernel_name="iot")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def reply_of(kc, msg_id, timeout=30):
    while True:
        r = kc.get_shell_msg(timeout=timeout)
        if r["parent_header"].get("msg_id") == msg_id:
            return r["content"]


def execute(kc, code):
    return reply_of(kc, kc.execute(code, stop_on_error=False))


def test_background_cell_output_keeps_its_parent(kc):
    for name in ("a", "b"):
        assert execute(kc, "%%connect -q --as %s local\nname = %r" % (name, name))["status"] == "ok"
    bg = kc.execute("%%bg a\nimport time\nfor i in range(3):\n    print('tick', i)\n    time.sleep(0.3)\nname + ' done'")
    bg_reply = reply_of(kc, bg)
    assert bg_reply["status"] == "ok", bg_reply
    count = bg_reply["execution_count"]

    other = execute(kc, "%%board b\nprint('on', name)")
    assert other["status"] == "ok", other
    busy = execute(kc, "%%board a\nname")
    assert busy["status"] == "error" and busy["ename"] == "BoardBusyError", busy
    assert busy["evalue"] == "board a is running background cell [%d]; %%bg stop %d or wait" % (count, count)

    # Everything the background cell says carries its own request as parent,
    # and arrives after its reply: its ticks, then its result.
    texts, result = [], None
    deadline = time.monotonic() + 30
    while result is None and time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != bg:
            if msg["msg_type"] == "stream":
                assert "tick" not in msg["content"]["text"], ("a tick under another cell", msg)
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_result":
            result = msg["content"]
    assert result is not None, ("no result of the background cell", texts)
    assert result["execution_count"] == count
    assert result["data"]["text/plain"] == "'a done'"
    out = "".join(texts)
    assert out.startswith("[%d] runs in the background on a" % count), out
    assert out.endswith("tick 0\ntick 1\ntick 2\n"), out


def test_background_error_goes_to_its_cell(kc):
    assert execute(kc, "%connect -q --as a local")["status"] == "ok"
    bg = kc.execute("%%bg a\nimport time\ntime.sleep(0.3)\n1/0")
    assert reply_of(kc, bg)["status"] == "ok"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == bg and msg["msg_type"] == "error":
            assert msg["content"]["ename"] == "ZeroDivisionError", msg["content"]
            return
    pytest.fail("no error message for the background cell")
