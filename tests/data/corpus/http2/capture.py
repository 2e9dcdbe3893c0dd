#!/usr/bin/python3
"""Captures real HTTP/2 traffic for the corpus and the HTTP/2 unit tests (run by hand, as any user).

    /usr/bin/python3 tests/data/corpus/http2/capture.py [OUT_DIR]      # default: this folder

Starts nghttpd (nghttp2 1.52, --no-tls), the Go h2c server of tests/apps/grpc/go_h2c (Go 1.19 net/http +
x/net/http2/h2c: nghttpd has no HTTP/1.1 Upgrade) and a Python gRPC server (grpcio 1.51) on loopback, puts a
recording proxy in front of each, and runs real clients through it: curl 7.88.1, nghttp, h2load and a
Python gRPC client. Each client connection becomes <name>.trace: one line per recv() the proxy made,
"> <hex>" for client-to-server bytes and "< <hex>" for server-to-client bytes. Then the corpus files
(first bursts) are cut from the traces: <name>.c2s.bin (the client's first burst), <name>.s2c.bin (the
server's first burst) and, for some, <name>_midstream.c2s.bin / .s2c.bin (a burst from the middle
of the connection, starting at a frame boundary). Stdlib only, plus the peers named above.
"""
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
MAX_BIN = 4096  # corpus files keep a burst's first bytes only (detection looks at 512)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not accepting" % port)


class Recorder(threading.Thread):
    """A TCP proxy 127.0.0.1:port -> 127.0.0.1:target recording each connection's recv()s in order."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.target = target
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.conns = []  # [(mark, bytes)] per connection
        self.stop = False
        self.active = 0

    def run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.lsock, selectors.EVENT_READ, None)
        while not self.stop:
            for key, _ in sel.select(timeout=0.1):
                if key.data is None:
                    client, _ = self.lsock.accept()
                    up = socket.create_connection(("127.0.0.1", self.target))
                    for s in (client, up):
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    log = []
                    self.conns.append(log)
                    self.active += 1
                    sel.register(client, selectors.EVENT_READ, (up, ">", log))
                    sel.register(up, selectors.EVENT_READ, (client, "<", log))
                    continue
                peer, mark, log = key.data
                if key.fileobj.fileno() < 0:
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    for s in (key.fileobj, peer):
                        try:
                            sel.unregister(s)
                        except (KeyError, ValueError):
                            pass
                        s.close()
                    self.active -= 1
                    continue
                log.append((mark, data))
                try:
                    peer.sendall(data)
                except OSError:
                    pass

    def take(self, n_before, timeout=5.0):
        """Connections opened since index n_before, once all are closed."""
        deadline = time.monotonic() + timeout
        while self.active > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.conns[n_before:]


def write_trace(out_dir, name, log):
    with open(os.path.join(out_dir, name + ".trace"), "w") as f:
        f.write("# %s: captured %s by tests/data/corpus/http2/capture.py\n" % (name, time.strftime("%Y-%m-%d")))
        for mark, data in log:
            f.write("%s %s\n" % (mark, data.hex()))


def bursts(log):
    """[(mark, bytes)] with consecutive recv()s of one direction joined."""
    out = []
    for mark, data in log:
        if out and out[-1][0] == mark:
            out[-1] = (mark, out[-1][1] + data)
        else:
            out.append((mark, data))
    return out


def first_burst(log, mark):
    for m, data in bursts(log):
        if m == mark:
            return data
    return b""


def frame_aligned_bursts(log, mark):
    """Bursts of one direction that start at a frame boundary (followed from the stream start)."""
    stream = b"".join(d for m, d in log if m == mark)
    pos = 24 if mark == ">" and stream.startswith(b"PRI * HTTP/2.0") else 0
    if stream.startswith(b"HTTP/1.1 101") or stream.startswith(b"GET "):
        pos = stream.index(b"\r\n\r\n") + 4
    bounds = set()
    while pos + 9 <= len(stream):
        bounds.add(pos)
        pos += 9 + int.from_bytes(stream[pos:pos + 3], "big")
    out, off = [], 0
    for m, data in bursts(log):
        if m != mark:
            continue
        if off in bounds:
            out.append(stream[off:off + len(data)])
        off += len(data)
    return out


def write_bin(out_dir, name, data):
    if data:
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


GRPC_PROTO = """syntax = "proto3";
package obitest;
service Echo {
  rpc Say (Msg) returns (Msg);
  rpc Fail (Msg) returns (Msg);
  rpc Stream (Msg) returns (stream Msg);
}
message Msg { string text = 1; int32 n = 2; }
"""

GRPC_SERVER = r"""
import sys, concurrent.futures, grpc
sys.path.insert(0, sys.argv[2])
import echo_pb2, echo_pb2_grpc
class Echo(echo_pb2_grpc.EchoServicer):
    def Say(self, req, ctx): return echo_pb2.Msg(text="hi " + req.text)
    def Fail(self, req, ctx): ctx.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    def Stream(self, req, ctx):
        for i in range(req.n): yield echo_pb2.Msg(text="part", n=i)
srv = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
echo_pb2_grpc.add_EchoServicer_to_server(Echo(), srv)
srv.add_insecure_port("127.0.0.1:" + sys.argv[1]); srv.start(); print("ready", flush=True); srv.wait_for_termination()
"""

GRPC_CLIENT = r"""
import sys, grpc
sys.path.insert(0, sys.argv[2])
import echo_pb2, echo_pb2_grpc
with grpc.insecure_channel("127.0.0.1:" + sys.argv[1]) as ch:
    stub = echo_pb2_grpc.EchoStub(ch)
    for i in range(3): stub.Say(echo_pb2.Msg(text="x%d" % i))
    try: stub.Fail(echo_pb2.Msg(text="y"))
    except grpc.RpcError as e: assert e.code() == grpc.StatusCode.NOT_FOUND
    assert len(list(stub.Stream(echo_pb2.Msg(n=3)))) == 3
    stub.Say(echo_pb2.Msg(text="last"))
