"""The kernel as a hostile peer and a careless front end would try it.

Each test starts its own `iot` kernel (the installed kernelspec, through
jupyter_client), attacks it over raw TCP, ZMTP or signed Jupyter messages,
and then checks that it is still alive and answering. Executions are
counted by having the attacked cell append a tag to a file, so "executed
0 times" is observed, not inferred from missing replies.

The figures (survived, forged/replayed executed k of N, a real client's
first-reply latency with 200 idle connections held) are printed at the
end and written to $IOTKERNEL_ARTIFACTS/attack-report.txt when it is set.
Nothing is timed except a generous sanity bound (a reply within 10 s).
"""
import hashlib
import hmac
import json
import os
import random
import socket
import struct
import tempfile
import time

import pytest
import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

# ZMTP 3.0 (https://rfc.zeromq.org/spec/23/): the 64-byte greeting, then
# frames whose first byte holds the flags below.
FLAG_MORE = 0x01
FLAG_LONG = 0x02  # an 8-byte big-endian length follows instead of 1 byte
FLAG_COMMAND = 0x04
GREETING = (b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00")
            + b"\x00" + b"\x00" * 31)

# The socket type a well-behaved peer of each kernel port announces.
PORTS = {"shell": b"DEALER", "control": b"DEALER", "stdin": b"DEALER", "iopub": b"SUB", "hb": b"REQ"}

OVERSIZES = (1 << 40, 1 << 36, 1 << 31)

REPORT = []
ALIVE = {}  # test name -> whether the kernel survived it


def report(line):
    REPORT.append(line)


@pytest.fixture(scope="module", autouse=True)
def attack_report(request):
    yield
    dead = sorted(name for name, ok in ALIVE.items() if not ok)
    summary = "kernel survived every attack: %s" % ("yes" if not dead else "NO (%s)" % ", ".join(dead))
    text = "iotkernel attack report\n" + summary + "\n" + "\n".join(REPORT) + "\n"
    capman = request.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        print("\n" + text)
    out = os.environ.get("IOTKERNEL_ARTIFACTS")
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "attack-report.txt"), "w") as f:
            f.write(text)


def frame(body, more=False, command=False):
    flags = (FLAG_MORE if more else 0) | (FLAG_COMMAND if command else 0)
    if len(body) > 255:
        return bytes([flags | FLAG_LONG]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def ready(socket_type):
    def prop(k, v):
        return bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
    body = b"\x05READY" + prop(b"Socket-Type", socket_type) + prop(b"Identity", b"")
    return frame(body, command=True)


def raw_connect(port, handshake=None):
    """A TCP connection to the kernel; with handshake set to a socket
    type, the greeting and READY of a ZMTP peer of that type are sent."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if handshake is not None:
        s.sendall(GREETING + ready(handshake))
    return s


def closed_by_peer(s, timeout=10):
    """Reads what the kernel sends until it closes the connection; True if
    it did within timeout."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return False


class Kernel:
    """One running `iot` kernel, a jupyter_client client for it, and a file
    that counting cells append to."""

    def __init__(self, extra_arguments=()):
        self.tmp = tempfile.mkdtemp(prefix="iot-attack-")
        self.marks = os.path.join(self.tmp, "marks")
        os.environ.setdefault("IOTKERNEL_STORE", os.path.join(self.tmp, "store.json"))
        self.km = KernelManager(kernel_name="iot")
        self.km.start_kernel(extra_arguments=list(extra_arguments))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=30)
        self.ci = self.km.get_connection_info()
        self.key = self.km.session.key

    def port(self, name):
        return self.ci[name + "_port"]

    def alive(self):
        """The process runs and answers kernel_info on shell within 10 s."""
        if not self.km.is_alive():
            return False
        try:
            self.kc.kernel_info(reply=True, timeout=10)
        except Exception:
            return False
        return self.km.is_alive()

    def heartbeat_alive(self):
        ctx = zmq.Context.instance()
        s = ctx.socket(zmq.REQ)
        s.linger = 0
        try:
            s.connect("tcp://127.0.0.1:%d" % self.port("hb"))
            s.send(b"ping")
            return bool(s.poll(5000)) and s.recv() == b"ping"
        finally:
            s.close()

    def peak_rss_mb(self):
        try:
            pid = self.km.provisioner.process.pid
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) // 1024
        except Exception:
            pass
        return None

    def mark_cell(self, tag):
        """A %%host cell that appends tag to the marks file."""
        return ("%%host\nfunc() {\n\tf, err := os.OpenFile(" + json.dumps(self.marks)
                + ", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)\n\tif err == nil {\n\t\tf.WriteString("
                + json.dumps(tag + "\n") + ")\n\t\tf.Close()\n\t}\n}()\n")

    def count(self, tag):
        try:
            with open(self.marks) as f:
                return sum(1 for line in f if line.rstrip("\n") == tag)
        except FileNotFoundError:
            return 0

    def dealer(self):
        s = zmq.Context.instance().socket(zmq.DEALER)
        s.linger = 0
        s.connect("tcp://127.0.0.1:%d" % self.port("shell"))
        return s

    def sync(self, dealer, session=None):
        """Sends a signed kernel_info_request on dealer and waits for its
        reply: the shell runs requests of one connection in order, so
        everything sent before it has been handled."""
        session = session or Session(key=self.key)
        m = session.msg("kernel_info_request", {})
        dealer.send_multipart(session.serialize(m))
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if not dealer.poll(1000):
                continue
            frames = dealer.recv_multipart()
            idents, rest = session.feed_identities(frames)
            reply = session.deserialize(rest)
            if reply["parent_header"].get("msg_id") == m["header"]["msg_id"]:
                return
        raise AssertionError("no kernel_info_reply within 60 s on the attacking connection")

    def close(self, test=None):
        if test is not None:
            ALIVE[test] = self.km.is_alive()
        try:
            self.kc.stop_channels()
            if self.km.is_alive():
                self.km.shutdown_kernel(now=True)
        finally:
            self.km.cleanup_resources()


