"""Rich output from board code and %%time, through a real Jupyter client
(jupyter_client) on the `iot` kernel, against the MicroPython Unix port
(`%connect esp32`, see conftest.py): a board cell's display.html arrives
as display_data with text/html and a text/plain fallback, an update in a
later cell names the same display_id, an object's _repr_html_ is the rich
part of the execute_result, and %%time prints its report after the cell's
own output.
"""
import re

from cells import run


def of_type(msgs, kind):
    return [m["content"] for m in msgs if m["msg_type"] == kind]


def test_display_html_and_update(board_kernel):
    run(board_kernel, "%connect esp32")
    _, out, msgs = run(board_kernel, 'print("before")\nh = display.html("<b>hot</b> 21.5")\nprint("after")')
    assert out == "before\nafter\n"
    shown = of_type(msgs, "display_data")
    assert len(shown) == 1, msgs
    assert shown[0]["data"]["text/html"] == "<b>hot</b> 21.5"
    assert shown[0]["data"]["text/plain"] == "hot 21.5"
    display_id = shown[0]["transient"]["display_id"]
    assert display_id
    # The stream before the display is published before it.
    kinds = [m["msg_type"] for m in msgs if m["msg_type"] in ("stream", "display_data")]
    assert kinds[0] == "stream" and "display_data" in kinds

    _, _, msgs = run(board_kernel, 'h.update("<b>hot</b> 22.0")')
    updates = of_type(msgs, "update_display_data")
    assert len(updates) == 1, msgs
    assert updates[0]["transient"]["display_id"] == display_id
    assert updates[0]["data"]["text/html"] == "<b>hot</b> 22.0"

    _, _, msgs = run(board_kernel, "class Table:\n"
                          "    def _repr_html_(self):\n"
                          "        return '<table><tr><td>1</td></tr></table>'\n"
                          "Table()")
    results = of_type(msgs, "execute_result")
    assert len(results) == 1, msgs
    assert results[0]["data"]["text/html"] == "<table><tr><td>1</td></tr></table>"
    assert results[0]["data"]["text/plain"].startswith("<Table object")


def test_time_report(board_kernel):
    run(board_kernel, "%connect esp32")
    _, out, msgs = run(board_kernel, '%%time\nimport time\ntime.sleep_ms(10)\nprint("done")\n6 * 7')
    assert re.fullmatch(
        r"done\n"
        r"Wall time: [0-9.]+ [nµm]?s\n"
        r"Board time: [0-9.]+ [nµm]?s \(time\.ticks_us\)\n"
        r"Sent: [\d,]+ B, received: [\d,]+ B\n"
        r"Free heap: [\d,]+ B before, [\d,]+ B after, [\d,]+ B after gc\.collect\(\)\n", out), out
    assert of_type(msgs, "execute_result")[0]["data"]["text/plain"] == "42"

    _, out, _ = run(board_kernel, "%%time\n%%host\nx := 0\nfor i := 0; i < 1000; i++ { x += i }")
    assert re.fullmatch(r"CPU times: user .+, sys: .+, total: .+\nWall time: .+\n", out), out