"""


def main():
    out_dir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="obi-h2cap-")
    html = os.path.join(work, "html")
    os.makedirs(html)
    with open(os.path.join(html, "index.html"), "w") as f:
        f.write("<html><body>hello over h2</body></html>\n")
    with open(os.path.join(html, "small"), "w") as f:
        f.write("ok\n")
    with open(os.path.join(html, "big.bin"), "wb") as f:
        f.write(os.urandom(40000))
    with open(os.path.join(work, "upload.txt"), "w") as f:
        f.write("u" * 3000)
    procs = []
    try:
        port = free_port()
        procs.append(subprocess.Popen(["nghttpd", "--no-tls", "-d", html, "-p", "/index.html=/small",
                                       "--trailer", "x-trailer: done", str(port)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        wait_port(port)
        port_small_table = free_port()
        procs.append(subprocess.Popen(["nghttpd", "--no-tls", "-d", html, "--encoder-header-table-size=256",
                                       "-b", "7", str(port_small_table)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        wait_port(port_small_table)
        # gRPC (Python) with stubs generated here.
        with open(os.path.join(work, "echo.proto"), "w") as f:
            f.write(GRPC_PROTO)
        subprocess.run([PY, "-m", "grpc_tools.protoc", "-I", work, "--python_out", work, "--grpc_python_out", work,
                        os.path.join(work, "echo.proto")], check=True)
        for name, text in (("srv.py", GRPC_SERVER), ("cli.py", GRPC_CLIENT)):
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        gport = free_port()
        procs.append(subprocess.Popen([PY, os.path.join(work, "srv.py"), str(gport), work], stdout=subprocess.DEVNULL,
                                      start_new_session=True))
        wait_port(gport)

        gobin = os.path.join(work, "go_h2c")
        env = dict(os.environ, GO111MODULE="off", GOPATH=work + "/gopath:/usr/share/gocode", GOCACHE=work + "/gocache")
        subprocess.run(["go", "build", "-o", gobin, os.path.join(HERE, "..", "..", "..", "apps", "grpc", "go_h2c",
                                                               "main.go")], check=True, env=env)
        goport = free_port()
        procs.append(subprocess.Popen([gobin, str(goport)], stdout=subprocess.DEVNULL, start_new_session=True))
        wait_port(goport)

        rec, rec_small, rec_grpc, rec_go = Recorder(port), Recorder(port_small_table), Recorder(gport), Recorder(goport)
        for r in (rec, rec_small, rec_grpc, rec_go):
            r.start()
        u = "http://127.0.0.1:%d" % rec.port
        us = "http://127.0.0.1:%d" % rec_small.port
        ug = "http://127.0.0.1:%d" % rec_go.port
        sessions = [
            ("curl_prior_knowledge", rec, ["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge", u + "/index.html?q=1"]),
            ("curl_upgrade_go", rec_go, ["curl", "-s", "-o", "/dev/null", "--http2", ug + "/status/404?x=1"]),
            ("curl_prior_knowledge_go", rec_go, ["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                                                 ug + "/big"]),
            ("curl_post", rec, ["curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge", "--data-binary",
                                "@" + os.path.join(work, "upload.txt"), u + "/small"]),
            ("nghttp_multi", rec, ["nghttp", "-n", "--no-push", u + "/small", u + "/index.html", u + "/missing",
                                   u + "/big.bin"]),
            ("nghttp_push", rec, ["nghttp", "-n", u + "/index.html"]),
            ("nghttp_continuation", rec, ["nghttp", "-n", "--continuation", u + "/small"]),
            ("nghttp_upgrade_go", rec_go, ["nghttp", "-n", "-u", ug + "/", ug + "/status/503"]),
            ("nghttp_padded_small_table", rec_small, ["nghttp", "-n", "-b", "5", "--encoder-header-table-size=128",
                                                      "-H", "x-one: " + "1" * 40, "-H", "x-two: " + "2" * 40,
                                                      us + "/small?a", us + "/index.html?b", us + "/small?c",
                                                      us + "/index.html?d", us + "/missing"]),
            ("h2load_m10", rec, ["h2load", "-n", "40", "-c", "1", "-m", "10", u + "/small"]),
            ("grpc_python", rec_grpc, [PY, os.path.join(work, "cli.py"), str(rec_grpc.port), work]),
        ]
        for name, r, argv in sessions:
            before = len(r.conns)
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            conns = r.take(before)
            if len(conns) != 1:
                raise RuntimeError("%s: %d connections" % (name, len(conns)))
            log = conns[0]
            write_trace(out_dir, name, log)
            if "upgrade" not in name:  # an upgrade starts as HTTP/1: those bursts are not HTTP/2's
                write_bin(out_dir, name + ".c2s.bin", first_burst(log, ">")[:MAX_BIN])
                write_bin(out_dir, name + ".s2c.bin", first_burst(log, "<")[:MAX_BIN])
            if name in ("nghttp_multi", "h2load_m10", "grpc_python"):
                for mark, suffix in ((">", "c2s"), ("<", "s2c")):
                    mids = frame_aligned_bursts(log, mark)
                    # from the middle on, the first burst a detector can check whole (<= 512 bytes)
                    mids = [m for m in mids[len(mids) // 2:] if len(m) <= 512]
                    if mids:
                        write_bin(out_dir, "%s_midstream.%s.bin" % (name, suffix), mids[0])
            print("%-28s %3d recv()s" % (name, len(log)))
        for r in (rec, rec_small, rec_grpc, rec_go):
            r.stop = True
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(5)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