@pytest.fixture
def kernel(request):
    k = Kernel()
    yield k
    k.close(request.node.name)


def test_oversize_frame_headers_on_every_port(kernel):
    """A frame header announcing 2^40, 2^36 or 2^31 bytes, during the
    handshake (a READY command) and after it (a message frame), on each of
    the five ports: the kernel closes that connection and carries on."""
    kept_open = []
    n = 0
    for name, peer in PORTS.items():
        for size in OVERSIZES:
            for phase, payload in (("handshake", GREETING + bytes([FLAG_COMMAND | FLAG_LONG])),
                                   ("message", GREETING + ready(peer) + bytes([FLAG_LONG]))):
                s = raw_connect(kernel.port(name))
                s.sendall(payload + struct.pack(">Q", size) + b"x" * 1024)
                n += 1
                if not closed_by_peer(s):
                    kept_open.append("%s %s 2^%d" % (name, phase, size.bit_length() - 1))
                s.close()
    survived = kernel.alive() and kernel.heartbeat_alive()
    report("oversize frame headers: %d connections (5 ports x 2^40, 2^36, 2^31 x handshake/message): "
           "survived %s, connections left open %d, kernel peak RSS %s MB"
           % (n, "yes" if survived else "no", len(kept_open), kernel.peak_rss_mb()))
    assert survived, "the kernel died or stopped answering after oversize frame headers"
    assert not kept_open, "connections the kernel did not close: %s" % kept_open


def test_malformed_handshakes_on_every_port(kernel):
    """Greetings and READY commands that are cut short, lie about their
    lengths or name the wrong things, on each of the five ports."""
    name_only = b"\x05READY\x0bSocket-Type"  # a property cut after its name
    cases = [
        GREETING + frame(name_only, command=True),
        GREETING + frame(b"\x05READY\x0bSocket-Type\xff\xff\xff\xffDEALER", command=True),
        GREETING + frame(b"\x05READY\xff", command=True),
        GREETING + frame(b"\xffREADY", command=True),
        GREETING + frame(b"", command=True),
        GREETING + frame(b"\x04PING", command=True),
        GREETING + ready(b"PUB"),  # a type no kernel socket talks to
        GREETING[:10] + b"\x01\x00" + GREETING[12:],  # ZMTP 1.0
        GREETING[:12] + b"PLAIN".ljust(20, b"\x00") + GREETING[32:],
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        bytes(range(256)) * 4,
    ]
    n = 0
    for name in PORTS:
        for payload in cases:
            s = raw_connect(kernel.port(name))
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            closed_by_peer(s, timeout=1)
            s.close()
            n += 1
    survived = kernel.alive() and kernel.heartbeat_alive()
    report("malformed handshakes: %d connections (%d kinds x 5 ports): survived %s"
           % (n, len(cases), "yes" if survived else "no"))
    assert survived


