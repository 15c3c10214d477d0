"""Real Jupyter clients (jupyter_client, nbclient, nbconvert) against the
installed `iot` kernelspec."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_NB = os.path.join(HERE, "testdata", "host.ipynb")


@contextlib.contextmanager
def iot_kernel(now=False):
    """A started iot kernel and its client, shut down afterwards (now:
    without asking the kernel first)."""
    km, kc = start_new_kernel(kernel_name="iot")
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=now)


def outputs_text(cell):
    parts = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            parts.append(o["text"])
        elif o["output_type"] in ("execute_result", "display_data"):
            # The richest text a notebook would show: Markdown over its
            # text/plain fallback.
            data = o["data"]
            parts.append(data.get("text/markdown", data.get("text/plain", "")))
        elif o["output_type"] == "error":
            parts.append(o["ename"] + ": " + o["evalue"])
    return "".join(parts)


class NotebookTests(unittest.TestCase):
    def test_nbclient_runs_host_notebook(self):
        nb = nbformat.read(HOST_NB, as_version=4)
        NotebookClient(nb, kernel_name="iot", timeout=60).execute()
        texts = [outputs_text(c) for c in nb.cells if c.cell_type == "code"]
        self.assertEqual(texts[0], "area = 12.57\n")
        self.assertEqual(texts[1], "144")
        # Re-assigning a variable from an earlier cell works.
        self.assertEqual(texts[2], "area = 28.27\n")
        self.assertEqual(texts[3], "**bold** from Go")
        self.assertEqual(texts[4], "ababab")
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        self.assertEqual(counts, [1, 2, 3, 4, 5])

    def test_nbconvert_execute(self):
        jupyter = shutil.which("jupyter", path="/usr/bin") or shutil.which("jupyter")
        self.assertIsNotNone(jupyter, "jupyter (Debian's jupyter-nbconvert) is not installed")
        out_dir = os.path.join(os.environ.get("IOTKERNEL_ARTIFACTS", "/tmp"), "nbconvert")
        os.makedirs(out_dir, exist_ok=True)
        subprocess.run(
            [jupyter, "nbconvert", "--to", "notebook", "--execute", "--output-dir", out_dir,
             "--ExecutePreprocessor.kernel_name=iot", HOST_NB],
            check=True, timeout=120)
        nb = nbformat.read(os.path.join(out_dir, "host.ipynb"), as_version=4)
        self.assertEqual(outputs_text(nb.cells[2]), "144")

    def test_board_cell_without_board_says_how_to_connect(self):
        with iot_kernel() as (km, kc):
            reply = kc.execute_interactive("print('hi')", timeout=30, output_hook=lambda m: None)
            self.assertEqual(reply["content"]["status"], "error")
            self.assertEqual(reply["content"]["ename"], "NoBoardError")
            tb = "\n".join(reply["content"]["traceback"])
            self.assertIn("%connect", tb)
            self.assertIn("%%host", tb)

    def test_generics_the_interpreter_lacks_are_explained(self):
        def value(reply, results):
            self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
            return [m["content"]["data"]["text/plain"] for m in results]

        with iot_kernel() as (km, kc):
            reply = kc.execute_interactive("%%host\nz := []int{1, 2}\nslices.Repeat(z, 2)",
                                           timeout=30, output_hook=lambda m: None)
            self.assertEqual(reply["content"]["status"], "error")
            tb = "\n".join(reply["content"]["traceback"])
            # The cell's line, and what is missing (Go 1.23's Repeat).
            self.assertIn("line 2: slices.Repeat is not available in %%host cells", tb)
            self.assertIn("as Go 1.22 has it", tb)
            # What patches of the interpreter brought: inference from
            # constraints (slices.Reverse), the sorting half of slices, and
            # Go 1.21's built-ins.
            for cell, want in (("%%host\nslices.Reverse(z)\nz", "[2 1]"),
                               ("%%host\nslices.Sort(z)\nz", "[1 2]"),
                               ("%%host\na := 1\nmax(a, 2)", "2"),
                               # A package-level var from a generic call, of an earlier cell's z.
                               ("%%host\nvar c = slices.Clone(z)\nlen(c)", "2")):
                results = []
                reply = kc.execute_interactive(cell, timeout=30,
                                               output_hook=lambda m: results.append(m) if m["msg_type"] == "execute_result" else None)
                self.assertEqual(value(reply, results), [want], cell)

    def test_server_cell_serves_only_its_handlers_and_runs_again_after_hostreset(self):
        import socket
        import urllib.error
        import urllib.request

        def status(url):
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, ""

        def ok(kc, code):
            reply = kc.execute_interactive(code, timeout=30, output_hook=lambda m: None)
            self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = "http://127.0.0.1:%d" % port
        handler = '%%host\nhttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "from a cell") })'
        server = '%%host\ngo http.ListenAndServe("127.0.0.1:' + str(port) + '", nil)\ntime.Sleep(300 * time.Millisecond)'
        with iot_kernel() as (km, kc):
            ok(kc, handler)
            ok(kc, server)
            self.assertEqual(status(base + "/"), (200, "from a cell"))
            # The kernel's own profiles and command line are not served
            # (the cell's "/" answers instead): net/http/pprof and expvar
            # are linked in, but no cell imported them.
            self.assertEqual(status(base + "/debug/pprof/cmdline"), (200, "from a cell"))
            self.assertEqual(status(base + "/debug/vars"), (200, "from a cell"))
            # Running the handler cell again fails as Go does, saying what to do.
            reply = kc.execute_interactive(handler, timeout=30, output_hook=lambda m: None)
            self.assertEqual(reply["content"]["status"], "error")
            tb = "\n".join(reply["content"]["traceback"])
            self.assertIn('conflicts with pattern "/"', tb)
            self.assertIn("%hostreset", tb)
            # After %hostreset (which closes the server), both cells run again.
            ok(kc, "%hostreset")
            ok(kc, handler)
            ok(kc, server)
            self.assertEqual(status(base + "/"), (200, "from a cell"))
            # Importing expvar serves the cells' variables and command line.
            for _ in range(2):  # publishing again after %hostreset works
                ok(kc, '%%host\nimport "expvar"\nhits := expvar.NewInt("hits")\nhits.Add(2)')
                code, body = status(base + "/debug/vars")
                self.assertEqual(code, 200)
                published = json.loads(body)
                self.assertEqual((published["hits"], published["cmdline"]), (2, ["iotkernel"]))
                ok(kc, "%hostreset")
                ok(kc, handler)
                ok(kc, server)

    def interrupt_keeps_definitions(self, km, kc, stop, endless):
        """Define x = 41, start the endless cell, stop it with stop(), and
        check the cell ends within 2 s as KeyboardInterrupt with x kept."""
        kc.execute_interactive("%%host\nx := 41", timeout=30)
        msg_id = kc.execute("%%host\n" + endless)
        time.sleep(0.5)
        t0 = time.monotonic()
        stop()
        reply = kc.get_shell_msg(timeout=10)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        self.assertTrue(km.is_alive(), "the interrupt ended the kernel")
        outs = []
        kc.execute_interactive("%%host\nx + 1", timeout=30, output_hook=outs.append)
        results = [m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"]
        self.assertEqual(results, ["42"], "definitions did not survive the interrupt")

    def test_interrupt_and_restart_through_jupyter_client(self):
        with iot_kernel() as (km, kc):
            self.interrupt_keeps_definitions(km, kc, km.interrupt_kernel, "for {}")
            t0 = time.monotonic()
            km.restart_kernel(now=False)
            self.assertLess(time.monotonic() - t0, 5.0)
            kc.wait_for_ready(timeout=30)
            reply = kc.execute_interactive("%%host\nx", timeout=30, output_hook=lambda m: None)
            self.assertEqual(reply["content"]["status"], "error", "x survived a restart")

    def test_restart_after_a_kill_before_any_cell(self):
        # A kernel killed before its first %%host cell (jupyter_client's
        # restart with now=True sends SIGKILL) leaves its crash record
        # empty; the kernel restarted on the same connection file read
        # it and died at start, every time.
        with iot_kernel(now=True) as (km, kc):
            for _ in range(2):
                km.restart_kernel(now=True)
                kc.wait_for_ready(timeout=30)
                outs = []
                reply = kc.execute_interactive("%%host\n6 * 7", timeout=30, output_hook=outs.append)
                self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
                self.assertEqual([m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"], ["42"])
                self.assertTrue(km.is_alive())

    def test_flag_parses_the_cells_arguments_and_runs_again_after_hostreset(self):
        cell = ('%%host\nn := flag.Int("n", 1, "how many")\nos.Args = []string{"prog", "-n", "3", "rest"}\n'
                'flag.Parse()\nfmt.Sprint(*n, flag.Args())')
        with iot_kernel() as (km, kc):
            for setup in (None, "%hostreset"):
                if setup:
                    reply = kc.execute_interactive(setup, timeout=30, output_hook=lambda m: None)
                    self.assertEqual(reply["content"]["status"], "ok")
                outs = []
                reply = kc.execute_interactive(cell, timeout=30, output_hook=outs.append)
                self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
                self.assertEqual([m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"],
                                 ['3 [rest]'])

    def test_loops_have_go_1_22_semantics(self):
        # A goroutine per item of a range loop sees its own item, as in Go
        # 1.22 (the interpreter gave every goroutine the last one), and
        # range over an integer works (it was a compile error).
        cells = [
            ('%%host\nvar mu sync.Mutex\nvar wg sync.WaitGroup\nseen := map[string]bool{}\n'
             'for _, b := range []string{"esp32", "microbit", "pico"} {\n\twg.Add(1)\n'
             '\tgo func() { defer wg.Done(); mu.Lock(); seen[b] = true; mu.Unlock() }()\n}\nwg.Wait()\nlen(seen)', "3"),
            ('%%host\nvar fs []func() int\nfor i := 0; i < 3; i++ { fs = append(fs, func() int { return i }) }\n'
             'fmt.Sprint(fs[0](), fs[1](), fs[2]())', "0 1 2"),
            ("%%host\nsum := 0\nfor i := range 5 { sum += i }\nsum", "10"),
        ]
        with iot_kernel() as (km, kc):
            for cell, want in cells:
                outs = []
                reply = kc.execute_interactive(cell, timeout=30, output_hook=outs.append)
                self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
                self.assertEqual([m["content"]["data"]["text/plain"] for m in outs if m["msg_type"] == "execute_result"],
                                 [want], cell)

    def test_slog_writes_to_the_cell(self):
        with iot_kernel() as (km, kc):
            outs = []
            reply = kc.execute_interactive('%%host\nslog.Info("reading", "sensor", "t1", "value", 21.5)',
                                           timeout=30, output_hook=outs.append)
            self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
            stderr = "".join(m["content"]["text"] for m in outs
                             if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
            self.assertRegex(stderr, r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO reading sensor=t1 value=21.5\n$")

    def test_cells_cannot_take_the_kernels_signals(self):
        # signal.Reset in a cell made the next SIGINT kill the kernel, and
        # signal.Ignore stopped interrupts by signal.
        with iot_kernel(now=True) as (km, kc):
            for cell in ("%%host\nsignal.Reset()", "%%host\nsignal.Ignore()"):
                reply = kc.execute_interactive(cell, timeout=30, output_hook=lambda m: None)
                self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
            self.interrupt_keeps_definitions(
                km, kc, lambda: km.signal_kernel(signal.SIGINT), "time.Sleep(time.Hour)")
            # %%bash still waits for its processes (SIGCHLD not ignored).
            outs = []
            reply = kc.execute_interactive("%%bash\necho done", timeout=30, output_hook=outs.append)
            self.assertEqual(reply["content"]["status"], "ok", reply["content"].get("evalue"))
            self.assertIn("done", "".join(m["content"].get("text", "") for m in outs if m["msg_type"] == "stream"))

    def test_sigint_interrupts_the_running_cell(self):
        # What a terminal's Ctrl-C, or a client with interrupt_mode
        # "signal", sends: the cell stops, the kernel stays.
        with iot_kernel(now=True) as (km, kc):
            self.interrupt_keeps_definitions(
                km, kc, lambda: km.signal_kernel(signal.SIGINT), "time.Sleep(time.Hour)")
            # SIGINT with no cell running changes nothing.
            km.signal_kernel(signal.SIGINT)
            time.sleep(0.3)
            self.assertTrue(km.is_alive(), "SIGINT on an idle kernel ended it")

    def test_sigterm_exits_within_two_seconds(self):
        km, kc = start_new_kernel(kernel_name="iot")
        kc.stop_channels()
        proc = km.provisioner.process
        t0 = time.monotonic()
        km.signal_kernel(signal.SIGTERM)
        try:
            code = proc.wait(timeout=5)
        finally:
            km.shutdown_kernel(now=True)
        self.assertLess(time.monotonic() - t0, 2.0, "the kernel took over 2 s to exit on SIGTERM")
        self.assertEqual(code, 0, "SIGTERM is an orderly shutdown, exit status 0")

    def test_shutdown_is_prompt(self):
        km, kc = start_new_kernel(kernel_name="iot")
        kc.stop_channels()
        t0 = time.monotonic()
        km.shutdown_kernel(now=False)
        elapsed = time.monotonic() - t0
        self.assertFalse(km.is_alive())
        # A kernel that ignores shutdown_request is killed after 5 s.
        self.assertLess(elapsed, 2.5, "the kernel did not exit on shutdown_request")


if __name__ == "__main__":
    unittest.main()
