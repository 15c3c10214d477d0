"""Running cells through a real Jupyter client, for the tests: one home
for the loop that sends a cell and collects what it printed."""
import pytest


def run(kc, code, timeout=60):
    """Runs code through jupyter_client's execute_interactive. Returns
    (the execute_reply's content, the stdout text, every output message).
    A failed cell fails the test with its error."""
    msgs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=msgs.append)
    content = reply["content"]
    if content["status"] != "ok":
        pytest.fail("%r failed: %s: %s" % (code, content.get("ename"), content.get("evalue")), pytrace=False)
    out = "".join(m["content"]["text"] for m in msgs
                  if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    return content, out, msgs