def first_reply_latency(kernel):
    """Seconds from a new client connecting to its first kernel_info_reply."""
    kc = kernel.km.client()
    t0 = time.monotonic()
    kc.start_channels()
    try:
        kc.kernel_info(reply=True, timeout=10)
        return time.monotonic() - t0
    except Exception:
        return None
    finally:
        kc.stop_channels()


def test_idle_connections_do_not_block_a_real_client(kernel):
    """200 connections that send nothing or half a greeting on the shell
    port (and a few on every other port) do not stop a new client from
    getting its first reply."""
    baseline = first_reply_latency(kernel)
    idle = []
    try:
        for i in range(200):
            s = raw_connect(kernel.port("shell"))
            if i % 4 == 3:
                s.sendall(GREETING[:10])  # half-open: a greeting that never ends
            idle.append(s)
        for name in ("control", "stdin", "iopub", "hb"):
            for _ in range(10):
                idle.append(raw_connect(kernel.port(name)))
        held = first_reply_latency(kernel)
        hb = kernel.heartbeat_alive()
    finally:
        for s in idle:
            s.close()
    fmt = lambda t: "no reply within 10 s" if t is None else "%.1f ms" % (t * 1000)
    report("idle connections: new client's first kernel_info_reply %s without, %s with 200 idle/half-open "
           "shell connections (+10 on each other port) held; heartbeat %s"
           % (fmt(baseline), fmt(held), "answers" if hb else "silent"))
    assert held is not None, "a new client got no reply while 200 idle connections were held"
    assert hb, "the heartbeat did not answer while idle connections were held"
    assert kernel.alive()


