"""Project magics through a real Jupyter client (jupyter_client) on the
`iot` kernel, against the MicroPython Unix port (`%connect esp32`, see
conftest.py): %rsync copies a folder and then only what changed, and
%load replaces the cell with a board file's text through the
execute_reply's set_next_input payload, as IPython's %load does.

The Unix port's filesystem is the host's, so the test gives it absolute
paths and reads the board's files directly.
"""
import os
import shutil
import tempfile

import pytest
from cells import run


@pytest.fixture
def dirs():
    tmp = tempfile.mkdtemp(prefix="iot-project-test-")
    try:
        yield os.path.join(tmp, "project"), os.path.join(tmp, "board")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def test_rsync_then_load(board_kernel, dirs):
    project, board = dirs
    files = {"main.py": "import lib.util\nprint(lib.util.VALUE)\n"}
    files.update({"lib/m%d.py" % i: "N = %d\n" % i for i in range(10)})
    files["lib/util.py"] = "VALUE = 42\n"
    write(project, files)
    run(board_kernel, "%connect esp32")

    _, out, _ = run(board_kernel, "%%rsync %s :%s" % (project, board))
    assert "copied 12 file(s)" in out, out
    for rel, text in files.items():
        with open(os.path.join(board, rel)) as f:
            assert f.read() == text, rel

    # The board imports the synced project.
    _, out, _ = run(board_kernel, "import sys\nsys.path.insert(0, %r)\nexec(open(%r).read())" % (board, board + "/main.py"))
    assert out == "42\n", out

    write(project, {"lib/util.py": "VALUE = 43\n"})
    os.remove(os.path.join(project, "lib/m3.py"))
    _, out, _ = run(board_kernel, "%%rdiff %s :%s" % (project, board))
    assert out == "delete lib/m3.py\ncopy   lib/util.py (changed)\nwould copy 1 file(s), delete 1; 10 unchanged\n", out
    _, out, _ = run(board_kernel, "%%rsync -d %s :%s" % (project, board))
    assert out.endswith("copied 1 file(s), 11 bytes; deleted 1; 10 unchanged\n"), out
    assert not os.path.exists(os.path.join(board, "lib/m3.py"))

    content, out, _ = run(board_kernel, "%%load :%s/lib/util.py" % board)
    assert out == ""
    assert content["payload"] == [{
        "source": "set_next_input",
        "text": "# %%load :%s/lib/util.py\nVALUE = 43\n" % board,
        "replace": True,
    }], content["payload"]

    # The next cell's reply carries no payload.
    content, _, _ = run(board_kernel, "1")
    assert content["payload"] == []


def test_load_host_file_and_errors(board_kernel, dirs):
    project, _ = dirs
    write(project, {"notes.py": "x = 'ü'\n"})
    run(board_kernel, "%connect esp32")
    content, _, _ = run(board_kernel, "%%load %s/notes.py" % project)
    assert content["payload"][0]["text"] == "# %%load %s/notes.py\nx = 'ü'\n" % project

    reply = board_kernel.execute_interactive("%load :/no/such/file.py", timeout=60, output_hook=lambda m: None)
    content = reply["content"]
    assert content["status"] == "error"
    assert "no such file on the board" in content["evalue"], content
    assert "payload" not in content or content["payload"] == []


def test_mount(board_kernel, dirs):
    project, _ = dirs
    write(project, {"app.py": "X = 1\n"})
    run(board_kernel, "%connect esp32")
    _, out, _ = run(board_kernel, "%%mount %s" % project)
    assert out.startswith("mounted %s at :/remote (read-only)" % project), out
    _, out, _ = run(board_kernel, "import app\nprint(app.X)")
    assert out == "1\n", out
    write(project, {"app.py": "X = 2\n"})
    _, out, _ = run(board_kernel, "import sys\ndel sys.modules['app']\nimport app\nprint(app.X)")
    assert out == "2\n", out
    _, out, _ = run(board_kernel, "%umount")
    assert out == "unmounted :/remote\n", out