def stuck_connection(kernel, name, peer):
    """A ZMTP connection with a tiny receive buffer whose reader never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", kernel.port(name)))
    s.sendall(GREETING + ready(peer))
    return s


def test_clients_that_stop_reading_do_not_stall_the_others(kernel):
    """An IOPub subscriber (no key needed) that never reads while a cell
    prints 10 MB, and a shell client that sends 20,000 signed requests
    without reading a reply: the others still get their output and
    replies; the stuck clients are disconnected."""
    sub = stuck_connection(kernel, "iopub", b"SUB")
    sub.sendall(frame(b"\x01"))  # subscribe to everything
    time.sleep(0.3)
    t0 = time.monotonic()
    try:
        reply = kernel.kc.execute_interactive(
            '%%host\nfmt.Print(strings.Repeat(strings.Repeat("x", 99)+"\\n", 100000))',
            timeout=60, output_hook=lambda m: None)
        iopub = "%s after %.1f s" % (reply["content"]["status"], time.monotonic() - t0)
    except Exception as e:
        iopub = "no idle within 60 s (%s)" % type(e).__name__
    finally:
        sub.close()

    shell = stuck_connection(kernel, "shell", b"DEALER")
    session = Session(key=kernel.key)
    sent = 0
    try:
        for _ in range(20000):
            frames = session.serialize(session.msg("kernel_info_request", {}))
            shell.sendall(b"".join(frame(f, more=i < len(frames) - 1) for i, f in enumerate(frames)))
            sent += 1
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass  # the kernel stopped reading it, or disconnected it
    latency = first_reply_latency(kernel)
    shell.close()
    fmt = "no reply within 10 s" if latency is None else "%.1f ms" % (latency * 1000)
    report("clients that stop reading: a 10 MB cell with a stuck IOPub subscriber: %s; "
           "a new client's first reply after %d unread shell requests: %s" % (iopub, sent, fmt))
    assert iopub.startswith("ok"), iopub
    assert latency is not None, "a client that does not read its replies stalled the shell"
    assert kernel.alive()


def test_random_frames(kernel):
    """10,000 well-framed frames of random flags and bytes over ZMTP
    connections to the five ports: the kernel keeps answering on shell and
    heartbeat."""
    rng = random.Random(9)
    total = 10000
    per_port = total // len(PORTS)
    sent = 0
    for name, peer in PORTS.items():
        for c in range(10):
            s = raw_connect(kernel.port(name), handshake=peer)
            out = bytearray()
            for _ in range(per_port // 10):
                size = rng.choice((0, 1, rng.randrange(256), rng.randrange(256, 2048)))
                out += frame(rng.randbytes(size), more=rng.random() < 0.6, command=rng.random() < 0.1)
                sent += 1
            try:
                s.sendall(out)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the kernel may close a connection that sent nonsense
            s.close()
    time.sleep(0.5)  # let the kernel read them before asking
    survived = kernel.alive()
    hb = kernel.heartbeat_alive()
    report("random frames: %d frames on 50 connections: survived %s, heartbeat %s"
           % (sent, "yes" if survived else "no", "answers" if hb else "silent"))
    assert survived
    assert hb, "the heartbeat stopped answering after random frames"


def recasings(sig):
    """Every other upper/lower casing of a hex signature."""
    letters = [i for i, ch in enumerate(sig) if ch in "abcdef"]
    for mask in range(1, 1 << len(letters)):
        chars = list(sig)
        for bit, i in enumerate(letters):
            if mask >> bit & 1:
                chars[i] = chars[i].upper()
        yield "".join(chars)


def test_recased_signature_replays_never_run(kernel):
    """A captured execute_request re-sent as is and with every re-casing of
    its signature's hex digits runs once, not once per copy. A message
    whose signature has at most 10 letters is chosen so that every
    re-casing (at most 1023) can be sent."""
    session = Session(key=kernel.key)
    code = kernel.mark_cell("replay")
    while True:
        m = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                            "user_expressions": {}, "allow_stdin": False,
                                            "stop_on_error": False})
        frames = session.serialize(m)
        sig = frames[1].decode()
        if sum(ch in "abcdef" for ch in sig) <= 10:
            break
    dealer = kernel.dealer()
    try:
        dealer.send_multipart(frames)
        kernel.sync(dealer)
        first = kernel.count("replay")
        copies = [sig] + list(recasings(sig))
        for c in copies:
            dealer.send_multipart([frames[0], c.encode()] + frames[2:])
        kernel.sync(dealer)
    finally:
        dealer.close()
    replayed = kernel.count("replay") - first
    report("replayed signatures: the original ran %d time(s); replays executed %d of %d "
           "(1 exact copy + %d re-casings)" % (first, replayed, len(copies), len(copies) - 1))
    assert first == 1, "the original request ran %d times" % first
    assert replayed == 0, "replays executed %d of %d" % (replayed, len(copies))
    assert kernel.alive()


def test_wrong_key_messages_never_run(kernel):
    """500 execute_requests signed with another key (and 10 unsigned) run 0 times."""
    code = kernel.mark_cell("forged")
    forger = Session(key=b"not-the-kernel-key")
    dealer = kernel.dealer()
    n = 0
    try:
        for _ in range(500):
            m = forger.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False})
            dealer.send_multipart(forger.serialize(m))
            n += 1
        for _ in range(10):
            m = forger.msg("execute_request", {"code": code, "silent": False})
            frames = forger.serialize(m)
            dealer.send_multipart([frames[0], b""] + frames[2:])
            n += 1
        kernel.sync(dealer)
    finally:
        dealer.close()
    ran = kernel.count("forged")
    report("forged (wrong key or unsigned): executed %d of %d" % (ran, n))
    assert ran == 0
    assert kernel.alive()


def test_truncated_and_garbage_json(kernel):
    """Correctly signed messages whose JSON frames are truncated, not JSON,
    of the wrong type or absurdly nested: the kernel survives and keeps
    answering on the same connection."""
    session = Session(key=kernel.key)
    m = session.msg("execute_request", {"code": kernel.mark_cell("garbage"), "silent": False})
    good = [session.pack(m[k]) for k in ("header", "parent_header", "metadata", "content")]
    header = good[0]
    cases = [
        [header[: len(header) // 2], b"{}", b"{}", good[3]],
        [header, b"{}", b"{}", good[3][:-7]],
        [b"\xff\xfe garbage", b"{}", b"{}", b"{}"],
        [header, b"[]", b"{}", b"{}"],
        [header, b"{}", b"null", b"{}"],
        [header, b"{}", b"{}", b"[1, 2, 3]"],
        [header, b"{}", b"{}", b'{"code": 42}'],
        [header, b"{}", b"{}", b'{"code": "' + b"\\ud800" * 10 + b'"}'],
        [b'{"msg_type": 7}', b"{}", b"{}", b"{}"],
        [b"[" * 100000 + b"]" * 100000, b"{}", b"{}", b"{}"],
        [header, b"{}", b"{}", b'{"code": ' + b"[" * 100000 + b"]" * 100000 + b"}"],
        [b"", b"", b"", b""],
    ]
    dealer = kernel.dealer()
    try:
        for frames in cases:
            h = hmac.new(kernel.key, digestmod=hashlib.sha256)
            for f in frames:
                h.update(f)
            dealer.send_multipart([b"<IDS|MSG>", h.hexdigest().encode()] + frames)
        dealer.send_multipart([b"<IDS|MSG>", b"0" * 64])  # too few frames
        dealer.send_multipart([b"no delimiter at all"])
        kernel.sync(dealer)
    finally:
        dealer.close()
    survived = kernel.alive()
    report("truncated/garbage JSON: %d signed cases + 2 malformed: survived %s, executed %d"
           % (len(cases), "yes" if survived else "no", kernel.count("garbage")))
    assert survived


def test_100mb_cell_runs(kernel):
    """A valid execute_request of 100 MB is not refused: its cell runs."""
    filler = "// " + "a" * (100_000_000) + "\n"
    code = kernel.mark_cell("big").replace("%%host\n", "%%host\n" + filler, 1)
    t0 = time.monotonic()
    msg_id = kernel.kc.execute(code)
    reply = None
    end = time.monotonic() + 180
    while time.monotonic() < end:
        try:
            m = kernel.kc.get_shell_msg(timeout=5)
        except Exception:
            if not kernel.km.is_alive():
                break
            continue
        if m["parent_header"].get("msg_id") == msg_id:
            reply = m
            break
    took = time.monotonic() - t0
    ran = kernel.count("big")
    report("100 MB cell: reply %s after %.1f s, ran %d time(s), kernel peak RSS %s MB"
           % (reply and reply["content"].get("status"), took, ran, kernel.peak_rss_mb()))
    assert reply is not None, "no execute_reply to a 100 MB cell"
    assert reply["content"]["status"] == "ok", reply["content"]
    assert ran == 1
    assert kernel.alive()


def test_max_message_size_flag_closes_only_the_offending_connection():
    """With --max-message-size 1000000, a 4 MB message closes the sender's
    connection (the kernel reads up to a little over the limit, 1/16 + 1 MiB,
    to answer MessageTooLarge), while another client on the same port keeps
    its replies."""
    k = Kernel(extra_arguments=["--max-message-size", "1000000"])
    try:
        s = raw_connect(k.port("shell"), handshake=b"DEALER")
        try:
            s.sendall(frame(b"x" * 4_000_000))
            closed = closed_by_peer(s)
        except (ConnectionResetError, BrokenPipeError):
            closed = True  # cut off while still sending: what the cap is for
        s.close()
        survived = k.alive()
        report("--max-message-size 1000000: a 4 MB message %s its connection; the other client %s"
               % ("closed" if closed else "did NOT close", "is answered" if survived else "is NOT answered"))
        assert closed
        assert survived
    finally:
        k.close("test_max_message_size_flag_closes_only_the_offending_connection")
